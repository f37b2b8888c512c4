"""A mod_xml_curl form body whose fields are found when first read, never all decoded.

A dialplan fetch posts ~145 fields in ~6 KB; routing reads about ten, and a cached answer needs
fewer (no Unique-ID, no Caller-* when the Hunt-* fields are there). Matching every field's name
against the used ones (a regular expression over the whole body) cost ~140,000 instructions per
request under callgrind, more than half of all the handler adds to the server's own cost
(benches/b1_xml_curl.py). Here a field is found by one `bytes.rfind` of "&name=": it scans from
the end only as far as the last pair of that name, which is the one a read gives. The Hunt-* fields
routing reads first are the last block FreeSWITCH sends, so those searches stop after a few hundred
bytes. (A `find` from the start, then again after each hit to be sure there is no later pair,
scanned the whole body for every name: ~1.2 µs per KB per field, a fifth of a sip_auth answer.)

A read gives exactly what decoding every pair would give for that name (the pair's value
URL-decoded, the last pair of a name that occurs twice): "&" only ever starts a pair (a value's
own "&" is encoded as %26), so "&name=" found anywhere is a pair named exactly `name`, and the
last one found from the end is the last pair. Names are case-sensitive, as FreeSWITCH sends them.
A pair without "=" has no value and reads as absent.

But for the five names mod_xml_curl writes itself, first, before the request's parameters
(mod_xml_curl.c: "hostname=…&section=…&tag_name=…&key_name=…&key_value=…", then the params event's
headers): those read as the first pair of their name, found by a `find` from the start that stops
after a few bytes. The last pair would be a parameter of that name, which cannot stand for what
mod_xml_curl asked (which section), and searching for it scanned the whole body on every request
(`section` is the second pair: ~5 µs of a ~6 KB dialplan fetch, a sixth of all the handler adds).
"""
from __future__ import annotations

import functools
from urllib.parse import unquote_plus

_ABSENT = object()


class Form:
    """`get(name)` / `form[name]` / `name in form`: a field's decoded value (str); `values(names)`:
    several at once."""

    __slots__ = ("_raw", "_read", "_prefixes")

    def __init__(self, raw: bytes):
        """`raw`: the body. ValueError when it is not UTF-8 (FreeSWITCH's is URL-encoded ASCII)."""
        if not raw.isascii():
            raw.decode("utf-8")  # UnicodeDecodeError is a ValueError; "&" and "=" never occur inside a character
        self._raw = raw
        self._read: dict[str, object] = {}  # name -> value or _ABSENT, once read
        self._prefixes: tuple[str, ...] = ()  # prefixes whose every field is in _read (prefixed)

    def get(self, name: str, default=None):
        value = self._read.get(name, None)
        if value is None:
            value = self._read[name] = self._find(name)
        return default if value is _ABSENT else value

    def values(self, names: tuple[str, ...]) -> list[str]:
        """`get(name, "")` of each of `names`, in one call: a field read through `get` costs ~4,000
        instructions of Python calls (get, the search, the decoding) on top of its search, a
        dialplan fetch's routing reads a dozen, and this loop makes no call but the searches."""
        read, raw, prefixes = self._read, self._raw, self._prefixes
        found = []
        for name in names:
            value = read.get(name, None)
            if value is None:
                if prefixes and name.startswith(prefixes):
                    value = _ABSENT  # all of that prefix's fields were read: this one is not there
                else:  # _start(raw, name), inlined: a call per field costs more than a short search
                    needle = _NEEDLES.get(name) or _needle(name)
                    if name in LEADING:
                        if raw.startswith(needle[1:]):
                            start = len(needle) - 1
                        else:
                            start = raw.find(needle)
                            start = start + len(needle) if start >= 0 else -1
                    else:
                        start = raw.rfind(needle)
                        if start >= 0:
                            start += len(needle)
                        elif raw.startswith(needle[1:]):
                            start = len(needle) - 1
                    if start < 0:
                        value = _ABSENT
                    else:
                        end = raw.find(b"&", start)
                        value = (raw[start:end] if end >= 0 else raw[start:]).decode()
                        if "%" in value or "+" in value:
                            value = _unquote(value)
                read[name] = value
            found.append("" if value is _ABSENT else value)
        return found

    def __getitem__(self, name: str) -> str:
        value = self.get(name, _ABSENT)
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self.get(name, _ABSENT) is not _ABSENT

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Every field whose name starts with `prefix`, found in one pass (one search
        per field and one that finds no more, instead of one per name that may be there)."""
        raw, needle = self._raw, b"&" + prefix.encode()
        found: dict[str, str] = {}
        if raw.startswith(needle[1:]):
            self._pair(0, found)
        at = raw.find(needle)
        while at >= 0:  # in order: a later pair of a name replaces an earlier one
            self._pair(at + 1, found)
            at = raw.find(needle, at + 1)
        if prefix not in self._prefixes:
            self._prefixes += (prefix,)
            self._read.update(found)
        return found

    def _pair(self, start: int, found: dict[str, str]) -> None:
        """The pair starting at `start`, into `found`."""
        raw = self._raw
        equals, amp = raw.find(b"=", start), raw.find(b"&", start)
        if equals < 0 or 0 <= amp < equals:
            return  # no value
        found[raw[start:equals].decode()] = _value(raw, equals + 1, amp)

    def _find(self, name: str):
        if self._prefixes and name.startswith(self._prefixes):
            return _ABSENT  # all of that prefix's fields were read: this one is not there
        raw = self._raw
        start = _start(raw, name)
        return _ABSENT if start < 0 else _value(raw, start, raw.find(b"&", start))


# Written by mod_xml_curl before the parameters: read as their first pair (the module's docstring).
LEADING = frozenset({"hostname", "section", "tag_name", "key_name", "key_value"})


def _start(raw: bytes, name: str) -> int:
    """Where the value of `name`'s pair starts (its last pair; a LEADING name's first), -1: none."""
    needle = _NEEDLES.get(name) or _needle(name)
    if name in LEADING:
        if raw.startswith(needle[1:]):
            return len(needle) - 1
        at = raw.find(needle)
        return at + len(needle) if at >= 0 else -1
    at = raw.rfind(needle)  # the last pair of that name: the one decoding every pair would keep
    if at >= 0:
        return at + len(needle)
    return len(needle) - 1 if raw.startswith(needle[1:]) else -1


_NEEDLES: dict[str, bytes] = {}  # name -> b"&name=" (a plain dict: cheaper to ask than an lru_cache)


def _needle(name: str) -> bytes:
    needle = b"&" + name.encode() + b"="
    if len(_NEEDLES) < 1024:  # names come from our code, but bounded all the same
        _NEEDLES[name] = needle
    return needle


def _value(raw: bytes, start: int, end: int) -> str:
    value = (raw[start:end] if end >= 0 else raw[start:]).decode()
    return _unquote(value) if "%" in value or "+" in value else value


# Encoded values repeat from call to call (a caller's number and name, a context, a chain), and
# urllib's decoding is pure Python: each distinct one is decoded once.
_unquote = functools.lru_cache(maxsize=8192)(unquote_plus)
