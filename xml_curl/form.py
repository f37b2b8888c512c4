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
A pair without "=" has no value and reads as absent. The body is searched with an "&" put before
and after it: the first pair is then found as every other one, and every value ends at an "&"
(one search and one slice a field, no special case; the copy costs less than those did).

But for the five names mod_xml_curl writes itself, first, before the request's parameters
(mod_xml_curl.c: "hostname=…&section=…&tag_name=…&key_name=…&key_value=…", then the params event's
headers): those read as the first pair of their name, found by a `find` from the start that stops
after a few bytes. The last pair would be a parameter of that name, which cannot stand for what
mod_xml_curl asked (which section), and searching for it scanned the whole body on every request
(`section` is the second pair: ~5 µs of a ~6 KB dialplan fetch, a sixth of all the handler adds).

A read costs more in Python than in its search: the callers read several fields at once through
`values`, with the names' searches made once (`Names`), and every read is written out inline.

The body is not checked as a whole: FreeSWITCH URL-encodes every value, so raw bytes above 127 are
never sent, and checking all ~6 KB of it (`bytes.isascii`) cost ~5,000 instructions a request to
refuse bodies whose odd bytes sit in fields nobody reads. A field that is read and is not UTF-8
raises NotUtf8 at that read (a ValueError), which the handler answers as a malformed request
(xml_curl/app.py). `encoded` decodes nothing, so it never raises: its bytes only key answers,
and a request whose routed fields are not UTF-8 never routes, so no answer is ever kept for them.
"""
from __future__ import annotations

import functools
from urllib.parse import unquote_plus

ABSENT = object()


class NotUtf8(ValueError):
    """A field read that is not UTF-8: the request is malformed (FreeSWITCH's bodies are URL-encoded ASCII)."""

    def __init__(self, name: str):
        super().__init__(f"field {name!r} is not UTF-8")

# Written by mod_xml_curl before the parameters: read as their first pair (the module's docstring).
LEADING = frozenset({"hostname", "section", "tag_name", "key_name", "key_value"})


class Names:
    """Field names read together (`Form.values`), each with its search made once: the needle
    "&name=", its length, and whether it is one of the LEADING names (read as its first pair)."""

    __slots__ = ("names", "searches")

    def __init__(self, *names: str):
        self.names = names
        self.searches = tuple((name, needle, len(needle), name in LEADING)
                              for name, needle in ((name, b"&" + name.encode() + b"=") for name in names))


class Form:
    """`get(name)` / `form[name]` / `name in form`: a field's decoded value (str); `values(names)`:
    several at once."""

    __slots__ = ("_body", "known")

    def __init__(self, raw: bytes):
        """`raw`: the body, not decoded (a read raises NotUtf8 for a field that is not UTF-8: the
        module's docstring). "&" and "=" never occur inside a UTF-8 character, so a field whose
        value is not UTF-8 never hides another."""
        self._body = b"&".join((b"", raw, b""))  # "&" + raw + "&", in one copy (the module's docstring)
        # name -> value or ABSENT, once read: what fs_plugins.metrics labels a request by, read without
        # a call of `get` per label (a Python call costs more than the dict's look-up)
        self.known: dict[str, object] = {}

    def get(self, name: str, default=None):
        read = self.known
        value = read.get(name)
        if value is None:  # the search of `values`, for one name
            body, needle = self._body, _NEEDLES.get(name) or _needle(name)
            at = body.find(needle) if name in LEADING else body.rfind(needle)
            if at < 0:
                value = ABSENT
            else:
                at += len(needle)
                try:
                    value = body[at:body.find(b"&", at)].decode()
                except UnicodeDecodeError:
                    raise NotUtf8(name) from None
                if "%" in value or "+" in value:
                    value = _unquote(value)
            read[name] = value
        return default if value is ABSENT else value

    def values(self, names: Names | tuple[str, ...]) -> list[str]:
        """`get(name, "")` of each of `names` (made once as Names on the hot path), in one call: a
        field read through `get` costs a Python call on top of its search, a dialplan fetch's
        routing reads a dozen, and this loop makes no call but the searches. Each name is searched
        for even when it was read before (the same value: the body does not change): the hot
        paths read each name once, and asking first cost a look-up per name."""
        try:
            searches = names.searches
        except AttributeError:  # a tuple of names
            searches = Names(*names).searches
        read, body = self.known, self._body
        found = []
        for name, needle, size, leading in searches:
            at = body.find(needle) if leading else body.rfind(needle)
            if at < 0:
                read[name] = ABSENT
                found.append("")
            else:
                at += size
                try:  # free in CPython 3.11+ when nothing is raised
                    value = body[at:body.find(b"&", at)].decode()
                except UnicodeDecodeError:
                    raise NotUtf8(name) from None
                if "%" in value or "+" in value:
                    value = _unquote(value)
                read[name] = value
                found.append(value)
        return found

    def encoded(self, names: Names) -> list[bytes]:
        """Each of `names`' value as sent, still URL-encoded (b"" when absent, as `values` gives ""),
        for a key: the same bytes always decode to the same value, and a non-empty value is never
        sent empty, so a key of these tells apart whatever one of `values` would. A value spelled
        two ways is two keys: a miss, never another request's answer. Nothing is decoded (a decode,
        its "%" test and the `known` entry were most of a read's cost) and nothing is kept."""
        body = self._body
        found = []
        for _name, needle, size, leading in names.searches:
            at = body.find(needle) if leading else body.rfind(needle)
            found.append(b"" if at < 0 else body[at + size:body.find(b"&", at + size)])
        return found

    def encoded_pairs(self, prefix: str, names: frozenset[bytes]) -> list[bytes]:
        """The pairs "name=value" (as sent) whose name starts with `prefix` and is one of `names`,
        in the body's order: what `prefixed` would give for those names, undecoded (`encoded`)."""
        body, needle = self._body, _PREFIX_NEEDLES.get(prefix) or _prefix_needle(prefix)
        found = []
        at = body.find(needle)
        while at >= 0:
            end = body.find(b"&", at + 1)
            pair = body[at + 1:end]
            name, equals, _value = pair.partition(b"=")
            if equals and name in names:  # else no value, or a name routing does not read
                found.append(pair)
            at = body.find(needle, end)
        return found

    def __getitem__(self, name: str) -> str:
        value = self.get(name, ABSENT)
        if value is ABSENT:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self.get(name, ABSENT) is not ABSENT

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Every field whose name starts with `prefix`, found in one pass (one search
        per field and one that finds no more, instead of one per name that may be there)."""
        body, needle = self._body, _PREFIX_NEEDLES.get(prefix) or _prefix_needle(prefix)
        found: dict[str, str] = {}
        at = body.find(needle)
        while at >= 0:  # in order: a later pair of a name replaces an earlier one
            end = body.find(b"&", at + 1)  # the pair is body[at + 1:end] (the body ends with "&")
            equals = body.find(b"=", at, end)
            if equals >= 0:  # else no value
                try:
                    value = body[equals + 1:end].decode()
                    name = body[at + 1:equals].decode()
                except UnicodeDecodeError:
                    raise NotUtf8(body[at + 1:equals].decode(errors="replace")) from None
                found[name] = _unquote(value) if "%" in value or "+" in value else value
            at = body.find(needle, end)
        self.known.update(found)  # a later read of one of them is a look-up (an absent one is searched for)
        return found


_NEEDLES: dict[str, bytes] = {}  # name -> b"&name=" (a plain dict: cheaper to ask than an lru_cache)
_PREFIX_NEEDLES: dict[str, bytes] = {}  # prefix -> b"&prefix"


def _needle(name: str) -> bytes:
    needle = b"&" + name.encode() + b"="
    if len(_NEEDLES) < 1024:  # names come from our code, but bounded all the same
        _NEEDLES[name] = needle
    return needle


def _prefix_needle(prefix: str) -> bytes:
    needle = b"&" + prefix.encode()
    if len(_PREFIX_NEEDLES) < 64:
        _PREFIX_NEEDLES[prefix] = needle
    return needle


# Encoded values repeat from call to call (a caller's number and name, a context, a chain), and
# urllib's decoding is pure Python: each distinct one is decoded once.
_unquote = functools.lru_cache(maxsize=8192)(unquote_plus)
