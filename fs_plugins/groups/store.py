"""Advanced groups' lines shared by every node: the same interface and rules as queue.py's
in-process line, kept in PostgreSQL (queue_entry, queue_offer: fs_plugins/models/cluster.py).

Used when several nodes run calls (PostgreSQL with media servers registered, groups/wiring.py); one
node on SQLite keeps queue.py's line, unchanged. The rules are today's (queue.py's docstring):

  * longest waiting first: a caller may take members only when every caller who joined the group
    before it (on any node) is already being offered someone;
  * a member is offered one call at a time, across every group, server and node: queue_offer's
    primary key is the member, so two claims can never both hold one; and never while busy (the
    busy set the flow read from member_channel);
  * a caller leaves the line when a member answers (`connected`); the member stays reserved until
    that offer is released.

A claim is one transaction under the group's advisory lock (`pg_advisory_xact_lock`), so two
nodes' callers of one group are judged one after the other against the same rows; claims of two
groups for one member meet at the primary key (ON CONFLICT DO NOTHING: the second gets nobody).
Rows of a node that stopped beating (fs_plugins/cluster/nodes.py) are purged, at most every
PURGE_SECONDS, by whichever node claims next (or starts a group call): its callers are gone with
its calls, and its callers left ahead in a line would otherwise block the live ones for good. So
are expired rows of any node, live ones included: a caller or an offer older than ROW_MAX_AGE can
only be one its flow failed to take out (no call lasts that long), which would otherwise hold a
member or a place in line for as long as that node runs. A member really on a call that long stays
out of new offers all the same: the busy set (member_channel) still has the call.

Speed (benches/b9_queues.py): a join, a claim, a release and a leave are each one round trip to
PostgreSQL: the advisory lock and the statement that judges and writes go as one query string,
which PostgreSQL runs as one implicit transaction (each statement with its own snapshot, so the
judging statement sees every row committed before the lock was granted). The group's lock is thus
held for one statement's execution, not for several network round trips.

News for the waiting callers of every node (fs_plugins/cluster/wakeups.py) is sent in the same
transactions: a released member (`m:<key>`) and a line that moved (`g:<group>`: a caller was
offered someone or left), delivered by PostgreSQL at commit, each marked with the sending caller's
entry id (`e<id>|…`) so that it never wakes that caller itself.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable, Iterable

import peewee

from fs_plugins.cluster import nodes, wakeups
from fs_plugins.groups.queue import Entry
from fs_plugins.models import database
from fs_plugins.models.cluster import Node, QueueEntry, QueueOffer

log = logging.getLogger(__name__)
GROUP_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('centralita-queue:' || current_schema()), %(group)s)"
# The lines are as short-lived as the calls: a commit need not wait for the disk (a PostgreSQL crash
# may lose the last fraction of a second of joins and offers, never make two nodes see different
# rows). Waiting for the WAL flush was most of a claim's time (benches/b9_queues.py).
ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit = off"
PURGE_SECONDS = 5.0
ROW_MAX_AGE = dt.timedelta(hours=12)
_ENTRY, _OFFER = QueueEntry._meta.table_name, QueueOffer._meta.table_name
_NOTIFY = f"pg_notify('{wakeups.CHANNEL}', %s)"
# A caller joins unless the line is full (its id is its place in line).
JOIN_SQL = f"""{ASYNC_COMMIT_SQL}; {GROUP_LOCK_SQL};
INSERT INTO {_ENTRY} (group_id, uuid, node, waiting, joined_at)
SELECT %(group)s, %(uuid)s, %(node)s, true, now() AT TIME ZONE 'utc'
WHERE (SELECT count(*) FROM {_ENTRY} WHERE group_id = %(group)s AND waiting) < %(limit)s
RETURNING id"""
# The free candidates, in their order, for a caller still waiting with nobody unserved ahead of it;
# inserted in the members' sorted order (two groups' claims wanting the same members then wait for
# each other in one order, never in a cycle); a member another group's claim took meanwhile is
# skipped (the primary key: ON CONFLICT DO NOTHING).
CLAIM_SQL = f"""{ASYNC_COMMIT_SQL}; {GROUP_LOCK_SQL};
WITH me AS (SELECT 1 FROM {_ENTRY} WHERE id = %(entry)s AND waiting),
ahead AS (
  SELECT 1 FROM {_ENTRY} q
  WHERE q.group_id = %(group)s AND q.waiting AND q.id < %(entry)s
    AND NOT EXISTS (SELECT 1 FROM {_OFFER} o WHERE o.entry_id = q.id)
  LIMIT 1),
