"""The request head `serve`'s HTTP servers read (fs_plugins/httphead.py): good heads give what
pywsgi's own parsing gave the application, a malformed one is answered 400 and the connection
closed; on real sockets, with keep-alive and chunked bodies."""
from __future__ import annotations

import io
import json

import pytest
from gevent import socket as gsocket  # cooperative: the in-process server runs in this process

from fs_plugins import httphead
from fs_plugins.httphead import BadHead, read_head
from fs_plugins.httpserver import http_server


def parsed(head: bytes) -> httphead.Request:
    first, _, rest = head.partition(b"\n")
    return read_head((first + b"\n").decode("latin-1"), io.BytesIO(rest).readline)


def test_a_request_head_gives_its_method_target_version_and_fields_in_order():
    request = parsed(b"POST /xml?x=1 HTTP/1.1\r\nHost: pbx\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 12\r\nX-Empty:\r\nX-Spaces: \t a b \t\r\nx-spaces: second\r\n\r\n")
    assert (request.method, request.target, request.version) == ("POST", "/xml?x=1", "HTTP/1.1")
    assert request.head.fields == [("Host", "pbx"), ("Content-Type", "application/x-www-form-urlencoded"),
                                   ("Content-Length", "12"), ("X-Empty", ""), ("X-Spaces", "a b"),
                                   ("x-spaces", "second")]
    assert request.head.get("x-SPACES") == "a b"  # the first, in any case (as the email parser's Message)
    assert request.head.typeheader == "application/x-www-form-urlencoded"
    assert (request.content_length, request.close) == (12, False)


def test_latin1_values_are_read():
    assert parsed(b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: Mu\xf1oz\r\n\r\n").head.get("x-name") == "Mu\xf1oz"


@pytest.mark.parametrize("head", [b"GET / HTTP/1.0\r\n\r\n", b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
                                  b"GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n",
                                  b"GET / HTTP/1.1\r\nHost: [fd00::2]:8080\r\n\r\n",
                                  b"GET / HTTP/1.1\r\nHost: pbx.example.com\r\n\r\n"])
def test_a_host_as_rfc_9112_allows_it_or_none_in_http_1_0_is_accepted(head):
    assert parsed(head).method == "GET"


@pytest.mark.parametrize("head, reason", [
    (b"GET / HTTP/1.1\nHost: pbx\r\n\r\n", "bare LF"), (b"GET / HTTP/1.1\r\nHost: pbx\n\r\n", "bare LF"),
    (b"GET / HTTP/1.1\r\nHost: pbx\r\n\n", "bare LF"), (b"GET / HTTP/1.1\r\n\r\n", "without a Host"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "2 Host fields"),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "Host 'a b'"),
])
def test_a_bare_lf_or_a_wrong_host_is_refused_saying_which(head, reason):
    with pytest.raises(BadHead, match=reason):
        parsed(head)


