"""Splitting the event-socket byte stream into frames, and parsing their headers.

A frame is header lines (`Name: value`), a blank line, then `Content-Length` bytes of body if
that header is present. Event bodies (text/event-plain) are themselves header blocks with
URL-encoded values, and so is the connect reply. greenswitch reads one line per call and
URL-decodes whole blocks before splitting them (a value holding `%0A` then breaks lines);
this parser works on buffered chunks and decodes each value on its own.
"""
from __future__ import annotations

from urllib.parse import unquote

MAX_HEADER_BYTES = 1 << 20  # a header block this large without a blank line is not ESL
MAX_BODY_BYTES = 16 << 20


class ProtocolError(Exception):
    """The peer sent something that is not an event-socket frame."""


def parse_headers(block: bytes | str) -> dict[str, str]:
    text = block.decode("utf-8", "replace") if isinstance(block, (bytes, bytearray)) else block
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        if not line:
            continue
        name, sep, val = line.partition(": ")
        if not sep:
            name, sep, val = line.partition(":")
            if not sep:
                raise ProtocolError(f"header line without a colon: {line[:80]!r}")
        headers[name] = unquote(val) if "%" in val else val
    return headers


class FrameBuffer:
    """Accumulates received bytes and yields complete (headers, body) frames."""

    def __init__(self):
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict[str, str], bytes]]:
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


def _content_length(headers: dict[str, str]) -> int:
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    if not raw.isdigit() or int(raw) > MAX_BODY_BYTES:
        raise ProtocolError(f"bad Content-Length {raw[:20]!r}")
    return int(raw)