free AS (
  SELECT c.member FROM unnest(%(candidates)s::text[]) WITH ORDINALITY AS c(member, position)
  WHERE EXISTS (SELECT 1 FROM me) AND NOT EXISTS (SELECT 1 FROM ahead)
    AND NOT EXISTS (SELECT 1 FROM {_OFFER} o WHERE o.member = c.member)
  ORDER BY c.position LIMIT %(want)s),
taken AS (
  INSERT INTO {_OFFER} (member, group_id, entry_id, node, offered_at)
  SELECT member, %(group)s, %(entry)s, %(node)s, now() AT TIME ZONE 'utc' FROM free ORDER BY member
  ON CONFLICT DO NOTHING RETURNING member)
SELECT member, {_NOTIFY % "%(sender)s || %(moved)s"} FROM taken"""
RELEASE_SQL = f"""{ASYNC_COMMIT_SQL}; WITH gone AS (DELETE FROM {_OFFER} WHERE entry_id = %(entry)s RETURNING member)
SELECT {_NOTIFY % "%(sender)s || 'm:' || member"} FROM gone"""
LEAVE_SQL = f"""{RELEASE_SQL};
WITH gone AS (DELETE FROM {_ENTRY} WHERE id = %(entry)s RETURNING group_id)
SELECT {_NOTIFY % "%(sender)s || 'g:' || group_id"} FROM gone"""


class SharedGroupQueue:
    def __init__(self, group_id: int, node: str, history: list | None = None,
                 purge: Callable[[], None] = lambda: None):
        self.group_id, self.node = group_id, node
        self._purge = purge  # a dead node's callers ahead would block this line: purged before claims
        self.history = history if history is not None else []
        self.keep_history = history is not None

    # -- what the tests and metrics read ------------------------------------------------------
    @property
    def entries(self) -> list[str]:
        """The callers waiting, in order (their call uuids)."""
        return [row.uuid for row in self._waiting().order_by(QueueEntry.id)]

    @property
    def reserved(self) -> dict[str, int]:
        """member -> the queue_entry id it is offered to, for this group."""
        return {row.member: row.entry_id for row in QueueOffer.select().where(QueueOffer.group_id == self.group_id)}

    # -- the line -------------------------------------------------------------------------------
    def join(self, uuid: str, seq: int, limit: int) -> Entry | None:
        row = self._run(JOIN_SQL, {"group": self.group_id, "uuid": uuid, "node": self.node,
                                   "limit": limit}).fetchone()
        return Entry(uuid, row[0]) if row else None

    def position(self, entry: Entry) -> int:
        """1 for the caller served next (0: no longer waiting)."""
        mine = QueueEntry.get_or_none((QueueEntry.id == entry.seq) & (QueueEntry.waiting == True))  # noqa: E712
        if mine is None:
            return 0
        return self._waiting().where(QueueEntry.id <= entry.seq).count()

    def connected(self, entry: Entry) -> None:
        QueueEntry.update(waiting=False).where(QueueEntry.id == entry.seq).execute()

    def leave(self, entry: Entry) -> None:
        self._run(LEAVE_SQL, {"entry": entry.seq, "sender": wakeups.sent_by(entry.seq)})
        self._released(entry)

    def claim(self, entry: Entry, candidates: Iterable[str], want: int | None,
              busy: Callable[[str], bool]) -> tuple[str, ...]:
        """Reserve free members for this caller, in the candidates' order; () when it must wait."""
        if entry.offering:
            return ()
        free = [key for key in dict.fromkeys(candidates) if not busy(key)]
        if not free:
            return ()
        try:
            self._purge()
            taken = {row[0] for row in self._run(CLAIM_SQL, {
                "group": self.group_id, "entry": entry.seq, "node": self.node, "candidates": free,
                "want": want, "moved": wakeups.group_news(self.group_id),
                "sender": wakeups.sent_by(entry.seq)}).fetchall()}
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            # A deadlock PostgreSQL broke, or the database away: nobody now; the caller keeps waiting
            # (and overflows at max-wait), looking again after the next melody chunk.
            log.warning("group %s: no claim for call %s: %s", self.group_id, entry.uuid, exc)
            return ()
        entry.offering = tuple(key for key in free if key in taken)
        for key in entry.offering:
            self._log("offer", entry, key)
        return entry.offering

    def release(self, entry: Entry) -> None:
        if entry.offering:
            self._run(RELEASE_SQL, {"entry": entry.seq, "sender": wakeups.sent_by(entry.seq)})
        self._released(entry)

    # -- inside ---------------------------------------------------------------------------------
    def _waiting(self):
        return QueueEntry.select().where((QueueEntry.group_id == self.group_id) & (QueueEntry.waiting == True))  # noqa: E712

    def _released(self, entry: Entry) -> None:
        for key in entry.offering:
            self._log("release", entry, key)
        entry.offering = ()

    @staticmethod
    def _run(sql: str, params: dict):
        """One query string, one round trip (several statements: one implicit transaction)."""
        return database.execute_sql(sql, params)

    def _log(self, event: str, entry: Entry, key: str) -> None:
        if self.keep_history:
            self.history.append((event, entry.uuid, key))


