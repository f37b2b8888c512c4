"""What may reach FreeSWITCH from a value a user typed.

FreeSWITCH preprocesses the XML our handler returns (``$${var}``, ``X-PRE-PROCESS``) and expands
``${…}`` (including ``${api …}``) in application arguments; CR/LF end an event-socket header.
So user-typed text (display names, contact names, labels) is checked on the way in with
`check_text` and neutralised again on the way out with `neutralise`: a row changed directly in the
database still cannot inject anything.
"""
from __future__ import annotations

import re
import unicodedata

from fs_plugins.errors import InvalidInput

_EXPANSION = re.compile(r"\$+\s*\{")
# Dial-string and application-argument separators a name must never carry into a dial string.
_DIAL_SEPARATORS = set(",|[]{}^'\"\\")
# Plain printable ASCII with none of the characters above needs no work (the usual case).
_ALREADY_SAFE = re.compile(r"[ !#%&()*+\-./0-9:;<=>?@A-Z_`a-z~]*\Z")


def check_text(value: str, field: str, max_length: int = 120, required: bool = True) -> str:
    """Validate free text on input: refuse what could expand or break a header; trim spaces."""
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(field, "must not be empty")
        return ""
    if len(value) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    if _EXPANSION.search(value):
        raise InvalidInput(field, "must not contain '${' (FreeSWITCH would expand it)")
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise InvalidInput(field, "must not contain line breaks or control characters")
    return value


def has_expansion(value: str) -> bool:
    """True when `value` holds what FreeSWITCH would expand (`${`, `$${`, `$ {`)."""
    return bool(_EXPANSION.search(value or ""))


def neutralise(value: str | None, max_length: int = 80) -> str:
    """Make any text safe as a caller-id name or variable value in FreeSWITCH.

    Control characters (CR/LF included) become spaces, `$` is dropped wherever it could start an
    expansion, dial-string separators and quotes are removed; the result is trimmed and bounded.
    """
    if not value:
        return ""
    if len(value) <= max_length and _ALREADY_SAFE.match(value) and value == value.strip() and "  " not in value:
        return value
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    text = _EXPANSION.sub("{", text).replace("$", "")
    text = "".join(ch for ch in text if ch not in _DIAL_SEPARATORS)
    return " ".join(text.split())[:max_length].strip()


def is_safe_token(value: str) -> bool:
    """True for values we build ourselves (domains, extensions, ids) that need no quoting at all."""
    return bool(re.fullmatch(r"[A-Za-z0-9._@:+\-]*", value or ""))
