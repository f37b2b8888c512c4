"""Read an HTTP/1.x request head, strictly: what `serve`'s HTTP servers use instead of pywsgi's parsing.

pywsgi hands the header lines to the standard library's email parser (http.client.parse_headers)
and then splits them again to build the environ: ~80 µs of CPU per request head under callgrind,
more than the xml_curl handler's own work on a cached answer (benches/b1_xml_curl.py). Here each
line is checked and split by one regular expression, ~8 µs a head.

Strict where a lenient reading lets two parties disagree on where a request ends (request
smuggling through a proxy) or lets a client's bytes become another header: anything but the
RFC 9112 grammar is BadHead, which the server answers 400 and closes the connection.
* the request line is `method SP target SP HTTP/1.0|1.1`; HTTP/0.9's two-word line is refused;
* a field line is `name ":" OWS value OWS`: no space before the colon, no line without one;
* obs-fold (a line starting with a space or tab, continuing the last one) is refused (RFC 9112
  §5.2 lets a server do so), as is any control character but tab in a value: a CR or LF inside a
  line, a NUL;
* a line longer than MAX_LINE, more than MAX_FIELDS fields or a head over MAX_HEAD bytes;
* Content-Length other than digits, or twice with different values; Transfer-Encoding other than
  a single `chunked`, or together with Content-Length (RFC 9112 §6.1 lets a server refuse it);
* an HTTP/1.1 request without a Host field, any request with more than one, or a Host value that
  is not `host[:port]` (RFC 9112 §3.2: a server MUST answer these 400);
* a line ended by a bare LF: every line of the head ends in CRLF. RFC 9112 §2.2 lets a recipient
  accept a bare LF, but a proxy in front that does not would read the head's end elsewhere than we
  do; every client here sends CRLF (FreeSWITCH's libcurl, phones fetching provisioning files, wrk
  in benches/, the tests' raw clients).
Field values are latin-1, as WSGI wants.

Pure: `read_head` reads through the `readline` it is given (the connection's buffered reader).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

MAX_LINE = 8192  # pywsgi's own request-line limit (it answers 414 beyond it)
MAX_FIELDS = 100
MAX_HEAD = 64 * 1024

_REQUEST_LINE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) (HTTP/1\.[01])\r\n\Z")
_FIELD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*((?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)"
                    rb"[ \t]*\r\n\Z")
_BARE_LF = "line ended by a bare LF, not CRLF"
_DIGITS = re.compile(r"[0-9]{1,18}\Z")
# RFC 3986's host (an IP literal in brackets, or a reg-name / IPv4 address) and an optional port
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[-0-9A-Za-z._~!$&'()*+,;=%]*)(?::[0-9]*)?\Z")


class BadHead(ValueError):
    """The request head breaks HTTP/1.1's grammar or a limit (answered 400, connection closed)."""


class Head:
    """The request's header fields, with what pywsgi's handler reads of them (get, getheader,
    typeheader, headers, status)."""

    __slots__ = ("fields", "_names", "_first")
    status = ""  # pywsgi refuses a request whose parsed headers carry a status (a parse error)

    def __init__(self, fields: list[tuple[str, str]]):
        self.fields = fields  # (name as sent, value without surrounding whitespace), in order
        self._names = [name.lower() for name, _ in fields]
        self._first: dict[str, str] = {}
        for name, (_, value) in zip(self._names, fields):
            self._first.setdefault(name, value)

    def get(self, name: str, default=None):
        """The first field of that name (any case), as the email parser's Message.get gives it."""
        return self._first.get(name.lower(), default)

    getheader = get

    @property
    def typeheader(self) -> str | None:
        return self._first.get("content-type")

    @property
    def headers(self) -> list[str]:
        return [f"{name}: {value}\r\n" for name, value in self.fields]

    def values(self, name: str) -> list[str]:
        name = name.lower()
        if name not in self._first:
            return []
        return [value for lowered, (_, value) in zip(self._names, self.fields) if lowered == name]


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str  # "HTTP/1.0" or "HTTP/1.1"
    head: Head
    content_length: int | None  # None: no body, or a chunked one
    close: bool  # the client asked to close after this request


