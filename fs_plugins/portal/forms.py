"""Turning what a form sends into the application layer's arguments, without deciding anything:
a value that is not even of the right type is refused naming the field, the rest is the app's."""
from __future__ import annotations

from flask_babel import gettext as _

from fs_plugins.errors import InvalidInput


def whole_number(text: str | None, field: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise InvalidInput(field, _("must be a whole number")) from None


def destination(kind: str | None, target: str | None, own_extension: str = "") -> str:
    """A destination as the application layer reads it (`user:1002`, `number:600…`, `voicemail:1001`)
    from a kind chosen in a list and what was typed; "My voicemail" needs no typing."""
    kind, target = (kind or "").strip(), (target or "").strip()
    if kind == "voicemail" and not target:
        target = own_extension
    if not kind:
        raise InvalidInput("to", _("choose where calls go"))
    if not target:
        raise InvalidInput("to", _("give the extension, number or name"))
    return f"{kind}:{target}"