@pytest.mark.parametrize("head, close", [
    (b"GET / HTTP/1.1\r\nHost: pbx\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: pbx\r\nConnection: keep-alive, Close\r\n\r\n", True),
    (b"GET / HTTP/1.0\r\n\r\n", True),
    (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", False),
])
def test_the_connection_closes_as_the_version_and_connection_field_say(head, close):
    assert parsed(head).close is close


def test_a_chunked_body_has_no_length():
    assert parsed(b"POST / HTTP/1.1\r\nHost: pbx\r\nTransfer-Encoding: Chunked\r\n\r\n").content_length is None


MALFORMED = {
    "request line of two words (HTTP/0.9)": b"GET /\r\n\r\n",
    "unknown version": b"GET / HTTP/2.0\r\n\r\n",
    "two spaces in the request line": b"GET  / HTTP/1.1\r\nHost: pbx\r\n\r\n",
    "CR inside the request line": b"GET /a\rX: y HTTP/1.1\r\nHost: pbx\r\n\r\n",
    "control character in the target": b"GET /\x01 HTTP/1.1\r\nHost: pbx\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost: pbx\r\nHost pbx\r\n\r\n",
    "space before the colon": b"GET / HTTP/1.1\r\nHost: pbx\r\nHost : pbx\r\n\r\n",
    "empty name": b"GET / HTTP/1.1\r\nHost: pbx\r\n: pbx\r\n\r\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: pbx\r\nX-A: one\r\n two\r\n\r\n",
    "CR inside a value": b"GET / HTTP/1.1\r\nHost: pbx\r\nX-A: one\rX-B: two\r\n\r\n",
    "NUL inside a value": b"GET / HTTP/1.1\r\nHost: pbx\r\nX-A: on\x00e\r\n\r\n",
    "header line too long": b"GET / HTTP/1.1\r\nHost: pbx\r\nX-A: " + b"a" * httphead.MAX_LINE + b"\r\n\r\n",
    "too many fields": b"GET / HTTP/1.1\r\nHost: pbx\r\n" + b"X-A: a\r\n" * (httphead.MAX_FIELDS + 1) + b"\r\n",
    "head cut short": b"GET / HTTP/1.1\r\nHost: pbx\r\n",
    "Content-Length not digits": b"POST / HTTP/1.1\r\nHost: pbx\r\nContent-Length: -1\r\n\r\n",
    "Content-Length list": b"POST / HTTP/1.1\r\nHost: pbx\r\nContent-Length: 5, 5\r\n\r\n",
    "two different Content-Lengths": b"POST / HTTP/1.1\r\nHost: pbx\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    "Transfer-Encoding and Content-Length": b"POST / HTTP/1.1\r\nHost: pbx\r\nTransfer-Encoding: chunked\r\n"
                                            b"Content-Length: 5\r\n\r\n",
    "Transfer-Encoding other than chunked": b"POST / HTTP/1.1\r\nHost: pbx\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "HEAD with a body": b"HEAD / HTTP/1.1\r\nHost: pbx\r\nContent-Length: 3\r\n\r\n",
    # RFC 9112 §2.2: a bare LF where a proxy in front may see no line end
    "bare LF ending the request line": b"GET / HTTP/1.1\nHost: pbx\r\n\r\n",
    "bare LF ending a field line": b"GET / HTTP/1.1\r\nHost: pbx\nX-A: a\r\n\r\n",
    "bare LF ending the head": b"GET / HTTP/1.1\r\nHost: pbx\r\n\n",
    # RFC 9112 §3.2: exactly one valid Host
    "HTTP/1.1 without Host": b"GET / HTTP/1.1\r\n\r\n",
    "two Host fields": b"GET / HTTP/1.1\r\nHost: pbx\r\nhost: other\r\n\r\n",
    "two Host fields in HTTP/1.0": b"GET / HTTP/1.0\r\nHost: pbx\r\nHost: pbx\r\n\r\n",
    "Host with a path": b"GET / HTTP/1.1\r\nHost: pbx/other\r\n\r\n",
    "Host with a user": b"GET / HTTP/1.1\r\nHost: user@pbx\r\n\r\n",
}


@pytest.mark.parametrize("head", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_head_is_refused(head):
    with pytest.raises(BadHead):
        parsed(head)


def test_a_head_over_the_size_limit_is_refused():
    line = b"X-A: " + b"a" * (httphead.MAX_LINE - 10) + b"\r\n"
    with pytest.raises(BadHead, match="bytes"):
        parsed(b"GET / HTTP/1.1\r\nHost: pbx\r\n" + line * (httphead.MAX_HEAD // len(line) + 1) + b"\r\n")


# -- over real sockets, through serve's HTTP server ----------------------------------------------

def _echo(environ, start_response):
    """Answers what the application saw: method, path, query, the HTTP_* and CONTENT_* items, the body."""
    seen = {key: value for key, value in environ.items()
            if key.startswith(("HTTP_", "CONTENT_")) or key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING")}
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    body = json.dumps(seen, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def port():
    server = http_server("127.0.0.1", 0, _echo, "tests.httphead")
    server.start()
    yield server.address[1]
    server.stop(timeout=1)


def _answer(sock) -> tuple[bytes, dict | None]:
    """One answer off the connection: (its head, the JSON body) or (b"", None) once it is closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head, json.loads(body) if length else None


def _closed(sock) -> bool:
    sock.settimeout(2)
    return sock.recv(1) == b""


def test_requests_on_a_kept_alive_connection_reach_the_application_as_pywsgi_gave_them(port):
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"POST /freeswitch/xml%20curl?section=dialplan HTTP/1.1\r\nHost: pbx\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n"
                     b"X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nX_Forwarded_For: forged\r\n"
                     b"Cookie: a=1\r\nCookie: b=2\r\n\r\nsection=foo")
        head, seen = _answer(sock)
        assert head.startswith(b"HTTP/1.1 200")
        assert seen == {"REQUEST_METHOD": "POST", "PATH_INFO": "/freeswitch/xml curl", "QUERY_STRING": "section=dialplan",
                        "HTTP_HOST": "pbx", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                        "CONTENT_LENGTH": "11", "HTTP_X_FORWARDED_FOR": "10.0.0.1,10.0.0.2",
                        "HTTP_COOKIE": "a=1; b=2", "body": "section=foo"}
        sock.sendall(b"POST /chunked HTTP/1.1\r\nHost: pbx\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        head, seen = _answer(sock)
        assert seen["body"] == "hello world" and seen["HTTP_TRANSFER_ENCODING"] == "chunked"
        sock.sendall(b"GET /last HTTP/1.1\r\nHost: pbx\r\nConnection: close\r\n\r\n")
        head, seen = _answer(sock)
        assert seen["PATH_INFO"] == "/last" and b"Connection: close" in head
        assert _closed(sock)


@pytest.mark.parametrize("head", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_head_is_answered_400_and_the_connection_closed(port, head):
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        if head.endswith(b"\r\n\r\n") or head.endswith(b"\n\n"):
            sock.sendall(head + b"GET /next HTTP/1.1\r\nHost: pbx\r\n\r\n")  # never read: the connection closes
        else:
            sock.sendall(head)
            sock.shutdown(gsocket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and answer.count(b"HTTP/1.1") == 1, answer[:200]


def test_no_access_log_line_is_formatted_per_request(port, monkeypatch):
    """serve keeps no access log: pywsgi formatted one per request (a date, a string) to throw away."""
    from fs_plugins.httpserver import LimitedHandler

    formatted = []
    monkeypatch.setattr(LimitedHandler, "format_request", lambda self: formatted.append(1) or "")
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: pbx\r\n\r\n")
        assert _answer(sock)[0].startswith(b"HTTP/1.1 200")
    assert formatted == []


def test_a_client_expecting_100_continue_gets_it_before_sending_the_body(port):
    """curl sends `Expect: 100-continue` before a large body and waits for the interim answer."""
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        sock.sendall(b"POST /big HTTP/1.1\r\nHost: pbx\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"hello")
        head, seen = _answer(sock)
    assert head.startswith(b"HTTP/1.1 200") and seen["body"] == "hello"
