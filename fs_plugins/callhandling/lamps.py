"""Do-not-disturb lamps after a FreeSWITCH (re)start: every DND user's PRESENCE_IN fired again.

A DND lamp is a pseudo-dialog Centralita fires into FreeSWITCH when the DND changes
(fs_plugins/presence.py). FreeSWITCH keeps it in memory only: after a restart the colleagues'
lamps go dark although the users are still in DND. So `serve` keeps one connection to each media
server's event socket (`LampKeeper`); each time a connection is made (the server came up, came
back, or Centralita started) it fires every DND user's event again on that server, and once more
`settle_seconds` later, since phones re-subscribe to their colleagues only as they re-register
after the restart and sofia notifies only the subscriptions it has when the event fires.

Several nodes each keep their own connections, so each fires the events: harmless, the lamp's
state is the same. The media servers are read again every 30 s (REFRESH_SECONDS).
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import gevent
import greenswitch
import peewee

from fs_plugins import fsapi
from fs_plugins.fsapi import EventSocket
from fs_plugins.models import Tenant, User
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.presence import FsEvent, dnd, sendevent_command

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
SETTLE_SECONDS = 60.0
REFRESH_SECONDS = 30.0


def dnd_events() -> list[FsEvent]:
    """The lamp of every user in DND, in every tenant (each tenant's users only ever watch their own
    domain's addresses: presence is addressed by user@domain)."""
    rows = (CallHandling.select(User.extension, Tenant.domain).join(User).join(Tenant)
            .where(CallHandling.dnd == True).order_by(Tenant.domain, User.extension).tuples())  # noqa: E712
    return [dnd(extension, domain, True) for extension, domain in rows]


class LampKeeper:
    """One greenlet per media server: connect, fire the DND lamps, again after `settle_seconds`,
    then wait for the connection to drop and start over (every `retry_seconds` while it is down).
    `servers` is asked again every `refresh_seconds`: a media server added or enabled since gets
    its greenlet (and so its lamps), one removed or disabled loses it."""

    def __init__(self, servers: Callable[[], list[EventSocket]], events: Callable[[], list[FsEvent]] = dnd_events,
                 release: Callable[[], None] = lambda: None, retry_seconds: float = RETRY_SECONDS,
                 settle_seconds: float = SETTLE_SECONDS, refresh_seconds: float = REFRESH_SECONDS):
        self.servers, self.events, self.release = servers, events, release
        self.retry_seconds, self.settle_seconds, self.refresh_seconds = retry_seconds, settle_seconds, refresh_seconds
        self._kept: dict[EventSocket, gevent.Greenlet] = {}
        self._connections: dict[str, greenswitch.InboundESL] = {}
        self._watcher: gevent.Greenlet | None = None

    def start(self) -> "LampKeeper":
        self._watcher = gevent.spawn(self._watch)
        return self

    def stop(self) -> None:
        gevent.killall([g for g in (self._watcher, *self._kept.values()) if g is not None])
        self._kept.clear()
        for connection in list(self._connections.values()):
            fsapi.close_connection(connection)
        self._connections.clear()

    def _watch(self) -> None:
        while True:
            try:
                wanted = set(self.servers())
            except peewee.PeeweeException as exc:  # keep following the ones known
                log.warning("DND lamps: media servers not read: %s", exc)
                wanted = set(self._kept)
            finally:
                self.release()
            for server in set(self._kept) - wanted:
                self._kept.pop(server).kill()
            for server in wanted - set(self._kept):
                self._kept[server] = gevent.spawn(self._keep, server)
            gevent.sleep(self.refresh_seconds)

    def _keep(self, server: EventSocket) -> None:
        while True:
            try:
                connection = self._connections[server.label] = fsapi.connect_to(server)
                self._fire(server, connection, "connected")
                since, settled = time.monotonic(), False
                while connection.connected:
                    gevent.sleep(1.0 if settled else min(1.0, self.settle_seconds))
                    if not settled and time.monotonic() - since >= self.settle_seconds and connection.connected:
                        self._fire(server, connection, "settled")
                        settled = True
                log.info("DND lamps: %s went away; they are fired again when it is back", server.label)
            except (OSError, ValueError, greenswitch.esl.NotConnectedError) as exc:
                log.debug("DND lamps: %s unavailable: %s", server.label, exc)
            finally:
                connection = self._connections.pop(server.label, None)
                if connection is not None:
                    fsapi.close_connection(connection)
            gevent.sleep(self.retry_seconds)

    def _fire(self, server: EventSocket, connection, moment: str) -> None:
        try:
            events = self.events()
        except peewee.PeeweeException as exc:  # the next connection or settle tries again
            log.warning("DND lamps for %s: users not read: %s", server.label, exc)
            return
        finally:
            self.release()
        refused = [reply for reply in (connection.send(sendevent_command(event)).headers.get("Reply-Text", "")
                                       for event in events) if not reply.startswith("+OK")]
        if refused:
            log.warning("DND lamps: %s refused %d of %d: %s", server.label, len(refused), len(events), refused[0])
        log.info("DND lamps: %d fired on %s (%s)", len(events), server.label, moment)
