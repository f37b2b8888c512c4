"""Which members are on a call, from FreeSWITCH's own channel events (inbound event socket).

`BusyTracker.on_event` takes CHANNEL_CREATE / CHANNEL_ANSWER / CHANNEL_HANGUP_COMPLETE events
(dicts of headers, as greenswitch delivers them) and keeps, per user ("ext@domain"), the channels
that user is on: the user's own calls carry `variable_pbx_user_id` (a directory variable of ours),
calls ringing the user carry `variable_dialed_user` and `variable_dialed_domain` (set by the
user/ endpoint). A user with any live channel is busy, wherever the call came from.

`EventFeed` keeps an InboundESL (greenswitch) subscription alive and feeds the tracker; if the
event socket is unreachable it retries, and the tracker (empty) treats everyone as free, so calls
still flow — members then answer busy themselves (SIP 486), which the flow handles as no answer.

Several machines (PostgreSQL with media servers registered): the node holding each server's feed
writes its members' channels to the member_channel table (fs_plugins/cluster/feeds.py) and every
node reads them (`TableBusy`); `Busy` asks whichever applies.
"""
from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict

import gevent
import greenswitch
import peewee

from fs_plugins import channel_vars, fsapi
from fs_plugins.models import database
from fs_plugins.models.cluster import MediaServer, MemberChannel

log = logging.getLogger(__name__)

EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY")


ANSWERS_KEPT = 10_000  # answer moments remembered (a flow reads its B leg's after the bridge ends)


def monotonic() -> float:
    """The clock of answer moments, and of a group call's waits (flow.GroupServices.timer)."""
    return time.monotonic()


class BusyTracker:
    def __init__(self, clock=monotonic):
        self._channels: dict[str, str] = {}  # channel uuid -> user key
        self._count: dict[str, int] = {}
        self._answers: OrderedDict[str, float] = OrderedDict()  # channel uuid -> clock() at CHANNEL_ANSWER
        self._clock = clock

    def answered_at(self, uuid: str) -> float | None:
        """When a channel answered (tracker clock), so a group knows how long its member's phone rang."""
        return self._answers.get(uuid) if uuid else None

    def busy(self, key: str) -> bool:
        return self._count.get(key, 0) > 0

    def busy_among(self, keys) -> set[str]:
        return {key for key in keys if self.busy(key)}

    def owner(self, uuid: str) -> str:
        """The user a live channel belongs to ("" if unknown): who answered a group's bridge."""
        return self._channels.get(uuid, "") if uuid else ""

    def on_event(self, event: dict) -> None:
        name = event.get("Event-Name", "")
        uuid = event.get("Unique-ID", "")
        if not uuid:
            return
        if name == "CHANNEL_ANSWER" and uuid not in self._answers:
            self._answers[uuid] = self._clock()
            if len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)
        if name in ("CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"):
            self._drop(uuid)
        elif name in ("CHANNEL_CREATE", "CHANNEL_ANSWER") and uuid not in self._channels:
            key = user_key(event)
            if key:
                self._channels[uuid] = key
                self._count[key] = self._count.get(key, 0) + 1

    def seed(self, channels: dict[str, str]) -> None:
        """Channels that already existed when the subscription began (uuid -> user key)."""
        for uuid, key in channels.items():
            if uuid not in self._channels and key:
                self._channels[uuid] = key
                self._count[key] = self._count.get(key, 0) + 1

    def clear(self) -> None:
        """Forget everything (the event socket dropped: events may have been missed)."""
        self._channels.clear()
        self._count.clear()

    def _drop(self, uuid: str) -> None:
        key = self._channels.pop(uuid, None)
        if key is None:
            return
        left = self._count.get(key, 1) - 1
        if left > 0:
            self._count[key] = left
        else:
            self._count.pop(key, None)


def existing_channels(reply: str) -> dict[str, str]:
    """uuid -> "ext@domain" from `show channels as json` (presence_id is the user's for their calls)."""
    try:
        rows = json.loads(reply).get("rows") or []
    except (ValueError, AttributeError):
        return {}
    found = {}
    for row in rows:
        if isinstance(row, dict) and row.get("uuid") and "@" in (row.get("presence_id") or ""):
            found[row["uuid"]] = row["presence_id"]
    return found