def read_head(requestline: str, readline: Callable[[int], bytes]) -> Request:
    """The request whose first line (latin-1, with its line end) is `requestline`, its header
    lines read one by one through `readline(limit)` up to the empty line. BadHead if malformed."""
    matched = _REQUEST_LINE.match(requestline)
    if matched is None:
        problem = _BARE_LF if _ends_in_bare_lf(requestline.encode("latin-1")) else "malformed request line"
        raise BadHead(f"{problem} {_shown(requestline)}")
    method, target, version = matched.groups()
    fields: list[tuple[str, str]] = []
    size = len(requestline)
    while True:
        line = readline(MAX_LINE + 1)
        size += len(line)
        if line == b"\r\n":
            break
        if len(fields) >= MAX_FIELDS or size > MAX_HEAD:
            raise BadHead(f"request head over {MAX_FIELDS} fields or {MAX_HEAD} bytes")
        fields.append(field(line))
    head = Head(fields)
    _check_host(head, version)
    content_length = _content_length(head, method)
    return Request(method, target, version, head, content_length, _closes(head, version))


def field(line: bytes) -> tuple[str, str]:
    """(name, value) of one header line (with its line end)."""
    matched = _FIELD.match(line)
    if matched is not None:
        name, value = matched.groups()
        return name.decode("ascii"), value.decode("latin-1")
    if not line.endswith(b"\n"):
        raise BadHead("header line too long or cut short" if line else "connection closed inside the head")
    if _ends_in_bare_lf(line):
        raise BadHead(f"{_BARE_LF} {_shown(line)}")
    if line[:1] in (b" ", b"\t"):
        raise BadHead("obs-fold (a header line continued on the next) is not accepted")
    if b":" not in line:
        raise BadHead(f"header line without a colon {_shown(line)}")
    raise BadHead(f"malformed header line {_shown(line)}")


def _ends_in_bare_lf(line: bytes) -> bool:
    return line.endswith(b"\n") and not line.endswith(b"\r\n")


def _check_host(head: Head, version: str) -> None:
    hosts = head.values("host")
    if len(hosts) > 1:
        raise BadHead(f"{len(hosts)} Host fields")
    if not hosts and version == "HTTP/1.1":
        raise BadHead("an HTTP/1.1 request without a Host field")
    if hosts and _HOST.match(hosts[0]) is None:
        raise BadHead(f"Host {_shown(hosts[0])}")


def _content_length(head: Head, method: str) -> int | None:
    encodings = head.values("transfer-encoding")
    lengths = head.values("content-length")
    if encodings:
        if len(encodings) > 1 or encodings[0].lower() != "chunked":
            raise BadHead(f"Transfer-Encoding {_shown(', '.join(encodings))} (only chunked is served)")
        if lengths:
            raise BadHead("both Transfer-Encoding and Content-Length")
        return None
    if not lengths:
        return None
    if any(_DIGITS.match(value) is None for value in lengths) or len(set(lengths)) > 1:
        raise BadHead(f"Content-Length {_shown(', '.join(lengths))}")
    length = int(lengths[0])
    if length and method == "HEAD":
        raise BadHead("a HEAD request with a body")
    return length


def _closes(head: Head, version: str) -> bool:
    options = {option.strip().lower() for value in head.values("connection") for option in value.split(",")}
    if version == "HTTP/1.1":
        return "close" in options
    return "keep-alive" not in options


def _shown(text: str | bytes) -> str:
    """A short, printable rendering of a client's bytes for a log line (never the raw bytes)."""
    return repr(text[:60]) + ("…" if len(text) > 60 else "")
