"""HTTP basic authentication for the servers FreeSWITCH posts to (xml_curl, json_cdr)."""
from __future__ import annotations

import base64
import binascii
import functools
import hmac


def expected_basic(user: str, password: str) -> bytes | None:
    """The credentials to require, or None when neither is configured (auth off)."""
    if not (user or password):
        return None
    return f"{user}:{password}".encode()


def basic_matches(environ, expected: bytes) -> bool:
    """True when the request's Authorization header carries exactly `expected` (constant time)."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    # What FreeSWITCH sends on every request, compared whole (decoding it costs more than the rest
    # of a cached directory answer); any other spelling of the scheme or padding is decoded below.
    if hmac.compare_digest(header.encode("latin-1", "replace"), basic_header(expected)):
        return True
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected)


@functools.lru_cache(maxsize=8)
def basic_header(expected: bytes) -> bytes:
    """The Authorization header that carries `expected` as FreeSWITCH spells it."""
    return b"Basic " + base64.b64encode(expected)