def user_key(event: dict) -> str:
    """The user a channel is of: their own call (pbx_user_id), a leg Centralita dialled to them
    (pbx_leg_user, however it reached the phone), else FreeSWITCH's user/ endpoint's dialed_user."""
    user = event.get(f"variable_{channel_vars.USER_ID}", "") or event.get(f"variable_{channel_vars.LEG_USER}", "")
    if user:
        return user
    dialed, domain = event.get("variable_dialed_user", ""), event.get("variable_dialed_domain", "")
    return f"{dialed}@{domain}" if dialed and domain else ""


class EventFeed:
    """Subscribe to channel events on FreeSWITCH's event socket and feed a BusyTracker."""

    def __init__(self, config, tracker: BusyTracker, retry_seconds: float = 5.0):
        self.config, self.tracker, self.retry_seconds = config, tracker, retry_seconds
        self._greenlet = None
        self._connection = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
        connection, self._connection = self._connection, None
        if connection is not None:
            fsapi.close_connection(connection)

    def _run(self) -> None:
        host, port = self.config.fs_event_socket_host, self.config.fs_event_socket_port
        while True:
            try:
                connection = fsapi.connect(self.config)
                self._connection = connection
                for name in EVENTS:
                    connection.register_handle(name, self._deliver)
                connection.send("event plain " + " ".join(EVENTS))
                # Calls already up when we subscribed send no CHANNEL_CREATE: read them once.
                self.tracker.seed(existing_channels(connection.send("api show channels as json").data or ""))
                log.info("member busy state: subscribed to channel events at %s:%s", host, port)
                while connection.connected:
                    gevent.sleep(1)
            except (OSError, ValueError, greenswitch.esl.NotConnectedError) as exc:
                log.warning("member busy state: event socket %s:%s unavailable: %s", host, port, exc)
            self.tracker.clear()
            gevent.sleep(self.retry_seconds)

    def _deliver(self, event) -> None:
        self.tracker.on_event(dict(event.headers))


class TableBusy:
    """The members' channels every node sees: member_channel, written by the node that follows
    each media server's events (fs_plugins/cluster/feeds.py). The same questions as BusyTracker."""

    def __init__(self, clock=monotonic, wall=time.time):
        self._clock, self._wall = clock, wall

    def busy(self, key: str) -> bool:
        return MemberChannel.select().where(MemberChannel.member == key).exists()

    def busy_among(self, keys) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        query = MemberChannel.select(MemberChannel.member).where(MemberChannel.member.in_(keys)).distinct()
        return {row.member for row in query}

    def owner(self, uuid: str) -> str:
        row = MemberChannel.get_or_none(MemberChannel.uuid == uuid) if uuid else None
        return row.member if row is not None else ""

    def answered_at(self, uuid: str) -> float | None:
        """The answer moment (Unix time in the table) on this process's clock."""
        row = MemberChannel.get_or_none(MemberChannel.uuid == uuid) if uuid else None
        if row is None or row.answered_at is None:
            return None
        return self._clock() - max(0.0, self._wall() - row.answered_at)


SHARED_CHECK_SECONDS = 10.0


class Busy:
    """The busy state a group call asks: this process's tracker (one FreeSWITCH, the configured event
    socket: SQLite, or PostgreSQL without media servers), or the table every node shares once media
    servers are registered on PostgreSQL. Which one is looked at again every SHARED_CHECK_SECONDS."""

    def __init__(self, local: BusyTracker, shared: TableBusy | None = None, clock=monotonic):
        self.local, self.shared = local, shared or TableBusy(clock)
        self._clock = clock
        self._checked: tuple[float, bool] | None = None

    def shared_now(self) -> bool:
        now = self._clock()
        if self._checked is None or now - self._checked[0] >= SHARED_CHECK_SECONDS:
            self._checked = (now, _cluster_database() and MediaServer.select().exists())
        return self._checked[1]

    def _source(self):
        return self.shared if self.shared_now() else self.local

    def busy(self, key: str) -> bool:
        return self._source().busy(key)

    def busy_among(self, keys) -> set[str]:
        return self._source().busy_among(keys)

    def owner(self, uuid: str) -> str:
        return self._source().owner(uuid)

    def answered_at(self, uuid: str) -> float | None:
        return self._source().answered_at(uuid)


def _cluster_database() -> bool:
    """Nodes share PostgreSQL; a SQLite file has one node (and its process's tracker)."""
    return isinstance(database.obj, peewee.PostgresqlDatabase)
