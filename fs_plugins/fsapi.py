"""Commands Centralita sends to FreeSWITCH over its event socket (inbound ESL).

The one used by provisioning: drop a user's cached directory entry (`xml_flush_cache`) the moment
its credentials or settings change, so no stale password or disabled user keeps working. If
FreeSWITCH cannot be reached the change is still stored; the entry then expires after
`directory_cache_ms` and the caller is told so.
"""
from __future__ import annotations

import logging
import re

import gevent
import greenswitch

from fs_plugins.config import Config

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[A-Za-z0-9._@-]+\Z")


class FreeswitchUnavailable(RuntimeError):
    pass


class FreeswitchApi:
    def __init__(self, config: Config, timeout: float = 3.0):
        self.config = config
        self.timeout = timeout

    def api(self, command: str) -> str:
        return self.api_many([command])[0]

    def api_many(self, commands: list[str]) -> list[str]:
        """Run several API commands over one connection; returns their replies."""
        if any("\n" in command or "\r" in command for command in commands):
            raise ValueError("an API command is one line")
        host, port = self.config.fs_event_socket_host, self.config.fs_event_socket_port
        try:
            with gevent.Timeout(self.timeout):
                connection = greenswitch.InboundESL(host, port, self.config.fs_event_socket_password)
                connection.connect()
                try:
                    replies = [connection.send(f"api {command}").data or "" for command in commands]
                finally:
                    _close(connection)
        except ValueError:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {host}:{port} refused the password") from None
        except (OSError, gevent.Timeout, greenswitch.esl.NotConnectedError) as exc:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {host}:{port}: {exc or type(exc).__name__}") from None
        return replies

    def flush_users(self, users: list[tuple[str, str]]) -> None:
        for extension, domain in users:
            if not (_TOKEN.match(extension) and _TOKEN.match(domain)):
                raise ValueError("extension and domain are validated tokens")
        self.api_many([f"xml_flush_cache id {extension} {domain}" for extension, domain in users])

    def flush_user(self, extension: str, domain: str) -> None:
        self.flush_users([(extension, domain)])


def _close(connection) -> None:
    """Close at once: greenswitch's stop() waits up to a second for its event greenlet to notice."""
    connection._run = False
    gevent.killall([g for g in (connection._receive_events_greenlet, connection._process_events_greenlet) if g])
    connection.sock.close()


def flush_users(api: FreeswitchApi | None, users: list[tuple[str, str]], cache_ms: int) -> list[str]:
    """Flush each (extension, domain); return warnings for the person who made the change."""
    if api is None or not users:
        return []
    try:
        api.flush_users(users)
    except FreeswitchUnavailable as exc:
        log.debug("could not flush FreeSWITCH's directory cache: %s", exc)
        return [f"warning: {exc}; FreeSWITCH keeps the old entry for up to {cache_ms // 1000} s"]
    return []
