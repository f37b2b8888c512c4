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


class RowIdConverter(IntegerConverter):
    """Flask's `<int:…>` bounded to the ids rows can have: a longer number matches no route (404,
    as an unknown id) instead of reaching the database. Both front ends install it as `int`."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
