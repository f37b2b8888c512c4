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
PURGE_SECONDS, by whichever node claims next: its callers are gone with its calls.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Iterable

import peewee

from fs_plugins.cluster import nodes
from fs_plugins.groups.queue import Entry
from fs_plugins.models import database
from fs_plugins.models.cluster import Node, QueueEntry, QueueOffer

log = logging.getLogger(__name__)
GROUP_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('centralita-queue:' || current_schema()), %s)"
PURGE_SECONDS = 5.0


class SharedGroupQueue:
    def __init__(self, group_id: int, node: str, history: list | None = None):
        self.group_id, self.node = group_id, node
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
        with database.atomic():
            self._lock()
            if self._waiting().count() >= limit:
                return None
            row = QueueEntry.create(group_id=self.group_id, uuid=uuid, node=self.node)
        return Entry(uuid, row.id)

    def position(self, entry: Entry) -> int:
        """1 for the caller served next (0: no longer waiting)."""
        mine = QueueEntry.get_or_none((QueueEntry.id == entry.seq) & (QueueEntry.waiting == True))  # noqa: E712
        if mine is None:
            return 0
        return self._waiting().where(QueueEntry.id <= entry.seq).count()

    def connected(self, entry: Entry) -> None:
        QueueEntry.update(waiting=False).where(QueueEntry.id == entry.seq).execute()

    def leave(self, entry: Entry) -> None:
        with database.atomic():
            self.release(entry)
            QueueEntry.delete().where(QueueEntry.id == entry.seq).execute()

    def claim(self, entry: Entry, candidates: Iterable[str], want: int | None,
              busy: Callable[[str], bool]) -> tuple[str, ...]:
        """Reserve free members for this caller, in the candidates' order; () when it must wait."""
        if entry.offering:
            return ()
        candidates = list(dict.fromkeys(candidates))
        try:
            with database.atomic():
                self._lock()
                if not self._waiting().where(QueueEntry.id == entry.seq).exists() or self._someone_before(entry):
                    return ()
                offered = {row.member for row in QueueOffer.select(QueueOffer.member).where(
                    QueueOffer.member.in_(candidates))} if candidates else set()
                chosen = [key for key in candidates if key not in offered and not busy(key)][:want]
                taken = self._offer(entry, chosen)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            # A deadlock PostgreSQL broke, or the database away: nobody now; the caller keeps waiting
            # (and overflows at max-wait), looking again after the next melody chunk.
            log.warning("group %s: no claim for call %s: %s", self.group_id, entry.uuid, exc)
            return ()
        for key in taken:
            self._log("offer", entry, key)
        entry.offering = tuple(taken)
        return entry.offering

    def _offer(self, entry: Entry, chosen: list[str]) -> list[str]:
        """One insert, members in sorted order: two claims of different groups (different locks)
        wanting the same members then wait for each other in one order, never in a cycle. A member
        another group's claim took since the look above is skipped (ON CONFLICT DO NOTHING)."""
        if not chosen:
            return []
        rows = [{"member": key, "group_id": self.group_id, "entry_id": entry.seq, "node": self.node}
                for key in sorted(chosen)]
        got = {row.member for row in QueueOffer.insert_many(rows).on_conflict_ignore().returning(
            QueueOffer.member).execute()}
        return [key for key in chosen if key in got]

    def release(self, entry: Entry) -> None:
        if entry.offering:
            QueueOffer.delete().where(QueueOffer.entry_id == entry.seq).execute()
            for key in entry.offering:
                self._log("release", entry, key)
        entry.offering = ()

    # -- inside ---------------------------------------------------------------------------------
    def _waiting(self):
        return QueueEntry.select().where((QueueEntry.group_id == self.group_id) & (QueueEntry.waiting == True))  # noqa: E712

    def _someone_before(self, entry: Entry) -> bool:
        """A caller who joined before this one waits and is offered nobody yet."""
        offered = QueueOffer.select(QueueOffer.entry_id).where(QueueOffer.entry_id == QueueEntry.id)
        return self._waiting().where((QueueEntry.id < entry.seq) & ~peewee.fn.EXISTS(offered)).exists()

    def _lock(self) -> None:
        database.execute_sql(GROUP_LOCK_SQL, (self.group_id,))

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
        return SharedGroupQueue(group_id, self.node, history)

    def next_seq(self) -> int:
        return 0  # the order of arrival is queue_entry's id

    def lengths(self) -> dict[int, int]:
        rows = (QueueEntry.select(QueueEntry.group_id, peewee.fn.COUNT(QueueEntry.id).alias("n"))
                .where(QueueEntry.waiting == True).group_by(QueueEntry.group_id))  # noqa: E712
        return {row.group_id: row.n for row in rows}

    def purge(self) -> None:
        """Forget the callers and offers of nodes not heard from within nodes.DEAD_AFTER."""
        now = self._clock()
        if now - self._purged < PURGE_SECONDS:
            return
        self._purged = now
        alive = Node.select(Node.name).where(Node.heartbeat_at >= nodes.now() - nodes.DEAD_AFTER)
        with database.atomic():
            QueueOffer.delete().where(QueueOffer.node.not_in(alive) & (QueueOffer.node != self.node)).execute()
            QueueEntry.delete().where(QueueEntry.node.not_in(alive) & (QueueEntry.node != self.node)).execute()