class SharedQueues:
    """The `Queues` of several nodes: one shared line per group id; this node's name marks its rows."""

    def __init__(self, node: str, keep_history: bool = False, clock=time.monotonic):
        self.node = node
        self.keep_history = keep_history
        self._histories: dict[int, list] = {}
        self._clock = clock
        self._purged = float("-inf")

    def of(self, group_id: int) -> SharedGroupQueue:
        self.purge()
        history = self._histories.setdefault(group_id, []) if self.keep_history else None
        return SharedGroupQueue(group_id, self.node, history, self.purge)

    def next_seq(self) -> int:
        return 0  # the order of arrival is queue_entry's id

    def lengths(self) -> dict[int, int]:
        rows = (QueueEntry.select(QueueEntry.group_id, peewee.fn.COUNT(QueueEntry.id).alias("n"))
                .where(QueueEntry.waiting == True).group_by(QueueEntry.group_id))  # noqa: E712
        return {row.group_id: row.n for row in rows}

    def purge(self) -> None:
        """Forget the callers and offers of nodes not heard from within nodes.DEAD_AFTER, and any
        older than ROW_MAX_AGE."""
        now = self._clock()
        if now - self._purged < PURGE_SECONDS:
            return
        self._purged = now
        alive = Node.select(Node.name).where(Node.heartbeat_at >= nodes.now() - nodes.DEAD_AFTER)
        expired = nodes.now() - ROW_MAX_AGE
        with database.atomic():
            gone = QueueOffer.delete().where(
                (QueueOffer.node.not_in(alive) & (QueueOffer.node != self.node))
                | (QueueOffer.offered_at < expired)).execute()
            gone += QueueEntry.delete().where(
                (QueueEntry.node.not_in(alive) & (QueueEntry.node != self.node))
                | (QueueEntry.joined_at < expired)).execute()
            if gone:  # members freed and callers gone: every node's first waiters look again
                database.execute_sql(wakeups.NOTIFY_SQL, (wakeups.EVERYTHING,))
