"""The words of custom call flows: the typed settings a flow declares, and how a value is checked.

A flow declares its settings as `Setting`s (``Setting("crm_url", URL, required=True)``). The
operator gives tenant-wide values when enabling the flow for a tenant, the tenant's admin gives
per-route values when attaching it (a route is what a number, an IVR key or a forward points at);
a route's value wins over the tenant's, which wins over the default. Every value is checked here
before it is stored, so a flow reads values of the declared type only.

Types: TEXT (one line, nothing FreeSWITCH would expand), INTEGER (within minimum..maximum),
BOOLEAN, CHOICE (one of `choices`), URL (http or https), SECRET (digits or text never shown back
in clear: a PIN), DESTINATION (``user:1001``, ``voicemail:`` …, resolved inside the tenant when
stored, by the application layer: fs_plugins.callflows.settings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fs_plugins.errors import InvalidInput
from fs_plugins.fsvalues import check_text

TEXT, INTEGER, BOOLEAN, CHOICE, URL, SECRET, DESTINATION = (
    "text", "integer", "boolean", "choice", "url", "secret", "destination")
TYPES = (TEXT, INTEGER, BOOLEAN, CHOICE, URL, SECRET, DESTINATION)

FLOW_NAME = re.compile(r"[a-z][a-z0-9_]{1,31}\Z")  # a flow's and a route's name
_SETTING_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
SHOWN_SECRET = "(set)"


@dataclass(frozen=True)
class Setting:
    """One setting a flow declares. `default` None with `required` False: the flow gets None."""

    name: str
    type: str = TEXT
    default: Any = None
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    pattern: str | None = None  # text and secrets: a regular expression the whole value must match
    pattern_help: str = ""  # how a person reads the pattern: "4 to 8 digits"

    def __post_init__(self):
        if not _SETTING_NAME.match(self.name):
            raise ValueError(f"setting name {self.name!r}: lower-case letters, digits and _ (at most 32)")
        if self.type not in TYPES:
            raise ValueError(f"setting {self.name}: type {self.type!r} is not one of {', '.join(TYPES)}")
        if self.type == CHOICE and not self.choices:
            raise ValueError(f"setting {self.name}: a choice needs its choices")

    def check(self, raw: Any, field: str) -> Any:
        """The value `raw` (typed text or a JSON value) as this setting's type, or InvalidInput(field)."""
        if isinstance(raw, (dict, list, tuple, float)):
            raise InvalidInput(field, "must be one value: text, a whole number or true/false")
        if self.type == BOOLEAN:
            return _boolean(raw, field)
        if self.type == INTEGER:
            return self._integer(raw, field)
        text = check_text("" if raw is None else str(raw), field, self.max_length)
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise InvalidInput(field, f"must be {self.pattern_help or 'like ' + self.pattern}")
        if self.type == CHOICE and text not in self.choices:
            raise InvalidInput(field, f"must be one of {', '.join(self.choices)}")
        if self.type == URL:
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InvalidInput(field, "must be an http:// or https:// address")
        return text

    def shown(self, value: Any) -> Any:
        """How a stored value reads back: a secret never in clear."""
        return SHOWN_SECRET if self.type == SECRET and value not in (None, "") else value

    def describe(self) -> str:
        """One line for `centralita flow list`: ``crm_url (url, required): where to look callers up``."""
        facts = [self.type]
        if self.type == CHOICE:
            facts.append("|".join(self.choices))
        if self.minimum is not None or self.maximum is not None:
            facts.append(f"{'' if self.minimum is None else self.minimum}..{'' if self.maximum is None else self.maximum}")
        facts.append("required" if self.required else f"default {self.default!r}")
        return f"{self.name} ({', '.join(facts)})" + (f": {self.help}" if self.help else "")

    def _integer(self, raw: Any, field: str) -> int:
        if isinstance(raw, bool):
            raise InvalidInput(field, "must be a whole number")
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise InvalidInput(field, f"must be a whole number, got {raw!r}") from None
        if self.minimum is not None and number < self.minimum:
            raise InvalidInput(field, f"must be at least {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise InvalidInput(field, f"must be at most {self.maximum}")
        return number


def _boolean(raw: Any, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(field, "must be true or false")


def check_flow_name(name: str, field: str = "flow") -> str:
    name = (name or "").strip()
    if not FLOW_NAME.match(name):
        raise InvalidInput(field, "a name is 2-32 lower-case letters, digits or _, starting with a letter")
    return name
