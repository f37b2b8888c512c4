"""Every dial string Centralita hands FreeSWITCH is built here.

A dial string is what `bridge` and `originate` ring: a user's registered phones
(``user/1001@acme.example``), an external number through the carrier gateway (the configured
``outbound_dial_template``: ``sofia/gateway/carrier/{digits}``), and variables around a leg
(``[leg_timeout=20]…``, set on that leg only) or around the whole call (``{pbx_flow=record}…``).
FreeSWITCH splits dial strings on ``,`` ``|`` and reads ``[…]``/``{…}`` as variables, and expands
``${…}`` anywhere: so a target must be one leg without those characters (`leg`, which the event
socket's encoder applies to every leg it sends), and a variable's value must not close its
brackets or start another; anything else is refused (InvalidInput), never escaped. Extensions,
domains and numbers reach here already validated. Pure text: no database, no sockets.
"""
from __future__ import annotations

import re
from typing import Mapping

from fs_plugins.errors import InvalidInput

SEPARATORS = frozenset(",|[]{}^ \t")
_FORBIDDEN = ("\r", "\n", "\x00", "${", "$${")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")  # "-": SIP header variables (sip_h_Call-Info)
_VALUE_BREAKERS = frozenset(",[]{}'\"")


def user(extension: str, domain: str) -> str:
    """Every phone the user has registered (FreeSWITCH's `user/` endpoint)."""
    return f"user/{extension}@{domain}"


def gateway(template: str, e164: str) -> str:
    """An E.164 number through the carrier: `template` with {e164} (+34…) or {digits} (34…)."""
    return template.format(e164=e164, digits=e164.lstrip("+"))


def leg(text: str, field: str = "dial string") -> str:
    """One leg, checked: Centralita builds it, but a stray value must never add legs or variables."""
    text = _plain(str(text), field)
    if not text or SEPARATORS & set(text):
        raise InvalidInput(field, f"{text!r} must be one leg without separators , | [ ] {{ }} ^")
    return text


def with_leg_variables(variables: Mapping[str, object], dial: str) -> str:
    """``[name=value,…]dial``: variables of this leg only (none: the dial string as it is)."""
    return f"[{_assignments(variables)}]{dial}" if variables else dial


def with_call_variables(variables: Mapping[str, object], dial: str) -> str:
    """``{name=value,…}dial``: variables of every leg of the call (originate)."""
    return f"{{{_assignments(variables)}}}{dial}" if variables else dial


def _assignments(variables: Mapping[str, object]) -> str:
    pairs = []
    for name, value in variables.items():
        if not _VAR_NAME.match(name):
            raise InvalidInput("variable", f"invalid channel variable name {name!r}")
        text = _plain(str(value), name)
        if _VALUE_BREAKERS & set(text):
            raise InvalidInput(name, f"{text!r} must not contain , [ ] {{ }} or quotes")
        pairs.append(f"{name}={text}")
    return ",".join(pairs)


def _plain(text: str, field: str) -> str:
    for bad in _FORBIDDEN:
        if bad in text:
            raise InvalidInput(field, f"must not contain {bad!r}")
    return text
