"""Which FreeSWITCH originates a call Centralita places (issue 17 [14] item 4): the queue callback
and record-by-phone both ask here, so every call Centralita makes follows one rule.

With several media servers a phone registers on one of them (or on Kamailio, which every server
reaches through the proxy). In order:

  1. a media server the operator chose by name (record-by-phone's --media-server / media_server);
  2. for `user/<ext>@<domain>`, the server where mod_sofia has a contact for the phone;
  3. the first enabled server that answers at all, in name order (a number through the carrier,
     or a phone registered through Kamailio or nowhere); a server that does not answer is skipped;
  4. None: no media server registered or none answered: the configured FreeSWITCH, as on one machine.

The phone is looked up on every SIP profile (`sofia_contact */<ext>@<domain>`, as the directory's
dial-string does), not on the profile the domain happens to be an alias of. Only a real contact
counts as "registered here": mod_sofia's sofia_contact_function answers
`sofia/<profile>/<contact>` (several joined by ","), or `error/user_not_registered` (older
versions: nothing). A reply such as `-ERR no reply` or `-ERR sofia_contact Command not found!`
says the server answered, not that it has the phone.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins import hostport
from fs_plugins.cluster import feeds
from fs_plugins.fsapi import EventSocket, FreeswitchApi, FreeswitchUnavailable, media_server_socket
from fs_plugins.models.cluster import MediaServer

_USER = re.compile(r"^user/(?P<user>[^@/\s{}\[\]]+@[^@/\s{}\[\]]+)$")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\Z")  # as cluster/app.py accepts names
CONTACT = "sofia/"  # how every contact sofia_contact_function writes begins
ASK_SECONDS = 2.0  # a media server that cannot say where a phone is within this is skipped


def registered_user(dial: str) -> str | None:
    """'1001@acme.example' for 'user/1001@acme.example'; None for any other dial string."""
    match = _USER.match(dial)
    return match.group("user") if match else None


def is_contact(reply: str) -> bool:
    """True for a reply of sofia_contact that names where the phone is registered."""
    return reply.strip().startswith(CONTACT)


def route(dial: str, servers: Iterable[EventSocket], ask: Callable[[EventSocket, str], str],
          chosen: EventSocket | None = None) -> EventSocket | None:
    """The server to originate `dial` on (None: the configured FreeSWITCH). `ask(server, command)`
    runs an API command on a server (FreeswitchUnavailable: unreachable)."""
    if chosen is not None:
        return chosen
    user = registered_user(dial)
    command = f"sofia_contact */{user}" if user else "status"  # */: every profile, as the directory's dial-string
    answering = None
    for server in sorted(servers, key=lambda server: server.name):
        try:
            reply = ask(server, command)
        except FreeswitchUnavailable:
            continue
        if user and is_contact(reply):
            return server  # the phone is registered here
        answering = answering or server
        if not user:
            break
    return answering


# -- the I/O edge: the media servers as the database has them, asked over their event sockets ----
def named_server(name: str | None, field: str = "media_server") -> EventSocket | None:
    """The enabled media server called `name` (None for no name); InvalidInput naming `field` for
    a name that is no enabled media server."""
    name = (name or "").strip().lower()
    if not name:
        return None
    row = MediaServer.get_or_none(MediaServer.name == name) if _NAME.match(name) else None
    if row is None:
        raise InvalidInput(field, f"no media server {name!r}")
    if not row.enabled:
        raise InvalidInput(field, f"media server {name!r} is disabled")
    return media_server_socket(row)


def api_for(config: Config, dial: str, timeout: float, chosen: EventSocket | None = None) -> FreeswitchApi:
    """The FreeSWITCH to originate `dial` on, as an API client with `timeout` (see route)."""
    servers = feeds.enabled_servers().values() if chosen is None else []

    def ask(server: EventSocket, command: str) -> str:
        return FreeswitchApi(config, timeout=ASK_SECONDS, server=server).api(command)

    return FreeswitchApi(config, timeout=timeout, server=route(dial, servers, ask, chosen))


def socket_contact(config: Config, server: EventSocket, port: int | None = None) -> str:
    """host:port to put in `&socket(…)` of a call originated on `server`: where that server reaches
    Centralita (its socket_address, registered because it may sit on another network than the
    configured esl_advertise_host), else the configured one. `port`: a short-lived ESL server's own
    port (record by phone), taken with the server's host, since socket_address's port is serve's."""
    if not server.socket_address:
        return config.esl_contact(port)
    host, own_port = hostport.split(server.socket_address, "socket_address")
    return hostport.join(host, own_port if port is None else port)

