"""The one Destination every feature routes to, and how it is written down.

A destination is where a call goes next: a user, an external number, an IVR menu, a call group,
a voicemail box, a message from the tenant's audio library, or a hang-up. IVR options, forwards,
group overflow and closed-hours redirects all store one, so a new feature never invents its own.

Stored form (one text column, see `fs_plugins.models.base.DestinationField`): ``kind:target``.
  user:<user id>          the user's own call handling (forwards, DND) applies
  number:<E.164>          an external number, under the tenant's outbound restrictions
  ivr:<menu id>           group:<group id>          message:<audio id>
  voicemail:<user id>     a user's box;  ``voicemail:`` alone is the tenant's general box
  hangup:<cause>          a FreeSWITCH hangup cause from HANGUP_CAUSES
  <plugin kind>:<id>      a kind a plugin adds (fs_plugins.plugins.DestinationKind): always a row id
Ids, not names, are stored so renaming a menu or changing an extension never breaks a route.

Inside a tenant's dialplan context every destination also has a routing extension
(``pbx-<kind>-<target>``): flows and forwards hand a call on with ``transfer <that> XML <context>``,
and the dialplan handler renders it like any dialled number, with every check applied again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from fs_plugins.errors import InvalidInput

KINDS = ("user", "number", "ivr", "group", "voicemail", "message", "hangup")  # the kinds Centralita ships
# A plugin's kind: a lower-case word without '-' (routing extensions are pbx-<kind>-<target>).
PLUGIN_KIND = re.compile(r"[a-z][a-z0-9_]{1,23}\Z")

# Causes a tenant may choose to hang up with (a subset of FreeSWITCH's switch_cause_t names).
HANGUP_CAUSES = (
    "NORMAL_CLEARING",
    "USER_BUSY",
    "CALL_REJECTED",
    "NO_ANSWER",
    "UNALLOCATED_NUMBER",
    "OUTGOING_CALL_BARRED",
    "DESTINATION_OUT_OF_ORDER",
    "NORMAL_TEMPORARY_FAILURE",
)

_ID = re.compile(r"[1-9][0-9]{0,9}\Z")
_E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")
ROUTING_PREFIX = "pbx-"


@dataclass(frozen=True, order=True)
class Destination:
    kind: str
    target: str = ""

    def __post_init__(self):
        check_destination(self.kind, self.target)

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    @property
    def object_id(self) -> int | None:
        """The row id for kinds that point at a row (user, ivr, group, message, voicemail box)."""
        if self.kind in ("number", "hangup") or not self.target:
            return None
        return int(self.target)

    @property
    def routing_extension(self) -> str:
        return f"{ROUTING_PREFIX}{self.kind}-{self.target}"

    @classmethod
    def parse(cls, text: str, field: str = "destination") -> "Destination":
        kind, sep, target = (text or "").partition(":")
        if not sep:
            raise InvalidInput(field, f"expected kind:target with kind one of {', '.join(KINDS)}")
        try:
            return cls(kind.strip(), target.strip())
        except InvalidInput as exc:
            raise InvalidInput(field, exc.message) from None

    @classmethod
    def from_routing_extension(cls, extension: str) -> "Destination | None":
        """The destination a routing extension stands for, or None if it is not one."""
        if not extension.startswith(ROUTING_PREFIX):
            return None
        kind, _, target = extension[len(ROUTING_PREFIX):].partition("-")
        try:
            return cls(kind, target)
        except InvalidInput:
            return None


def check_destination(kind: str, target: str) -> None:
    """Refuse any destination whose target could be anything but what its kind allows.

    This is the guard that keeps dial strings, `${...}` and separators out of every route:
    targets are ids, E.164 numbers or a cause from a fixed list, nothing else. Whether a plugin's
    kind is installed is for the code that resolves and routes it to say (fs_plugins.references).
    """
    if kind not in KINDS and not PLUGIN_KIND.match(kind):
        raise InvalidInput("destination", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "number":
        if not _E164.match(target):
            raise InvalidInput("destination", f"number must be in E.164 form (+34911234567), got {target!r}")
    elif kind == "hangup":
        if target not in HANGUP_CAUSES:
            raise InvalidInput("destination", f"hangup cause must be one of {', '.join(HANGUP_CAUSES)}")
    elif kind == "voicemail":
        if target and not _ID.match(target):
            raise InvalidInput("destination", "voicemail target must be a user id, or empty for the general box")
    elif not _ID.match(target):
        raise InvalidInput("destination", f"{kind} target must be an id, got {target!r}")


HANGUP = Destination("hangup", "NORMAL_CLEARING")
