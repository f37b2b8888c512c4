"""HTTP basic authentication (fs_plugins/httpauth.py): one object checks a request's header."""
from __future__ import annotations

import base64

import pytest

from fs_plugins.httpauth import BasicAuth, basic_auth

TOKEN = base64.b64encode(b"fs:s3cret").decode()
AUTH = BasicAuth(b"fs:s3cret")


def _environ(header: str | None) -> dict:
    return {} if header is None else {"HTTP_AUTHORIZATION": header}


def _inline(header: str | None) -> bool:
    """The check as xml_curl/app.py makes it: the whole header inline, else the fallback alone."""
    environ = _environ(header)
    return environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace") == AUTH.header or AUTH.decoded(environ)


@pytest.mark.parametrize("header,accepted", [
    (f"Basic {TOKEN}", True),  # as FreeSWITCH sends it
    (f"basic {TOKEN}", True),  # the scheme in another case
    (f"BASIC  {TOKEN} ", True),  # and spaces around the token
    ("Basic " + base64.b64encode(b"someone:s3cret").decode(), False),  # a wrong user
    ("Basic " + base64.b64encode(b"fs:wrong").decode(), False),  # a wrong password
    ("Basic " + base64.b64encode(b"fs:s3cret:").decode(), False),
    (f"Bearer {TOKEN}", False),  # another scheme
    (TOKEN, False),  # no scheme
    (None, False),  # no header
    ("", False),
    (f"Basic {TOKEN}x", False),  # not base64
    (f"Basic {TOKEN[:-1]}", False),
    ("Basic \u00e9t\u00e9", False),  # not ASCII: refused, not raised
    ("Basic \u20ac", False),  # not even latin-1
])
def test_a_header_is_accepted_only_when_it_carries_the_credentials(header, accepted):
    assert AUTH.matches(_environ(header)) is accepted
    assert _inline(header) is accepted


def test_the_header_freeswitch_sends_is_the_one_compared_whole():
    assert AUTH.header == f"Basic {TOKEN}".encode()


def test_no_credentials_configured_is_no_check():
    assert basic_auth("", "") is None
    assert basic_auth("fs", "s3cret").expected == b"fs:s3cret"
    assert basic_auth("", "only-a-password").matches(_environ("Basic " + base64.b64encode(b":only-a-password").decode()))
