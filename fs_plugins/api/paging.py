"""Keyset paging: `?limit=N&after=CURSOR`, answered as {"items": [...], "next": CURSOR or null}.

The cursor is the sort key of the last item shown, opaque to clients (base64 of JSON). Keyset
instead of offsets so the 10,000th page costs what the first does and a row added meanwhile
neither repeats nor skips an item.
"""
from __future__ import annotations

import base64
import binascii
import json

from apiflask.fields import Integer, String
from apiflask.validators import Range

from fs_plugins.api.schema import Schema
from fs_plugins.errors import InvalidInput

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class PageQuery(Schema):
    limit = Integer(load_default=DEFAULT_LIMIT, validate=Range(1, MAX_LIMIT),
                    metadata={"description": "items per page (1-1000)"})
    after = String(load_default=None, metadata={"description": "the `next` value of the previous page"})


def encode(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, field: str = "after"):
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput(field, "not a cursor this API gave out; use the `next` value of a page") from None


def page(items: list, limit: int, key) -> dict:
    """`items` fetched with limit + 1 rows: the extra row only says whether there is a next page."""
    shown = items[:limit]
    more = len(items) > limit
    return {"items": shown, "next": encode(key(shown[-1])) if more and shown else None}


def keyset(listing, key: str, query: dict) -> dict:
    """One page of an application-layer list function ordered by its unique `key` (an attribute of
    its views): `listing(after, limit)` is called with the decoded cursor and one item more than
    the page, which says whether another page follows."""
    after = decode(query["after"])
    found = listing(None if after is None else str(after), query["limit"] + 1)
    return page(found, query["limit"], lambda item: getattr(item, key))
