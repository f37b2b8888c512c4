"""Phone numbers of contacts, normalised with `phonenumbers` against the tenant's country.

A contact saved as "91 123 45 67" in a Spanish tenant is stored as +34911234567, so a call from
+34911234567, 0034911234567 or 911234567 finds it with one indexed equality.
"""
from __future__ import annotations

import re

import phonenumbers

from fs_plugins.errors import InvalidInput

# What people type in a phone number cell: digits and the usual separators, nothing else
# (phonenumbers would otherwise read letters as a vanity number).
_TYPED = re.compile(r"\+?[0-9 ()./\-]{2,40}\Z")
MAX_TYPED = 40


def normalise(raw: str, country: str, field: str = "number") -> str:
    """The E.164 form of a number typed by a user, or InvalidInput naming `field`."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(field, "is empty")
    if len(text) > MAX_TYPED or not _TYPED.match(text):
        raise InvalidInput(field, f"{text[:MAX_TYPED]!r} is not a phone number (digits, spaces, + ( ) - . / only)")
    e164 = lookup_key(text, country)
    if e164 is None:
        raise InvalidInput(field, f"{text!r} is not a possible phone number in {country} or in international form")
    return e164


def lookup_key(number: str, country: str) -> str | None:
    """E.164 of a number as FreeSWITCH or a user gives it, or None when it cannot be one."""
    try:
        parsed = phonenumbers.parse(number, country or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def dialable(e164: str, country: str) -> str:
    """What a desk phone should dial: national digits at home, +E.164 abroad."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) != (country or "").upper():
        return e164
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[^0-9]", "", national)
