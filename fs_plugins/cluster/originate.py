"""Which FreeSWITCH originates a call Centralita places (issue 17 [14] item 4, the queue callback).

With several media servers a phone registers on one of them (or on Kamailio, which every server
reaches through the proxy). A call to `user/<ext>@<domain>` is originated on the server where
mod_sofia has a contact for it (`sofia_contact`, which answers `error/user_not_registered`
otherwise: mod_sofia.c's sofia_contact_function); with none (a number through the carrier, or a
phone registered through Kamailio or nowhere) on the first enabled server that answers at all, in
name order. A server that does not answer is skipped. None: no media server answered (the caller
then uses the configured FreeSWITCH, as on one machine).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from fs_plugins.fsapi import EventSocket, FreeswitchUnavailable

_USER = re.compile(r"^user/(?P<user>[^@/\s{}\[\]]+@[^@/\s{}\[\]]+)$")
NOT_REGISTERED = "error/"


def registered_user(dial: str) -> str | None:
    """'1001@acme.example' for 'user/1001@acme.example'; None for any other dial string."""
    match = _USER.match(dial)
    return match.group("user") if match else None


def choose(dial: str, servers: Iterable[EventSocket], ask: Callable[[EventSocket, str], str]) -> EventSocket | None:
    """`ask(server, command)` runs an API command on a server (FreeswitchUnavailable: unreachable)."""
    user = registered_user(dial)
    command = f"sofia_contact {user}" if user else "status"
    answering = None
    for server in sorted(servers, key=lambda server: server.name):
        try:
            reply = ask(server, command).strip()
        except FreeswitchUnavailable:
            continue
        if user and reply and not reply.startswith(NOT_REGISTERED):
            return server  # the phone is registered here
        answering = answering or server
        if not user:
            break
    return answering
