"""Validation of the core's user-typed values; each failure names the field."""
from __future__ import annotations

import re
import zoneinfo

import holidays
import phonenumbers

from fs_plugins.e164 import read as read_number
from fs_plugins.errors import InvalidInput

RESERVED_CONTEXTS = {"public", "default", "features", "skinny-patterns"}
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_EXTENSION = re.compile(r"[1-9][0-9]{1,5}\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_LANGUAGE = re.compile(r"[a-z]{2}(?:-[A-Z]{2})?\Z")
MIN_PASSWORD = 8


def domain(value: str, field: str = "domain") -> str:
    value = (value or "").strip().lower().rstrip(".")
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidInput(field, f"{value!r} is not a valid SIP domain (like acme.example.com)")
    if value in RESERVED_CONTEXTS:
        raise InvalidInput(field, f"{value!r} is a reserved dialplan context")
    return value


def timezone(value: str, field: str = "timezone") -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(field, f"unknown time zone {value!r} (use an IANA name like Europe/Madrid)") from None
    return value


def language(value: str, field: str = "language") -> str:
    if not _LANGUAGE.match(value or ""):
        raise InvalidInput(field, f"{value!r} is not a language code like es or es-ES")
    return value


def country(value: str, field: str = "country") -> str:
    value = (value or "").strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(field, f"{value!r} is not an ISO 3166 country code like ES")
    return value


def region(country_code: str, value: str | None, field: str = "region") -> str | None:
    """A subdivision the holidays calendar knows (ES + MD is Madrid), or None."""
    if not value:
        return None
    value = value.strip().upper()
    try:
        subdivisions = holidays.country_holidays(country_code).subdivisions
    except NotImplementedError:
        raise InvalidInput(field, f"no regional calendars are known for {country_code}") from None
    if value not in subdivisions:
        raise InvalidInput(field, f"{value!r} is not a region of {country_code} (known: {', '.join(subdivisions)})")
    return value


def extension(value: str, field: str = "extension") -> str:
    value = (value or "").strip()
    if not _EXTENSION.match(value):
        raise InvalidInput(field, f"{value!r} must be 2 to 6 digits, not starting with 0")
    return value


def email(value: str | None, field: str = "email") -> str | None:
    if not value:
        return None
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput(field, f"{value!r} is not an e-mail address")
    return value


def password(value: str, field: str = "password") -> str:
    if len(value or "") < MIN_PASSWORD:
        raise InvalidInput(field, f"must be at least {MIN_PASSWORD} characters")
    if any(ch in value for ch in "\r\n\x00"):
        raise InvalidInput(field, "must not contain line breaks")
    return value


def e164(value: str, default_country: str, field: str = "number", assigned: bool = False) -> str:
    """Any written form of a phone number → E.164, with the tenant's country as default region.

    `assigned` is for DIDs the operator gives a tenant: any number of a possible length is
    accepted (carriers hand out ranges phonenumbers' metadata may not know yet, and test ranges
    like +1 555 01xx); numbers users dial or forward to must be valid numbers.
    """
    reading = read_number(value or "", default_country)
    if reading.e164 is None:
        raise InvalidInput(field, f"{value!r} is not a phone number (digits, spaces, + ( ) - . / only)")
    if not (reading.possible if assigned else reading.allocated):
        raise InvalidInput(field, f"{value!r} is not a valid number in any numbering plan")
    return reading.e164
