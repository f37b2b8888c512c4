"""Do-not-disturb lamps FreeSWITCH cannot keep by itself: fired again after a (re)start, and
answered when a phone subscribes.

A DND lamp is a pseudo-dialog Centralita fires into FreeSWITCH when the DND changes
(fs_plugins/presence.py). FreeSWITCH keeps it in memory only: after a restart the colleagues'
lamps go dark although the users are still in DND. So `serve` keeps one connection to each media
server's event socket (`LampKeeper`); each time a connection is made (the server came up, came
back, or Centralita started) it fires every DND user's event again on that server, and once more
`settle_seconds` later, since phones re-subscribe to their colleagues only as they re-register
after the restart and sofia notifies only the subscriptions it has when the event fires.

On that connection it also listens for PRESENCE_PROBE, which sofia fires for each new SUBSCRIBE,
and answers with the watched user's state in that tenant (DND, on a call on that server, idle):
a phone that subscribes later, or a refresh after an event was lost, gets the lamp right at once.

Several nodes (PostgreSQL, registered media servers): only the node that holds a server's event
feed (fs_plugins/cluster/feeds.py, `held`) keeps its lamps, so one node, not each of N, fires and
answers there; when the feed moves, the new holder connects and fires them. A server that is no
registered media server (the configured event socket) is kept by every node, as on one machine.
The media servers (and the feeds held) are read again every 30 s (REFRESH_SECONDS).

Each greenlet is supervised: one that raises is logged (with its traceback once per run of
failures) and started again after a back-off, so an unexpected error does not end the lamps.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable

import gevent
import gevent.queue
import greenswitch
import peewee

from fs_plugins import fsapi
from fs_plugins.fsapi import EventSocket
from fs_plugins.groups.busy import existing_channels
from fs_plugins.models import Tenant, User
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.presence import FsEvent, Probe, dnd, probe_answer, probe_of, sendevent_command

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
SETTLE_SECONDS = 60.0
REFRESH_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 60.0
PROBE = "PRESENCE_PROBE"
CHANNELS_SECONDS = 1.0  # how long a probe's look at the server's channels serves the next probes


def dnd_events() -> list[FsEvent]:
    """The lamp of every user in DND, in every tenant (each tenant's users only ever watch their own
    domain's addresses: presence is addressed by user@domain)."""
    rows = (CallHandling.select(User.extension, Tenant.domain).join(User).join(Tenant)
            .where(CallHandling.dnd == True).order_by(Tenant.domain, User.extension).tuples())  # noqa: E712
    return [dnd(extension, domain, True) for extension, domain in rows]


def in_dnd(extension: str, domain: str) -> bool | None:
    """Whether the user `extension` of the tenant `domain` is in DND; None: no such user there."""
    row = (User.select(User.id, CallHandling.dnd).join(Tenant).switch(User)
           .join(CallHandling, peewee.JOIN.LEFT_OUTER, on=(CallHandling.user == User.id))
           .where((Tenant.domain == domain) & (User.extension == extension)).tuples().first())
    return None if row is None else bool(row[1])


class LampKeeper:
    """One greenlet per media server: connect, fire the DND lamps, again after `settle_seconds`,
    answer probes, then wait for the connection to drop and start over (every `retry_seconds`
    while it is down). `servers` is asked again every `refresh_seconds`: a media server added or
    enabled since gets its greenlet (and so its lamps), one removed or disabled loses it. `held`
    (a cluster) names the media servers whose feed this node holds: only those are kept."""

    def __init__(self, servers: Callable[[], list[EventSocket]], events: Callable[[], list[FsEvent]] = dnd_events,
                 release: Callable[[], None] = lambda: None, retry_seconds: float = RETRY_SECONDS,
                 settle_seconds: float = SETTLE_SECONDS, refresh_seconds: float = REFRESH_SECONDS,
                 held: Callable[[], Iterable[str]] | None = None, dnd_of: Callable = in_dnd):
        self.servers, self.events, self.release, self.held, self.dnd_of = servers, events, release, held, dnd_of
        self.retry_seconds, self.settle_seconds, self.refresh_seconds = retry_seconds, settle_seconds, refresh_seconds
        self._kept: dict[EventSocket, gevent.Greenlet] = {}
        self._connections: dict[str, greenswitch.InboundESL] = {}
        self._watcher: gevent.Greenlet | None = None

    def start(self) -> "LampKeeper":
        self._watcher = gevent.spawn(self._supervised, "the media servers' watch", self._watch)
        return self

    def stop(self) -> None:
        gevent.killall([g for g in (self._watcher, *self._kept.values()) if g is not None])
        self._kept.clear()
        for connection in list(self._connections.values()):
            fsapi.close_connection(connection)
        self._connections.clear()

    def _supervised(self, what: str, run: Callable[[], None]) -> None:
        """Run `run` again whenever it raises, after a back-off that doubles up to
        MAX_BACKOFF_SECONDS (reset by a run that lasted that long); the traceback is logged once
        per run of failures, the later ones in one line."""
        failures = 0
        while True:
            started = time.monotonic()
            try:
                run()
                return
            except Exception as exc:  # anything unforeseen: the lamps must not stop for good
                if time.monotonic() - started >= MAX_BACKOFF_SECONDS:
                    failures = 0
                wait = min(self.retry_seconds * 2 ** failures, MAX_BACKOFF_SECONDS)
                if failures == 0:
                    log.error("DND lamps: %s failed; started again in %g s", what, wait, exc_info=True)
                else:
                    log.warning("DND lamps: %s failed again (%s); started again in %g s", what, exc, wait)
                failures += 1
            finally:
                self.release()
            gevent.sleep(wait)

    def _wanted(self) -> set[EventSocket]:
        servers = set(self.servers())
        if self.held is None:
            return servers
        held = set(self.held())
        return {server for server in servers if not server.name or server.name in held}

    def _watch(self) -> None:
        while True:
            try:
                wanted = self._wanted()
            except peewee.PeeweeException as exc:  # keep following the ones known
                log.warning("DND lamps: media servers not read: %s", exc)
                wanted = set(self._kept)
            finally:
                self.release()
            for server in set(self._kept) - wanted:
                self._kept.pop(server).kill()
            for server in wanted - set(self._kept):
                self._kept[server] = gevent.spawn(self._supervised, f"the lamps of {server.label}",
                                                  lambda server=server: self._keep(server))
            gevent.sleep(self.refresh_seconds)

    def _keep(self, server: EventSocket) -> None:
        while True:
            try:
                probes: gevent.queue.Queue = gevent.queue.Queue()
                connection = self._connections[server.label] = fsapi.connect_to(server)
                connection.register_handle(PROBE, lambda event: probes.put(dict(event.headers)))
                connection.send(f"event plain {PROBE}")
                self._fire(server, connection, "connected")
                channels = _Channels(connection)
                since, settled = time.monotonic(), False
                while connection.connected:
                    try:
                        probe = probes.get(timeout=1.0 if settled else min(1.0, self.settle_seconds))
                        self._answer(server, connection, channels, probe)
                    except gevent.queue.Empty:
                        pass
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

    def _answer(self, server: EventSocket, connection, channels: "_Channels", headers: dict) -> None:
        """A phone subscribed: its lamp of the watched user, if that user is one of the tenant's."""
        probe = probe_of(headers)
        if probe is None:
            return
        try:
            dnd_now = self.dnd_of(probe.extension, probe.domain)
        except peewee.PeeweeException as exc:  # the phone's next refresh asks again
            log.warning("DND lamps: probe for %s@%s not answered: %s", probe.extension, probe.domain, exc)
            return
        finally:
            self.release()
        if dnd_now is None:
            return
        event = probe_answer(probe, dnd_now, not dnd_now and channels.calling(probe))
        reply = connection.send(sendevent_command(event)).headers.get("Reply-Text", "")
        if not reply.startswith("+OK"):
            log.warning("DND lamps: %s refused the answer to a probe: %s", server.label, reply)


class _Channels:
    """Who is on a call on one media server (the one the phone subscribed to), asked once a second
    at most: after a restart every phone subscribes to each of its lamps within minutes, and
    `show channels` is a query of FreeSWITCH's core database."""

    def __init__(self, connection, clock: Callable[[], float] = time.monotonic):
        self.connection, self.clock = connection, clock
        self._asked_at: float | None = None
        self._users: set[str] = set()

    def calling(self, probe: Probe) -> bool:
        if self._asked_at is None or self.clock() - self._asked_at >= CHANNELS_SECONDS:
            reply = self.connection.send("api show channels as json").data or ""
            self._asked_at, self._users = self.clock(), set(existing_channels(reply).values())
        return f"{probe.extension}@{probe.domain}" in self._users
