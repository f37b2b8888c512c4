"""A call group's settings checked one by one before anything is written: what `groups.app`
applies to a row inside its transaction. Errors name the setting as the API names it (the column).
"""
from __future__ import annotations

import re
from typing import Any

from fs_plugins import references, validate
from fs_plugins.audio.library import get_audio
from fs_plugins.callhandling import app as callhandling
from fs_plugins.callhandling import numbers
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.models import ShortNumber, Tenant, User
from fs_plugins.models.groups import (
    ADVANCED, AUDIO, BY_SCHEDULE, GROUP_TYPES, MELODIES, OPENINGS, RING_MODES, SIMPLE, CallGroup)
from fs_plugins.models.schedule import Schedule

_NAME = re.compile(r"[^\W_][\w .\-]{0,63}\Z")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]|\$\s*\{")
_SHORT = re.compile(r"[0-9]{2,6}\Z")
RANGES = {  # setting -> (lowest, highest)
    "member_seconds": (5, 300), "total_seconds": (5, 3600), "queue_size": (1, 500), "max_wait": (10, 7200),
    "announce_every": (0, 3600), "rounds": (1, 20), "service_level_seconds": (1, 3600),
}
DESTINATIONS = ("no_answer_destination", "closed_destination", "overflow_destination")
CHOICES = {"kind": GROUP_TYPES, "ring_mode": RING_MODES, "opening": OPENINGS}
SETTINGS = ("kind", "comment", "melody", "ring_mode", "member_seconds", "total_seconds", "no_answer_destination",
            "opening", "schedule", "closed_destination", "short_number", "queue_size", "max_wait",
            "overflow_destination", "announce_every", "rounds", "callback_key", "service_level_seconds")


def checked_name(tenant: Tenant, name: str, own_id: int | None = None) -> str:
    name = (name or "").strip()
    if not _NAME.match(name) or name.isdigit():
        raise InvalidInput("name", "1-64 letters, digits, spaces, '.', '-' or '_', not only digits")
    clash = CallGroup.select().where(CallGroup.tenant == tenant, CallGroup.name == name)
    if own_id is not None:
        clash = clash.where(CallGroup.id != own_id)
    if clash.exists():
        raise Conflict("name", f"a group named {name!r} already exists")
    return name


def apply(tenant: Tenant, row: CallGroup, changes: dict[str, Any]) -> None:
    """Set the given settings on `row` (None: unchanged); the short number is `sync_short_number`'s."""
    for column, value in changes.items():
        if value is None or column == "short_number":
            continue
        if column in RANGES:
            setattr(row, column, _number(column, value))
        elif column in DESTINATIONS:
            setattr(row, column, None if value == "" else _elsewhere(row, references.resolve(tenant, value, column),
                                                                      column))
        elif column == "melody":
            _set_melody(tenant, row, value)
        elif column in CHOICES:
            setattr(row, column, _choice(column, value))
        elif column == "comment":
            row.comment = _text(column, value, 200)
        elif column == "schedule":
            row.schedule = None if value == "" else _schedule(tenant, value)
        elif column == "callback_key":
            if value not in ("",) + tuple("0123456789*#"):
                raise InvalidInput("callback_key", "must be one key: 0-9, * or #, or empty for none")
            row.callback_key = value
        else:
            raise InvalidInput(column, "unknown group setting")
    if "kind" in changes and row.id is not None:
        _check_kind(row)
    if row.opening == BY_SCHEDULE and row.schedule_id is None:
        raise InvalidInput("schedule", "opening 'schedule' needs a schedule")


def sync_short_number(tenant: Tenant, row: CallGroup, number: str | None) -> None:
    """Keep the core ShortNumber row (what the dialplan reads) in step with the group's."""
    if number is None:
        return
    target = str(Destination("group", str(row.id)))
    ShortNumber.delete().where(ShortNumber.tenant == tenant, ShortNumber.destination == target).execute()
    row.short_number = None
    if number != "":
        if not _SHORT.match(number):
            raise InvalidInput("short_number", "must be 2 to 6 digits")
        if User.select().where(User.tenant == tenant, User.extension == number).exists():
            raise Conflict("short_number", f"{number} is a user's extension")
        if ShortNumber.select().where(ShortNumber.tenant == tenant, ShortNumber.number == number).exists():
            raise Conflict("short_number", f"{number} is already a short number")
        ShortNumber.create(tenant=tenant, number=number, destination=target)
        row.short_number = number
    row.save()


def e164(tenant: Tenant, number: str) -> str:
    return validate.e164(number, tenant.country, "number")


def member_number(tenant: Tenant, number: str) -> str:
    """An external member: E.164, and a number the tenant's outbound restrictions allow."""
    checked = e164(tenant, number)
    barred = numbers.blocked_reason(checked, tenant.country, callhandling.allowed_for(tenant))
    if barred:
        raise InvalidInput("number", f"{checked} is a {barred} number, which the tenant's outbound "
                                     "restrictions do not allow (centralita restrict)")
    return checked


def _set_melody(tenant: Tenant, row: CallGroup, value: str) -> None:
    """ringback | music | audio:<name of a file in the tenant's audio library>."""
    kind, _, name = value.partition(":")
    if kind == AUDIO and name:
        try:
            row.melody, row.melody_audio = AUDIO, get_audio(tenant, name, "melody")
        except NotFound as exc:
            raise InvalidInput("melody", exc.message) from None
    elif value in MELODIES and value != AUDIO:
        row.melody, row.melody_audio = value, None
    else:
        raise InvalidInput("melody", "ringback, music or audio:NAME (a file of the tenant's audio library)")


def _elsewhere(row: CallGroup, destination: Destination, field: str) -> Destination:
    """A group's own destinations must lead out of it: back to itself, a call would loop."""
    if row.id is not None and destination.kind == "group" and destination.object_id == row.id:
        raise InvalidInput(field, f"routes back to the group {row.name!r} itself; choose another destination")
    return destination


def _check_kind(row: CallGroup) -> None:
    stored = CallGroup.get_by_id(row.id).kind
    if stored == ADVANCED and row.kind == SIMPLE:
        raise InvalidInput("kind", "an advanced group cannot go back to simple")


def _number(column: str, value: Any) -> int:
    low, high = RANGES[column]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(column, f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidInput(column, f"must be between {low} and {high}, got {number}")
    return number


def _choice(column: str, value: str) -> str:
    if value not in CHOICES[column]:
        raise InvalidInput(column, f"must be one of {', '.join(CHOICES[column])}")
    return value


def _text(field: str, value: str, limit: int) -> str:
    if len(value) > limit or _UNSAFE.search(value):
        raise InvalidInput(field, f"at most {limit} characters, no control characters or '${{'")
    return value


def _schedule(tenant: Tenant, reference: str) -> Schedule:
    query = Schedule.select().where(Schedule.tenant == tenant)
    found = query.where(Schedule.name == reference).first()
    if found is None and (row_id := parse_id(reference)) is not None:
        found = query.where(Schedule.id == row_id).first()
    if found is None:
        raise InvalidInput("schedule", f"no schedule {reference!r} in {tenant.domain}")
    return found
