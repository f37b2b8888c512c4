"""HTTP basic authentication for the servers FreeSWITCH posts to (xml_curl, json_cdr)."""
from __future__ import annotations

import base64
import binascii
import hmac


def expected_basic(user: str, password: str) -> bytes | None:
    """The credentials to require, or None when neither is configured (auth off)."""
    if not (user or password):
        return None
    return f"{user}:{password}".encode()


def basic_matches(environ, expected: bytes) -> bool:
    """True when the request's Authorization header carries exactly `expected` (constant time)."""
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected)
