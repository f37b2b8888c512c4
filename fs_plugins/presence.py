"""Events Centralita fires inside FreeSWITCH (`sendevent` over the inbound event socket) so its
presence engine tells phones what only Centralita knows: a user's do-not-disturb on their
colleagues' busy lamps. Pure: it builds the events; fs_plugins.fsapi sends them.

A phone that subscribes to a colleague (SUBSCRIBE, Event: dialog or presence) makes sofia fire a
PRESENCE_PROBE (sofia_presence.c, sofia_presence_handle_sip_i_subscribe): `proto` sip, `login` the
profile, `from` the subscriber's user@host, `to` the watched user@host (`proto+user@host` for
other protocols), `probe-type` dialog for dialog subscriptions, `sub-call-id`. FreeSWITCH answers
it for real calls only; `probe_answer` is Centralita's answer, the watched user's own state.

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


@dataclass(frozen=True)
class Probe:
    """Who subscribed (`subscriber`) to whose lamp (`extension`@`domain`)."""

    subscriber: str
    extension: str
    domain: str


def probe_of(headers: dict) -> Probe | None:
    """The probe a PRESENCE_PROBE event's headers make, or None when it is not about a SIP user
    watched from their own domain: a subscriber of another domain learns nothing of this one."""
    if (headers.get("proto") or "sip") != "sip":
        return None
    watched, subscriber = headers.get("to") or "", headers.get("from") or ""
    if not _ADDRESS.match(watched) or not _ADDRESS.match(subscriber):
        return None
    extension, _, domain = watched.partition("@")
    if subscriber.partition("@")[2].lower() != domain.lower():
        return None
    return Probe(subscriber, extension, domain.lower())


def on_a_call(extension: str, domain: str) -> FsEvent:
    """`extension@domain` is on a call, for presence (pidf) watchers only: the call's own dialogs
    are FreeSWITCH's to tell dialog watchers, and its hang-up sets the presence back."""
    address = f"{extension}@{domain}"
    if not _ADDRESS.match(address):
        raise ValueError(f"not a user's address: {address!r}")
    return FsEvent(PRESENCE_IN, (("proto", "sip"), ("login", address), ("from", address),
                                 ("status", "On The Phone"), ("rpid", "on-the-phone"), ("event_type", "presence"),
                                 ("event_count", "1")))


def probe_answer(probe: Probe, in_dnd: bool, calling: bool) -> FsEvent:
    """The lamp a new subscriber gets: DND (busy, whatever else), on a call, or idle (the DND
    pseudo-dialog ended, which also puts a lamp left lit out)."""
    if in_dnd:
        return dnd(probe.extension, probe.domain, True)
    if calling:
        return on_a_call(probe.extension, probe.domain)
    return dnd(probe.extension, probe.domain, False)


def sendevent_command(event: FsEvent) -> str:
    """The event socket command that fires `event` (mod_event_socket's `sendevent NAME` followed
    by `Header: value` lines). Nothing that could end a line or start another header passes."""
    lines = [f"sendevent {event.name}"]
    for name, value in event.headers:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name) or re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError(f"header {name!r} cannot be sent")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)
