"""Centralita's one client of FreeSWITCH's inbound event socket: `connect` and `close_connection`
(the one greenswitch teardown), API commands (`FreeswitchApi`: originate, status, mod_voicemail's
vm_fsdb), and the connection the members' busy state subscribes to channel events on
(fs_plugins.groups.busy).

The command the application layer uses: drop a user's cached directory entry (`xml_flush_cache`) the moment
its credentials or settings change, so no stale password or disabled user keeps working. It goes to
every enabled media server (fs_plugins/models/cluster.py; with none registered, the configured event
socket), all at once. A server that cannot be reached is reported by name and the change is still
stored; the entry then expires there after `directory_cache_ms` and the caller is told so.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import gevent
import greenswitch
from gevent import socket

from fs_plugins import prepared
from fs_plugins.config import Config
from fs_plugins.models.cluster import MediaServer
from fs_plugins.presence import FsEvent, sendevent_command

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[A-Za-z0-9._@-]+\Z")


class FreeswitchUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class EventSocket:
    """One FreeSWITCH's inbound event socket."""

    host: str
    port: int
    password: str = field(repr=False)
    name: str = ""  # the media server's name, when it is one
    socket_address: str = ""  # host:port its `socket` action reaches Centralita at ("": the configured one)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.host}:{self.port})" if self.name else f"{self.host}:{self.port}"


def media_server_socket(row: MediaServer) -> EventSocket:
    """A registered media server's event socket (and where its `socket` action reaches us)."""
    return EventSocket(row.esl_host, row.esl_port, row.esl_password, row.name, row.socket_address or "")


def configured_socket(config: Config) -> EventSocket:
    return EventSocket(config.fs_event_socket_host, config.fs_event_socket_port, config.fs_event_socket_password)


def event_sockets(config: Config) -> list[EventSocket]:
    """Every enabled media server's event socket; with none registered, the configured one (none
    when its port is 0)."""
    # One prepared statement (on serve's PostgreSQL, on the server): this runs on every change that
    # flushes (each API write of a user)
    rows = prepared.run_planned(MediaServer._meta.database, _MEDIA_SERVERS_SQL).fetchall()
    if rows:  # registered but all disabled: nobody is told
        return [EventSocket(host, int(port), password, name) for name, host, port, password, enabled in rows
                if enabled]
    return [configured_socket(config)] if config.fs_event_socket_port else []


_MEDIA_SERVERS_SQL = "SELECT name, esl_host, esl_port, esl_password, enabled FROM media_server ORDER BY name"


class FreeswitchApi:
    def __init__(self, config: Config, timeout: float = 3.0, server: EventSocket | None = None):
        self.config = config
        self.timeout = timeout
        self.server = server or configured_socket(config)

    def api(self, command: str) -> str:
        return self.api_many([command])[0]

    def api_many(self, commands: list[str]) -> list[str]:
        """Run several API commands over one connection; returns their replies."""
        if any("\n" in command or "\r" in command for command in commands):
            raise ValueError("an API command is one line")
        where = self.server.label
        try:
            with gevent.Timeout(self.timeout):
                connection = connect_to(self.server)
                try:
                    replies = [connection.send(f"api {command}").data or "" for command in commands]
                finally:
                    close_connection(connection)
        except ValueError:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {where} refused the password") from None
        except (OSError, gevent.Timeout, greenswitch.esl.NotConnectedError) as exc:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {where}: {exc or type(exc).__name__}") from None
        return replies

    def send_events(self, events: list[FsEvent]) -> None:
        """Fire each event inside FreeSWITCH (`sendevent`), over one connection."""
        commands = [sendevent_command(event) for event in events]
        try:
            with gevent.Timeout(self.timeout):
                connection = connect_to(self.server)
                try:
                    replies = [connection.send(command).headers.get("Reply-Text", "") for command in commands]
                finally:
                    close_connection(connection)
        except ValueError:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {self.server.label} refused the password") from None
        except (OSError, gevent.Timeout, greenswitch.esl.NotConnectedError) as exc:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {self.server.label}: "
                                        f"{exc or type(exc).__name__}") from None
        refused = [reply for reply in replies if not reply.startswith("+OK")]
        if refused:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {self.server.label}: {refused[0]}")

    def flush_users(self, users: list[tuple[str, str]]) -> None:
        for extension, domain in users:
            if not (_TOKEN.match(extension) and _TOKEN.match(domain)):
                raise ValueError("extension and domain are validated tokens")
        self.api_many([f"xml_flush_cache id {extension} {domain}" for extension, domain in users])


