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
        if "\n" in command or "\r" in command:
            raise ValueError("an API command is one line")
        host, port = self.config.fs_event_socket_host, self.config.fs_event_socket_port
        try:
            with gevent.Timeout(self.timeout):
                connection = greenswitch.InboundESL(host, port, self.config.fs_event_socket_password)
                connection.connect()
                try:
                    reply = connection.send(f"api {command}")
                finally:
                    _close(connection)
        except ValueError:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {host}:{port} refused the password") from None
        except (OSError, gevent.Timeout, greenswitch.esl.NotConnectedError) as exc:
            raise FreeswitchUnavailable(f"FreeSWITCH event socket {host}:{port}: {exc or type(exc).__name__}") from None
        return reply.data or ""

    def flush_user(self, extension: str, domain: str) -> None:
        if not (_TOKEN.match(extension) and _TOKEN.match(domain)):
            raise ValueError("extension and domain are validated tokens")
        self.api(f"xml_flush_cache id {extension} {domain}")


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
        for extension, domain in users:
            api.flush_user(extension, domain)
    except FreeswitchUnavailable as exc:
        log.debug("could not flush FreeSWITCH's directory cache: %s", exc)
        return [f"warning: {exc}; FreeSWITCH keeps the old entry for up to {cache_ms // 1000} s"]
    return []
