"""HTTP basic authentication for the servers FreeSWITCH posts to (xml_curl, json_cdr)."""
from __future__ import annotations

import base64
import binascii
import hmac


class BasicAuth:
    """The credentials a server requires, and the one check of a request's Authorization header.

    `header` is the header as FreeSWITCH sends it on every request: compared whole (decoding it
    costs more than the rest of a cached directory answer), by `matches`, or inline by a hot path
    that cannot afford the call (xml_curl/app.py), which then asks `decoded` alone: any other
    spelling of the scheme or padding, decoded, without comparing the whole header a second time."""

    __slots__ = ("expected", "header")

    def __init__(self, expected: bytes):
        self.expected = expected
        self.header = b"Basic " + base64.b64encode(expected)

    def matches(self, environ) -> bool:
        """True when the request's Authorization header carries exactly `expected` (constant time)."""
        return (hmac.compare_digest(environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace"), self.header)
                or self.decoded(environ))

    def decoded(self, environ) -> bool:
        """`matches` for a header other than `header`: the scheme in any case, the token decoded."""
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self.expected)


def basic_auth(user: str, password: str) -> BasicAuth | None:
    """The credentials to require, or None when neither is configured (auth off)."""
    if not (user or password):
        return None
    return BasicAuth(f"{user}:{password}".encode())
