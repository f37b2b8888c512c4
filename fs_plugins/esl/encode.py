"""The one place where values become FreeSWITCH command text.

Everything a flow sends goes through here. FreeSWITCH expands `${...}` (including `${api ...}`)
in application arguments, and an ESL frame ends at a blank line, so a CR or LF in a value could
inject a whole command. Both are refused, never escaped: nothing legitimate needs them.
Dial strings additionally refuse the separators that would add legs or per-leg variables.
"""
from __future__ import annotations

import re

from fs_plugins import dialstrings
from fs_plugins.errors import InvalidInput

_FORBIDDEN = ("\r", "\n", "\x00", "${", "$${")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_APP_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")


class UnsafeArgument(InvalidInput):
    """A value that would change the command FreeSWITCH runs."""


def value(text: object, field: str = "argument") -> str:
    """A value safe to place in an ESL header or application argument."""
    text = str(text)
    for bad in _FORBIDDEN:
        if bad in text:
            raise UnsafeArgument(field, f"must not contain {bad!r}")
    return text


def token(text: object, field: str = "argument") -> str:
    """One space-separated argument: a safe value that is non-empty and has no whitespace."""
    text = value(text, field)
    if not text or any(ch.isspace() for ch in text):
        raise UnsafeArgument(field, "must be one word (no spaces) and not empty")
    return text


def args(*tokens: object) -> str:
    """Arguments of an application that splits on spaces (play_and_get_digits, record, ...)."""
    return " ".join(token(t, f"argument {i + 1}") for i, t in enumerate(tokens))


def var_name(name: str) -> str:
    if not _VAR_NAME.match(name or ""):
        raise UnsafeArgument("variable", f"invalid channel variable name {name!r}")
    return name


def app_name(name: str) -> str:
    if not _APP_NAME.match(name or ""):
        raise UnsafeArgument("application", f"invalid application name {name!r}")
    return name


def assignment(name: str, text: object) -> str:
    """`name=value` for set/export."""
    return f"{var_name(name)}={value(text, name)}"


def dial_target(text: str) -> str:
    """One bridge leg. Built by Centralita (fs_plugins.dialstrings), but checked so a stray value
    cannot add legs."""
    try:
        return dialstrings.leg(text)
    except InvalidInput as exc:
        raise UnsafeArgument(exc.field, exc.message) from None
