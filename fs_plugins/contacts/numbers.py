"""Phone numbers of contacts, normalised by fs_plugins.e164 against the tenant's country (a
possible number is enough: a contact's number is matched, not dialled).

A contact saved as "91 123 45 67" in a Spanish tenant is stored as +34911234567, so a call from
+34911234567, 0034911234567 or 911234567 finds it with one indexed equality.
"""
from __future__ import annotations

import re

import phonenumbers

from fs_plugins.e164 import MAX_TYPED, read
from fs_plugins.errors import InvalidInput


def normalise(raw: str, country: str, field: str = "number") -> str:
    """The E.164 form of a number typed by a user, or InvalidInput naming `field`."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(field, "is empty")
    reading = read(text, country)
    if reading.e164 is None:
        raise InvalidInput(field, f"{text[:MAX_TYPED]!r} is not a phone number (digits, spaces, + ( ) - . / only)")
    if not reading.possible:
        raise InvalidInput(field, f"{text!r} is not a possible phone number in {country} or in international form")
    return reading.e164


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
