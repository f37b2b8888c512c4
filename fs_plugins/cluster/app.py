"""Media servers (FreeSWITCH) and nodes (`centralita serve` processes), the application layer.

Only the operator sees or changes them. A media server's event-socket password is needed in clear
to authenticate, so it is stored as given; it is in no view, no listing and no audit entry
(recorded as "(changed)"). Every change is one transaction with its audit entry
(media-server.create / .update / .delete, node.delete); the next cache flush goes to the servers
as they are then (fs_plugins.fsapi.event_sockets).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass

from fs_plugins import hostport
from fs_plugins.application import AppContext, Changed, require_operator
from fs_plugins.cluster import nodes
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import database
from fs_plugins.models.cluster import MediaServer, Node

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*\Z")
# FreeSWITCH reads `auth <password>` up to the end of the line: no spaces, no line breaks.
_PASSWORD = re.compile(r"[!-~]{1,128}\Z")


@dataclass(frozen=True)
class MediaServerView:
    name: str
    host: str
    port: int
    socket_address: str | None  # where its `socket` action reaches Centralita (None: the configured one)
    sip_address: str | None  # host[:port] Kamailio's dispatcher reaches it at (None: the event socket's host)
    enabled: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class NodeView:
    name: str
    address: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    alive: bool  # heard from within nodes.DEAD_AFTER


def list_media_servers(ctx: AppContext) -> list[MediaServerView]:
    require_operator(ctx, "see the media servers")
    return [_view(row) for row in MediaServer.select().order_by(MediaServer.name)]


def add_media_server(ctx: AppContext, name: str, host: str, password: str, port: int = 8021,
                     socket_address: str | None = None, enabled: bool = True,
                     sip_address: str | None = None) -> Changed[MediaServerView]:
    """Register a FreeSWITCH by its inbound event socket (host, port, password)."""
    require_operator(ctx, "add media servers")
    values = dict(name=_name(name), esl_host=_host(host), esl_port=_port(port), esl_password=_password(password),
                  socket_address=_socket_address(socket_address), sip_address=_sip_address(sip_address),
                  enabled=bool(enabled))
    with database.atomic():
        if MediaServer.select().where(MediaServer.name == values["name"]).exists():
            raise Conflict("name", f"{values['name']} is already a media server")
        row = MediaServer.create(**values)
        ctx.record("media-server.create", None, f"media server {row.name}",
                   {"host": row.esl_host, "port": row.esl_port, "password": password,
                    "socket_address": row.socket_address or None, "sip_address": row.sip_address or None,
                    "enabled": row.enabled})
    return Changed(_view(row))


def set_media_server(ctx: AppContext, name: str, host: str | None = None, port: int | None = None,
                     password: str | None = None, socket_address: str | None = None,
                     enabled: bool | None = None, sip_address: str | None = None) -> Changed[MediaServerView]:
    """Change what is given (None leaves it; socket_address "" goes back to the configured one,
    sip_address "" to the event socket's host)."""
    require_operator(ctx, "change media servers")
    checked = {"esl_host": _host(host) if host is not None else None,
               "esl_port": _port(port) if port is not None else None,
               "esl_password": _password(password) if password is not None else None,
               "socket_address": _socket_address(socket_address) if socket_address is not None else None,
               "sip_address": _sip_address(sip_address) if sip_address is not None else None,
               "enabled": bool(enabled) if enabled is not None else None}
    given = {k: v for k, v in checked.items() if v is not None}
    if not given:
        raise InvalidInput("name", "give something to change: host, port, password, socket_address, "
                                   "sip_address or enabled")
    with database.atomic():
        row = _server(name)
        for column, value in given.items():
            setattr(row, column, value)
        row.save()
        ctx.record("media-server.update", None, f"media server {row.name}",
                   {("password" if k == "esl_password" else k.removeprefix("esl_")): v for k, v in given.items()})
    return Changed(_view(row))


def remove_media_server(ctx: AppContext, name: str) -> Changed[MediaServerView]:
    require_operator(ctx, "remove media servers")
    with database.atomic():
        row = _server(name)
        removed = _view(row)
        row.delete_instance()
        ctx.record("media-server.delete", None, f"media server {removed.name}")
    return Changed(removed)


def list_nodes(ctx: AppContext) -> list[NodeView]:
    require_operator(ctx, "see the nodes")
    now = nodes.now()
    return [NodeView(row.name, row.address, row.started_at, row.heartbeat_at, nodes.alive(row.heartbeat_at, now))
            for row in Node.select().order_by(Node.name)]


def remove_node(ctx: AppContext, name: str) -> Changed[str]:
    """Forget a node that is gone for good (a live one announces itself again at its next beat)."""
    require_operator(ctx, "remove nodes")
    with database.atomic():
        if not Node.delete().where(Node.name == (name or "").strip()).execute():
            raise NotFound("name", f"no node {name!r}")
        ctx.record("node.delete", None, f"node {name.strip()}")
    return Changed(name.strip())


def _view(row: MediaServer) -> MediaServerView:
    return MediaServerView(row.name, row.esl_host, row.esl_port, row.socket_address or None,
                           row.sip_address or None, bool(row.enabled), row.created_at)


def _server(name: str) -> MediaServer:
    row = MediaServer.get_or_none(MediaServer.name == (name or "").strip().lower())
    if row is None:
        raise NotFound("name", f"no media server {name!r}")
    return row


def _name(value: str) -> str:
    value = (value or "").strip().lower()
    if not _NAME.match(value):
        raise InvalidInput("name", f"{value!r} must be 1 to 63 characters: letters, digits, . _ -")
    return value


def _host(value: str, field: str = "host") -> str:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOSTNAME.match(value):
        raise InvalidInput(field, f"{value!r} is neither an IP address nor a host name")
    return value.lower()


def _port(value, field: str = "port") -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise InvalidInput(field, f"{port} is not a port number (1-65535)")
    return port


def _password(value: str) -> str:
    if not _PASSWORD.match(value or ""):
        raise InvalidInput("password", "must be 1 to 128 printable characters, without spaces")
    return value


def _socket_address(value: str | None) -> str:
    """host:port, or "" for the configured one (Config.esl_contact)."""
    value = (value or "").strip()
    if not value:
        return ""
    host, port = hostport.split(value, "socket_address")
    if port is None:
        raise InvalidInput("socket_address", f"{value!r}: expected host:port ([address]:port for IPv6)")
    return hostport.join(_host(host, "socket_address"), port)


def _sip_address(value: str | None) -> str:
    """host[:port] (an IPv6 address in brackets when a port follows; "sip:" before it is dropped),
    or "" for the event socket's host. The value is written into Kamailio's dispatcher list, one
    destination per line, so nothing but a host and a port gets in."""
    value = (value or "").strip()
    if value[:4].lower() == "sip:":
        value = value[4:]
    if not value:
        return ""
    if any(c.isspace() or c in ";,?>" for c in value):
        raise InvalidInput("sip_address", f"{value!r}: expected host[:port], without spaces, ';' or ','")
    host, port = hostport.split(value, "sip_address")
    return hostport.join(_host(host, "sip_address"), port)
