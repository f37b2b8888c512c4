"""E.164 normalisation: the one reading of a phone number, with `phonenumbers` and the tenant's
country as the default region.

Every number Centralita reads goes through `read`: a DID the operator assigns, a forward or
simultaneous-ring target, a number dialled or presented by FreeSWITCH, a contact's number and the
caller-ID looked up among the contacts. One strictness decides what a number is at all: digits with
an optional leading `+` and the separators people type (space ( ) - . /), 2 to 40 characters, that
phonenumbers can parse (so no vanity letters, no `tel:` URIs, no `*` codes). What each caller then
asks of it is a separate, named fact:

  possible   the right length for its country: DIDs (carriers hand out ranges the metadata may not
             know yet) and contacts (a number to match, not to dial) need no more
  allocated  in a range its country allocates (phonenumbers' is_valid_number): what users may dial
             or forward to, and what the dialplan calls (else UNALLOCATED_NUMBER)

Pure and cached (parsing costs ~0.1 ms and runs inside dialplan fetches, where the same numbers
come back again and again).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

MAX_TYPED = 40
# What people type in a phone number: digits and the usual separators, nothing else
# (phonenumbers would otherwise read letters as a vanity number).
_TYPED = re.compile(r"\+?[0-9 ()./\-]{2,40}\Z")


@dataclass(frozen=True)
class Reading:
    """What a text is as a phone number: `e164` is None when it is not a number at all."""

    e164: str | None
    possible: bool = False
    allocated: bool = False


NOT_A_NUMBER = Reading(None)


@functools.lru_cache(maxsize=8192)
def read(text: str, country: str) -> Reading:
    """The number `text` (as typed, dialled or sent by FreeSWITCH) in a tenant of `country`."""
    text = (text or "").strip()
    if not _TYPED.match(text):
        return NOT_A_NUMBER
    try:
        parsed = phonenumbers.parse(text, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return NOT_A_NUMBER
    return Reading(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                   phonenumbers.is_possible_number(parsed), phonenumbers.is_valid_number(parsed))


def possible(text: str, country: str) -> str | None:
    """The E.164 form of a possible number, or None: the key contacts are stored and found by."""
    reading = read(text, country)
    return reading.e164 if reading.possible else None
