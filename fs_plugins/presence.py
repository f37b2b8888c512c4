"""Events Centralita fires inside FreeSWITCH (`sendevent` over the inbound event socket) so its
presence engine tells phones what only Centralita knows: a user's do-not-disturb on their
colleagues' busy lamps. Pure: it builds the events; fs_plugins.fsapi sends them.

The headers are those FreeSWITCH's own modules put on a PRESENCE_IN that is not a channel's
(mod_valet_parking's lot and slot lamps, mod_fifo's queues): `proto`, `login`, `from`, `status`,
`rpid`, `event_type` presence with `alt_event_type` dialog (so sofia notifies both presence and
dialog subscribers), `event_count`, `unique-id` (the pseudo-dialog's id: sofia's dialog-info
uses it as the dialog id, so the "off" event ends the dialog the "on" event opened),
`channel-state`, `answer-state` (confirmed: the lamp shows busy; terminated: idle again) and
`presence-call-direction`. mod_event_socket hands a sendevent whose `unique-id` names a live
session to that session instead of firing it, so the id is derived from the user, never a call's.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PRESENCE_IN = "PRESENCE_IN"
_ADDRESS = re.compile(r"[0-9A-Za-z._-]{1,64}@[0-9A-Za-z.-]{1,253}\Z")
_NAMESPACE = uuid.UUID("5b1d4f9e-2a57-4c3b-9d0e-7c1e2f3a4b5c")  # Centralita's pseudo-dialog ids


@dataclass(frozen=True)
class FsEvent:
    """One event to fire inside FreeSWITCH: its name and its headers, in order."""

    name: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    @property
    def label(self) -> str:
        return f"{self.name} {self.header('from') or ''}".strip()


def dnd(extension: str, domain: str, on: bool) -> FsEvent:
    """The lamp of `extension@domain` while do-not-disturb is `on` (busy), or back to idle."""
    address = f"{extension}@{domain}"
    if not _ADDRESS.match(address):
        raise ValueError(f"not a user's address: {address!r}")
    headers = (
        ("proto", "sip"),
        ("login", address),
        ("from", address),
        ("status", "DND" if on else "Available"),
        ("rpid", "busy" if on else "unknown"),
        ("event_type", "presence"),
        ("alt_event_type", "dialog"),
        ("event_count", "1"),
        ("unique-id", str(uuid.uuid5(_NAMESPACE, f"dnd:{address}"))),
        ("channel-state", "CS_ROUTING" if on else "CS_HANGUP"),
        ("answer-state", "confirmed" if on else "terminated"),
        ("presence-call-direction", "inbound"),
    )
    return FsEvent(PRESENCE_IN, headers)


def sendevent_command(event: FsEvent) -> str:
    """The event socket command that fires `event` (mod_event_socket's `sendevent NAME` followed
    by `Header: value` lines). Nothing that could end a line or start another header passes."""
    lines = [f"sendevent {event.name}"]
    for name, value in event.headers:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name) or re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError(f"header {name!r} cannot be sent")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)