def connect(config: Config) -> greenswitch.InboundESL:
    """An authenticated connection to the configured event socket (ValueError: password refused;
    OSError or NotConnectedError: nobody there)."""
    return connect_to(configured_socket(config))


def connect_to(server: EventSocket) -> greenswitch.InboundESL:
    connection = greenswitch.InboundESL(server.host, server.port, server.password)
    connection.connect()
    return connection


def close_connection(connection: greenswitch.InboundESL) -> None:
    """Close at once: greenswitch's stop() waits up to a second for its event greenlet to notice,
    so stop its greenlets here, then shut the socket down (its makefile() keeps the descriptor open,
    which close() alone would leave)."""
    connection._run = False
    gevent.killall([g for g in (connection._receive_events_greenlet, connection._process_events_greenlet) if g])
    try:
        connection.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.sock.close()


@dataclass(frozen=True)
class ServerAnswer:
    """How one FreeSWITCH event socket took a command: `ok`, or the reason it could not."""

    server: str  # host:port
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class FlushReport:
    """What a change told FreeSWITCH: the directory entries dropped, and which servers answered.

    An entry a server did not drop expires there after `cache_ms` (FreeSWITCH's `cacheable`)."""

    entries: tuple[str, ...] = ()  # "extension@domain"
    answers: tuple[ServerAnswer, ...] = ()
    cache_ms: int = 0

    @property
    def warnings(self) -> list[str]:
        return [f"warning: {answer.error}; FreeSWITCH keeps the old entry for up to {self.cache_ms // 1000} s"
                for answer in self.answers if not answer.ok]


def flush_users(api: FreeswitchApi | None, users: list[tuple[str, str]], cache_ms: int) -> FlushReport:
    """Flush each (extension, domain) on the server `api` talks to (None: flushing is off)."""
    entries = tuple(f"{extension}@{domain}" for extension, domain in users)
    if api is None or not users:
        return FlushReport(entries, (), cache_ms)
    server = api.server.label
    try:
        api.flush_users(users)
    except FreeswitchUnavailable as exc:
        log.debug("could not flush FreeSWITCH's directory cache: %s", exc)
        return FlushReport(entries, (ServerAnswer(server, False, str(exc)),), cache_ms)
    return FlushReport(entries, (ServerAnswer(server, True),), cache_ms)


class FreeswitchDirectory:
    """The application layer's view of FreeSWITCH: forget users whose directory entry changed, on
    every media server at once (each answers or times out on its own); the report lists each."""

    def __init__(self, config: Config):
        self.config = config

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport:
        entries = tuple(f"{extension}@{domain}" for extension, domain in users)
        servers = event_sockets(self.config) if users else []
        if not servers:
            return FlushReport(entries, (), self.config.directory_cache_ms)
        jobs = [gevent.spawn(flush_users, FreeswitchApi(self.config, server=server), users,
                             self.config.directory_cache_ms) for server in servers]
        gevent.joinall(jobs)
        answers = tuple(answer for job in jobs for answer in job.get().answers)
        return FlushReport(entries, answers, self.config.directory_cache_ms)

    def send_events(self, events: list[FsEvent]) -> FlushReport:
        """Fire `events` on every media server (presence is per server: each notifies the phones
        registered to it); the report names the events and each server's answer."""
        entries = tuple(event.label for event in events)
        servers = event_sockets(self.config) if events else []
        jobs = [gevent.spawn(_send_events, FreeswitchApi(self.config, server=server), events) for server in servers]
        gevent.joinall(jobs)
        return FlushReport(entries, tuple(job.get() for job in jobs))


def _send_events(api: FreeswitchApi, events: list[FsEvent]) -> ServerAnswer:
    try:
        api.send_events(events)
    except FreeswitchUnavailable as exc:
        log.warning("could not tell FreeSWITCH %s: %s", ", ".join(event.label for event in events), exc)
        return ServerAnswer(api.server.label, False, str(exc))
    return ServerAnswer(api.server.label, True)
