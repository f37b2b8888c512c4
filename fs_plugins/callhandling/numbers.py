"""External numbers: parsed with `phonenumbers`, classified, and checked against restrictions.

A number is dialled as the caller wrote it (national, 00-prefixed or +E.164) and parsed with the
tenant's country as the default region. Categories (also the `pbx_block_reason` of a barred call):

  national       fixed lines of the tenant's country (and fixed-or-mobile where indistinguishable)
  mobile         mobile numbers of the tenant's country
  special        shared cost, UAN, personal, VoIP, pager and unknown types (e.g. Spanish 902)
  premium        premium rate, at home or abroad (e.g. Spanish 803/806/807, US 1-900)
  international  any number whose country calling code is not the tenant's

Toll-free numbers are always allowed. "International" compares country calling codes, not
regions: a US tenant calling Canada (+1) dials nationally and pays like it.
"""
from __future__ import annotations

import functools
from typing import Iterable

import phonenumbers
from phonenumbers import PhoneNumberType as T

from fs_plugins.e164 import read
from fs_plugins.errors import InvalidInput

CATEGORIES = ("national", "mobile", "special", "premium", "international")
DEFAULT_ALLOWED = frozenset({"national", "mobile", "special"})
INVALID_FORMAT = "INVALID_NUMBER_FORMAT"
UNALLOCATED = "UNALLOCATED_NUMBER"
BARRED = "OUTGOING_CALL_BARRED"

_TYPE_CATEGORY = {
    T.FIXED_LINE: "national",
    T.FIXED_LINE_OR_MOBILE: "national",
    T.MOBILE: "mobile",
    T.PREMIUM_RATE: "premium",
}


def normalise(dialled: str, country: str) -> tuple[str | None, str | None]:
    """(E.164, None) for an allocated number, or (None, hangup cause) for one that cannot be called:
    INVALID_NUMBER_FORMAT when it is no number at all, UNALLOCATED_NUMBER otherwise (fs_plugins.e164,
    cached there)."""
    reading = read(dialled, country)
    if reading.e164 is None:
        return None, INVALID_FORMAT
    if not reading.allocated:
        return None, UNALLOCATED
    return reading.e164, None


@functools.lru_cache(maxsize=4096)
def categories(e164: str, country: str) -> tuple[str, ...]:
    """What kinds of number this is, most specific cost first: premium, then international or
    the type at home. An empty tuple means a toll-free number at home (always allowed).
    """
    parsed = phonenumbers.parse(e164, None)
    kind = phonenumbers.number_type(parsed)
    found = []
    if kind == T.PREMIUM_RATE:
        found.append("premium")
    if parsed.country_code != phonenumbers.country_code_for_region((country or "").upper()):
        return tuple(found) + ("international",)  # abroad, the type at home does not matter
    if kind == T.TOLL_FREE:
        return tuple(found)
    category = _TYPE_CATEGORY.get(kind, "special")
    return tuple(found) if category in found else tuple(found) + (category,)


def blocked_reason(e164: str, country: str, allowed: frozenset[str]) -> str | None:
    """The first category of the number that is not allowed (the block reason), or None."""
    for category in categories(e164, country):
        if category not in allowed:
            return category
    return None


def parse_allowed(text: str, field: str = "--allow") -> frozenset[str]:
    """`national,mobile` → the set; `none` → nothing allowed (toll-free only); `all` → everything."""
    value = (text or "").strip().lower()
    if value == "none":
        return frozenset()
    if value == "all":
        return frozenset(CATEGORIES)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise InvalidInput(field, f"list categories ({', '.join(CATEGORIES)}), or 'all' or 'none'")
    unknown = [item for item in items if item not in CATEGORIES]
    if unknown:
        raise InvalidInput(field, f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                                  f"use {', '.join(CATEGORIES)}, 'all' or 'none'")
    return frozenset(items)


@functools.lru_cache(maxsize=256)
def stored_allowed(text: str | None) -> frozenset[str]:
    """Read a stored list leniently: unknown words (a hand-edited row) allow nothing extra."""
    if text is None:
        return DEFAULT_ALLOWED
    return frozenset(item.strip() for item in text.split(",")) & frozenset(CATEGORIES)


def format_allowed(allowed: Iterable[str]) -> str:
    chosen = [c for c in CATEGORIES if c in set(allowed)]
    return ",".join(chosen) if chosen else "none"
