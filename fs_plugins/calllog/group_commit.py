"""Group commit: CDR legs posted at the same moment are filed in one transaction (under `serve`).

Each leg in its own transaction pays a BEGIN and a COMMIT (on PostgreSQL a WAL flush and round
trips; on SQLite about a third of the leg's database time) for a few statements of work. Here the
receiving greenlets queue their parsed legs and wait; one filer greenlet takes what is queued (up
to MAX_LEGS) and files it all in one transaction, then wakes each waiter with its own outcome. The
receiver's guarantee is unchanged: a post is answered 200 only after the transaction holding its
leg has committed.

* One leg that fails (a bug, a constraint) must not cost the others: the batch is rolled back and
  each of its legs filed again in its own transaction, so only the bad one answers 500.
* The database unavailable or not answering within `seconds`: every leg of the batch gets that
  error (503; FreeSWITCH retries, or keeps the file for the sweep). A waiter gives up after two
  batches' worth of time; a leg committed after its post gave up is a duplicate when re-posted
  (legs are unique on their uuid).
* The filer keeps its pooled connection from one batch to the next while legs keep coming, and
  hands it back after IDLE_SECONDS without any: a checkout and a hand-back per batch (the pool's
  lock, peewee's state, a rollback of nothing on PostgreSQL) cost as much as filing a small batch.
  A batch never leaves a transaction open on the kept connection (release drops one that did).
* SQLite files inline, without yielding: MAX_LEGS bounds how long a batch holds the event loop
  (~16 × 0.2 ms) when the CDR receiver shares its process with the xml_curl handler.
* On PostgreSQL a batch is three round trips whatever its size (store.file_legs), BEGIN and COMMIT
  included (dbpool.few_trips carries them on the first and last statements), and its calls'
  advisory locks are taken in one statement in key order, so two batches (two filers, two
  processes) never wait on each other in a cycle.
* Each filer has its own queue, and a call's legs always go to the same one (by a hash of the call
  id): FreeSWITCH posts a call's legs at the same moment, and two filers taking one leg each
  filed them one after the other, the second waiting on the call's lock for the first's whole
  transaction, its commit included; in one filer they share a batch and a commit.

Only for a database of fs_plugins.dbpool (cooperative, pooled: `serve`); anywhere else (tests,
plain threads) the receiver files each leg itself.
"""
from __future__ import annotations

import zlib

import gevent
import peewee
from gevent.event import AsyncResult
from gevent.queue import Empty, Queue

from fs_plugins.calllog.parse import LegFacts
from fs_plugins.calllog.store import file_legs, store_leg
from fs_plugins.dbpool import UNAVAILABLE, DatabaseUnavailable, deadline, few_trips, release

MAX_LEGS = 16
IDLE_SECONDS = 1.0  # the filer's connection goes back to the pool after this long without a leg
# SQLite has one writer: one filer. On PostgreSQL a batch's statements are round trips the filer
# waits on; a second filer keeps the server busy meanwhile. More filers made smaller batches (more
# round trips and event-loop switches per leg) and more server processes competing for the two
# cores. In-process on B5's quick data set (100,000 calls), machine load 4-6, legs/s with 2, 8 and
# 16 posters at once: 4 filers 727, 735-1,299, 2,605 (294-593 µs CPU a leg); 2 filers 1,094,
# 2,211-2,458, 3,421 (225-515 µs); 1 filer 1,582-2,321 at 8 posters.
FILERS_POSTGRESQL = 2


class GroupCommit:
    def __init__(self, db, seconds: float):
        self.db, self.seconds = db, seconds
        filers = FILERS_POSTGRESQL if isinstance(db, peewee.PostgresqlDatabase) else 1
        self._queues: list[Queue] = [Queue() for _ in range(filers)]
        self._filers: list[gevent.Greenlet | None] = [None] * filers

    def store(self, facts: LegFacts) -> bool:
        """File the leg with whatever else is queued; True when it was new. Returns once committed."""
        result = AsyncResult()
        filer = _filer_of(facts.call_id, len(self._queues))
        self._queues[filer].put((facts, result))
        running = self._filers[filer]
        if running is None or running.dead:
            self._filers[filer] = gevent.spawn(self._run, self._queues[filer])
        try:
            return result.get(timeout=2 * self.seconds + 1)
        except gevent.Timeout:
            raise DatabaseUnavailable(f"leg not filed within {2 * self.seconds + 1:.0f} s") from None

    def _run(self, queue: Queue) -> None:
        try:
            while True:
                try:
                    first = queue.get(timeout=IDLE_SECONDS)
                except Empty:
                    release(self.db)  # idle: the connection serves others until legs come again
                    first = queue.get()
                batch = [first]
                gevent.sleep(0)  # the posts read meanwhile join this batch
                while len(batch) < MAX_LEGS and not queue.empty():
                    batch.append(queue.get_nowait())
                self._file(batch)
                if self.db.in_transaction():  # never kept open into the next batch
                    release(self.db)
        finally:
            release(self.db)

    def _file(self, batch: list[tuple[LegFacts, AsyncResult]]) -> None:
        batch.sort(key=lambda item: item[0].call_id)
        try:
            with deadline(self.seconds):
                if len(batch) == 1:
                    outcomes = [store_leg(self.db, batch[0][0])]
                else:
                    with few_trips(self.db):
                        outcomes = file_legs(self.db, [facts for facts, _ in batch], last=True)
        except UNAVAILABLE as exc:
            # Its connection may be closed or cut mid-statement (a reset, a stall): the next batch
            # starts on a fresh one. Kept, it failed every batch of this filer's calls until idle.
            # One whose statement the server cancelled (statement_timeout) is healthy: kept.
            self.db.drop_connection_if_broken()
            for _, result in batch:
                result.set_exception(exc)
            return
        except Exception as exc:  # noqa: BLE001 (handed to the waiter, which logs it and answers 500)
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for item in batch:
                self._file([item])
            return
        for (_, result), new in zip(batch, outcomes):
            result.set(new)


def _filer_of(call_id: str, filers: int) -> int:
    """The filer of a call's legs: always the same one (crc32, not hash(): the same in every run)."""
    return zlib.crc32(call_id.encode()) % filers if filers > 1 else 0
