"""Row ids as they come from outside (a URL path, a query string, a cursor, a form): an id the
database cannot hold is an unknown id, answered as one (404, or 422 naming the field), never an
integer overflow from the driver (SQLite: "Python int too large to convert to SQLite INTEGER";
PostgreSQL: "out of range for type integer").

Every table's id is peewee's AutoField: SQLite's INTEGER, PostgreSQL's `serial`, a 4-byte integer.
So the widest id any row can have is 2**31 - 1 on either engine (SQLite's would go further only
past two billion rows).
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
MAX_BIGINT = 2**63 - 1  # a BigIntegerField's (times in seconds, sizes) on either engine


def parse_id(text) -> int | None:
    """The id `text` spells (ASCII digits, 1..MAX_ID), or None: no row has any other."""
    text = str(text if text is not None else "").strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_bigint(text) -> int | None:
    """The whole number >= 0 `text` spells if a BigIntegerField holds it (a time in seconds), or None."""
    text = str(text if text is not None else "").strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(MAX_BIGINT)):
        return None
    value = int(text)
    return value if value <= MAX_BIGINT else None


def is_id(value) -> bool:
    """`value` (from decoded JSON, say) is an int a row id can be."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def is_bigint(value) -> bool:
    """`value` (from decoded JSON, say) is an int a BigIntegerField column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_BIGINT - 1 <= value <= MAX_BIGINT


def digits_up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..`limit` (no leading zeros)."""
    text = str(limit)
    options = [f"[1-9]\\d{{0,{len(text) - 2}}}"] if len(text) > 1 else []  # the numbers with fewer digits
    for place, digit in enumerate(text):  # as many digits: the same start, then a smaller digit here
        lowest = 1 if place == 0 else 0
        if int(digit) > lowest:
            options.append(f"{text[:place]}[{lowest}-{int(digit) - 1}]\\d{{{len(text) - place - 1}}}")
    return "(?:" + "|".join([*options, text]) + ")"


class RowIdConverter(IntegerConverter):
    """Flask's `<int:…>` for the ids rows can have: any other number in that place matches no route,
    so it is a 404 as an unknown id is, and never reaches the database.

    By its pattern, not only by `max`: werkzeug's matcher checks a converter's value after the rule
    is chosen, and a value refused then answers 405 when the path has rules for other methods."""

    regex = digits_up_to(MAX_ID)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
