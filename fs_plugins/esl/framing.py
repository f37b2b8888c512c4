"""Splitting the event-socket byte stream into frames, and parsing their headers.

A frame is header lines (`Name: value`), a blank line, then `Content-Length` bytes of body if
that header is present. Event bodies (text/event-plain) are themselves header blocks with
URL-encoded values, and so is the connect reply. greenswitch reads one line per call and
URL-decodes whole blocks before splitting them (a value holding `%0A` then breaks lines);
this parser works on buffered chunks and decodes each value on its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

MAX_HEADER_BYTES = 1 << 20  # a header block this large without a blank line is not ESL
MAX_BODY_BYTES = 16 << 20


class ProtocolError(Exception):
    """The peer sent something that is not an event-socket frame."""


class Headers(Mapping):
    """Header block with values URL-decoded on access: an event carries ~170 headers and a flow
    reads a handful, so decoding them all would cost more than everything else on the read path."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, str]):
        self.raw = raw

    def __getitem__(self, name: str) -> str:
        value = self.raw[name]
        return unquote(value) if "%" in value else value

    def __iter__(self):
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, name) -> bool:
        return name in self.raw

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


def parse_headers(block: bytes | str) -> Headers:
    text = block.decode("utf-8", "replace") if isinstance(block, (bytes, bytearray)) else block
    try:
        return Headers(dict([line.split(": ", 1) for line in text.split("\n") if line]))
    except ValueError:
        pass
    raw = {}
    for line in text.split("\n"):  # slow path: tolerate `Name:value`, refuse what has no colon
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError(f"header line without a colon: {line[:80]!r}")
            raw[name] = value.lstrip(" ")
    return Headers(raw)


class FrameBuffer:
    """Accumulates received bytes and yields complete (headers, body) frames."""

    def __init__(self):
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[Headers, bytes]]:
        self._buf += data
        frames = []
        buf = self._buf
        pos = 0
        while True:
            while buf.startswith(b"\n", pos):  # stray blank lines between frames are harmless
                pos += 1
            end = buf.find(b"\n\n", pos)
            if end < 0:
                if len(buf) - pos > MAX_HEADER_BYTES:
                    raise ProtocolError("header block too large")
                break
            headers = parse_headers(bytes(buf[pos:end]))
            length = _content_length(headers)
            if len(buf) < end + 2 + length:
                break
            body = bytes(buf[end + 2:end + 2 + length])
            pos = end + 2 + length
            frames.append((headers, body))
        del buf[:pos]
        return frames


def _content_length(headers: Headers) -> int:
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    if not raw.isdecimal() or int(raw) > MAX_BODY_BYTES:
        raise ProtocolError(f"bad Content-Length {raw[:20]!r}")
    return int(raw)
