"""Each media server's channel events, followed by exactly one node, written where every node reads them.

Which members are on a call must hold across machines: a member talking on FreeSWITCH 1 must not be
offered a call queued on FreeSWITCH 2 by another node. So for each enabled media server, one node
subscribes to its channel events and keeps that server's rows of `member_channel`
(fs_plugins/models/cluster.py); every node reads them (fs_plugins.groups.busy.TableBusy).

Exactly one: every node runs a `Keeper`, which tries every `try_seconds` to take each unheld
server's lock, `pg_try_advisory_lock`, on a PostgreSQL connection of its own that it keeps open
while it follows that server. PostgreSQL frees a session's locks when the session ends, so when the
holding node stops (killed, crashed, its connection cut) the next try of another node takes the
lock, within `try_seconds` of PostgreSQL noticing (at once for a process that died; TCP keepalive
for a silent network). The keeper checks its lock connections at every round and drops the feed
of one it lost, so two nodes never write one server's rows for longer than a round.

The holder (`follow`) subscribes, then rebuilds the server's rows from `show channels as json`
(a channel's presence_id is its user: the directory's dial-string and Centralita's legs set it),
since the rows a dead holder left may be stale, and then applies each event in order. Events that
arrive while the snapshot is taken are applied after it, and a channel whose hang-up was seen is
never taken from a snapshot (FreeSWITCH writes its channels table asynchronously, so a snapshot
can still list a channel that just ended). Every `resync_seconds` the rows are rebuilt again, the
safety net for an event lost. Event socket unreachable: the server's rows are deleted (its
members count as free, as on one machine: a member on a call then answers busy, SIP 486, which a
group treats as no answer) and the holder retries, keeping the lock.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import gevent
import gevent.queue
import greenswitch
import peewee

from fs_plugins import fsapi
from fs_plugins.cluster import wakeups
from fs_plugins.fsapi import EventSocket
from fs_plugins.groups.busy import EVENTS, existing_channels, user_key
from fs_plugins.models.cluster import MediaServer, MemberChannel

log = logging.getLogger(__name__)

TRY_SECONDS = 1.0
RESYNC_SECONDS = 60.0
RETRY_SECONDS = 2.0
ENDED_KEPT = 5000  # hung-up channels remembered, so a late snapshot does not bring them back
# The lock of a server's feed: two keys, the first naming what (and the schema, so two Centralita
# installations sharing a PostgreSQL database never hold each other's), the second the server.
LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext('centralita-feed:' || current_schema()), hashtext(%s))"


@dataclass(frozen=True)
class Change:
    """What one channel event does to the rows: `member` "" means the channel is gone."""

    uuid: str
    member: str = ""
    answered_at: float | None = None


def change_of(event: dict) -> Change | None:
    """The change a channel event makes (None: not a member's channel, or nothing to do). Pure."""
    name, uuid = event.get("Event-Name", ""), event.get("Unique-ID", "")
    if not uuid:
        return None
    if name in ("CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"):
        return Change(uuid)
    if name not in ("CHANNEL_CREATE", "CHANNEL_ANSWER"):
        return None
    member = user_key(event)
    if not member:
        return None
    answered = None
    if name == "CHANNEL_ANSWER":
        stamp = event.get("Event-Date-Timestamp", "")  # microseconds since the epoch
        answered = int(stamp) / 1_000_000 if stamp.isdecimal() else time.time()
    return Change(uuid, member, answered)


# -- the rows (the pooled database of the process; `release` hands its connection back) ---------
def replace_rows(server: str, channels: dict[str, str]) -> None:
    with MemberChannel._meta.database.atomic():
        MemberChannel.delete().where(MemberChannel.server == server).execute()
        rows = [{"server": server, "uuid": uuid, "member": member} for uuid, member in channels.items()]
        for start in range(0, len(rows), 500):
            MemberChannel.insert_many(rows[start:start + 500]).execute()
        _news(wakeups.EVERYTHING)  # members may have been freed: waiting callers look again


def apply(server: str, change: Change) -> None:
    if not change.member:
        with MemberChannel._meta.database.atomic():
            ended = MemberChannel.delete().where(
                (MemberChannel.server == server) & (MemberChannel.uuid == change.uuid)).returning(
                MemberChannel.member).execute()
            for row in ended:  # a member's call ended: a caller waiting for that member looks now
                _news(wakeups.member_news(row.member))
        return
    update = {MemberChannel.member: change.member}
    if change.answered_at is not None:
        update[MemberChannel.answered_at] = change.answered_at
    MemberChannel.insert(server=server, uuid=change.uuid, member=change.member,
                         answered_at=change.answered_at).on_conflict(
        conflict_target=[MemberChannel.server, MemberChannel.uuid], update=update).execute()


def clear(server: str) -> None:
    with MemberChannel._meta.database.atomic():
        MemberChannel.delete().where(MemberChannel.server == server).execute()
        _news(wakeups.EVERYTHING)


def _news(news: str) -> None:
    """NOTIFY the waiting callers of every node (delivered at the transaction's commit)."""
    MemberChannel._meta.database.execute_sql(wakeups.NOTIFY_SQL, (news,))


# -- one server's feed, while this node holds its lock -------------------------------------------
class Feed:
    def __init__(self, server: EventSocket, release: Callable[[], None], resync_seconds: float = RESYNC_SECONDS,
                 retry_seconds: float = RETRY_SECONDS):
        self.server, self.release = server, release
        self.resync_seconds, self.retry_seconds = resync_seconds, retry_seconds
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._connection = None
        self.greenlet: gevent.Greenlet | None = None

    def start(self) -> "Feed":
        self.greenlet = gevent.spawn(self._run)
        return self

    def stop(self, clear_rows: bool = False) -> None:
        """Stop following (the lock is the keeper's business); `clear_rows` when nobody will."""
        if self.greenlet is not None:
            self.greenlet.kill()
        self._close()
        if clear_rows:
            self._write(clear, self.server.name)

    def _run(self) -> None:
        while True:
            try:
                self._follow()
            except (OSError, ValueError, greenswitch.esl.NotConnectedError) as exc:
                log.warning("busy state of %s: event socket unavailable: %s", self.server.label, exc)
            finally:
                self._close()
            self._write(clear, self.server.name)  # events may be missed meanwhile: nobody counts as busy there
            gevent.sleep(self.retry_seconds)

    def _follow(self) -> None:
        events: gevent.queue.Queue = gevent.queue.Queue()
        # Known before it connects, so a stop meanwhile also ends the greenlets connecting starts.
        self._connection = connection = greenswitch.InboundESL(self.server.host, self.server.port,
                                                               self.server.password)
        connection.connect()
        for name in EVENTS:
            connection.register_handle(name, lambda event: events.put(dict(event.headers)))
        connection.send("event plain " + " ".join(EVENTS))
        self._resync(connection, events)
        log.info("busy state of %s: following its channel events", self.server.label)
        synced = time.monotonic()
        while connection.connected:
            try:
                event = events.get(timeout=1.0)
            except gevent.queue.Empty:
                if time.monotonic() - synced >= self.resync_seconds:
                    self._resync(connection, events)
                    synced = time.monotonic()
                continue
            self._apply(event)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and getattr(connection, "sock", None) is not None:
            fsapi.close_connection(connection)

    def _resync(self, connection, events: gevent.queue.Queue) -> None:
        """The server's rows from `show channels as json`, then the events that came meanwhile."""
        reply = connection.send("api show channels as json").data or ""
        pending = []
        while not events.empty():
            pending.append(events.get_nowait())
        for event in pending:
            change = change_of(event)
            if change is not None and not change.member:
                self._remember_end(change.uuid)
        channels = {uuid: member for uuid, member in existing_channels(reply).items() if uuid not in self._ended}
        self._write(replace_rows, self.server.name, channels)
        for event in pending:
            self._apply(event)

    def _apply(self, event: dict) -> None:
        change = change_of(event)
        if change is None:
            return
        if not change.member:
            self._remember_end(change.uuid)
        self._write(apply, self.server.name, change)

    def _remember_end(self, uuid: str) -> None:
        self._ended[uuid] = None
        if len(self._ended) > ENDED_KEPT:
            self._ended.popitem(last=False)

    def _write(self, write, *args) -> None:
        try:
            write(*args)
        except peewee.PeeweeException as exc:  # the next resync puts the rows right
            log.warning("busy state of %s: rows not written: %s", self.server.label, exc)
        finally:
            self.release()


# -- the node's part: take the locks of the servers nobody follows ------------------------------
def enabled_servers() -> dict[str, EventSocket]:
    rows = MediaServer.select().where(MediaServer.enabled == True)  # noqa: E712
    return {row.name: fsapi.media_server_socket(row) for row in rows}


@dataclass
class _Held:
    connection: object  # psycopg2 connection holding the lock
    feed: Feed


class Keeper:
    """Follow every enabled media server whose lock this node can take; `held()` names them."""

    def __init__(self, db: peewee.PostgresqlDatabase, release: Callable[[], None], try_seconds: float = TRY_SECONDS,
                 resync_seconds: float = RESYNC_SECONDS, retry_seconds: float = RETRY_SECONDS):
        self.db, self.release = db, release
        self.try_seconds, self.resync_seconds, self.retry_seconds = try_seconds, resync_seconds, retry_seconds
        self._held: dict[str, _Held] = {}
        self._spare = None  # the connection the next lock is tried on
        self._greenlet: gevent.Greenlet | None = None

    def held(self) -> list[str]:
        return sorted(self._held)

    def start(self) -> "Keeper":
        self._greenlet = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        """Let go of every feed (another node takes them at its next try)."""
        if self._greenlet is not None:
            self._greenlet.kill()
        for name in list(self._held):
            self._let_go(name)
        self._close(self._spare)
        self._spare = None

    def _run(self) -> None:
        while True:
            try:
                self.round()
            except Exception:  # the database away: the feeds held keep going, tried again next round
                log.warning("media server feeds: this round failed", exc_info=True)
            finally:
                self.release()
            gevent.sleep(self.try_seconds)

    def round(self) -> None:
        servers = enabled_servers()
        for name, held in list(self._held.items()):
            if servers.get(name) != held.feed.server:  # removed, disabled or changed: follow it anew
                self._let_go(name, clear_rows=name not in servers)
            elif not _alive(held.connection):
                log.warning("media server %s: lost the lock of its feed (database connection gone)", name)
                self._let_go(name)
        for name, server in servers.items():
            if name not in self._held and self._take(name):
                self._held[name] = _Held(self._spare, Feed(server, self.release, self.resync_seconds,
                                                           self.retry_seconds).start())
                self._spare = None
                log.info("media server %s: this node follows its channel events", server.label)

    def _take(self, name: str) -> bool:
        if self._spare is None:
            self._spare = self._connect()
        with self._spare.cursor() as cursor:
            cursor.execute(LOCK_SQL, (name,))
            return bool(cursor.fetchone()[0])

    def _let_go(self, name: str, clear_rows: bool = False) -> None:
        held = self._held.pop(name)
        held.feed.stop(clear_rows)
        self._close(held.connection)  # the session ends: the lock with it

    def _connect(self):
        import psycopg2

        connection = psycopg2.connect(dbname=self.db.database, **self.db.connect_params)
        connection.set_session(autocommit=True)
        return connection

    @staticmethod
    def _close(connection) -> None:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already gone
                pass


def _alive(connection) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
