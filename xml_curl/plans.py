"""The default call plans: how a call reaches a user, and how it reaches an external number.

Per-user call handling (forwards, DND, simultaneous ring) and outbound restrictions build on
these; the Router takes the plans as parameters so they can be replaced as a whole.
"""
from __future__ import annotations

import phonenumbers

from fs_plugins import callvars
from xml_curl.actions import Action, hangup, set_var

DEFAULT_RING_SECONDS = 20


def user_call(router, tenant, request, user) -> list[Action]:
    """Ring the user's registered phones; on any failure the call ends with FreeSWITCH's cause."""
    return [
        set_var(callvars.TARGET_USER, user.user_id),
        set_var("hangup_after_bridge", "true"),
        set_var("call_timeout", str(DEFAULT_RING_SECONDS)),
        Action("bridge", f"user/{user.extension}@{tenant.domain}"),
    ]


def normalise_number(dialled: str, country: str) -> tuple[str | None, str | None]:
    """(E.164, None) for a valid number, or (None, hangup cause) for one that cannot be called."""
    try:
        parsed = phonenumbers.parse(dialled, country)
    except phonenumbers.NumberParseException:
        return None, "INVALID_NUMBER_FORMAT"
    if not phonenumbers.is_valid_number(parsed):
        return None, "UNALLOCATED_NUMBER"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def outbound_call(router, tenant, request, dialled: str, dial_template: str) -> list[Action]:
    e164, cause = normalise_number(dialled, tenant.country)
    if cause:
        return [hangup(cause)]
    return [
        set_var("hangup_after_bridge", "true"),
        Action("bridge", dial_template.format(e164=e164, digits=e164.lstrip("+"))),
    ]
