"""The database as `centralita serve` uses it: pooled, cooperative, healing, answering in time.

`serve` runs under gevent's monkey-patching (fs_plugins/launcher.py), so peewee's per-thread
connection state is per greenlet: every request, ESL session and sweeper holds its own connection
while it works, checked out of a bounded pool (playhouse.pool) and handed back by `release` when
the unit of work ends (serve's WSGI wrapper, the ESL session between commands, the sweeper).

* PostgreSQL goes through psycopg2 made cooperative by psycogreen: a query waits on its socket
  like any other greenlet. playhouse's pool checks a connection on checkout with a `SELECT 1`
  round trip, which would double the round trips of every directory request; here the checkout
  looks only at what psycopg2 knows locally, and a connection found broken when it is used is
  dropped, the pool's idle connections with it (after a reset or a restart they are all dead),
  and the statement runs again once on a fresh connection when no transaction was open.
* SQLite runs its statements inline (microseconds; WAL readers never wait for the writer) with no
  busy wait; a statement that finds the write lock taken runs again in gevent's thread pool, with
  the full busy timeout, so the wait blocks that thread and not the event loop. A SELECT from a
  greenlet holding no connection (every directory and dialplan read) skips the pool: it runs on
  one shared reader connection and its rows are fetched at once, before anything can yield, so no
  other greenlet ever sees that connection mid-statement (and no half-read cursor can pin an old
  WAL snapshot for the others). The checkout and hand-back cost more than the read itself
  (measured: 85 → 45 µs per sip_auth in-process).
* `deadline(seconds)` (fs_plugins/deadlines.py) bounds every statement of the block, per
  greenlet: a statement still waiting when it passes raises DatabaseUnavailable; on PostgreSQL the server's
  `statement_timeout` is set a little below it, so a slow query is cancelled there and its
  connection survives, while a stalled network is cut by the client side.
* PostgreSQL statements given as `prepared.on_server(...)` (CDR filing's, routing's reads that are
  not kept, and what every API request and portal page asks: its key or session, the rows in scope,
  the row it changes and its audit entry, the call-log page, the user list) are prepared on each
  connection the first time it runs them, then only executed: planning them cost more server CPU
  than running them.
* An outage is logged once (WARNING) and its end once (INFO); requests answer without a traceback.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
import weakref
from typing import Callable, Mapping

import gevent
import peewee
from gevent.monkey import get_original
from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase, PooledSqliteDatabase

from fs_plugins.deadlines import budget as _budget
from fs_plugins.deadlines import deadline, each_statement  # noqa: F401  (the servers' way in)
from fs_plugins.deadlines import remaining as _remaining
from fs_plugins.deadlines import uncapped as _uncapped
from fs_plugins.prepared import Statements

log = logging.getLogger(__name__)


class DatabaseUnavailable(peewee.OperationalError):
    """The database did not answer in time, or the connection is lost: answer without it."""


# Seconds a person is asked to wait: another write held the lock for all of api_deadline, or the
# database is down.
RETRY_AFTER_BUSY = 2


def database_busy(exc: BaseException) -> bool:
    """The database did not answer in time: serve's deadline passed (DatabaseUnavailable), or
    SQLite's write lock stayed taken for all of its busy timeout. The API and the portal answer 503
    with Retry-After for it, not 500: nothing was changed and trying again later works."""
    return isinstance(exc, DatabaseUnavailable) or (
        isinstance(exc, peewee.OperationalError) and any(said in str(exc) for said in _SQLITE_BUSY))


_SQLITE_BUSY = ("database is locked", "database is busy")


# What a caller answering without the database catches (a rollback on a lost connection is an
# InterfaceError; a cancelled statement an OperationalError).
UNAVAILABLE = (peewee.OperationalError, peewee.InterfaceError)


class _Expired(Exception):
    pass


_NO_LIMIT = contextlib.nullcontext()


class Health:
    """One WARNING when the database stops answering, one INFO line when it answers again."""

    def __init__(self, describe: str):
        self.describe = describe
        self.down_since: float | None = None
        self.answered_once = False  # before that, the caller reports the failure (serve cannot start)

    def failed(self, reason: str) -> None:
        if self.down_since is None and self.answered_once:
            self.down_since = time.monotonic()
            log.warning("database %s unavailable: %s (answering without it until it is back)", self.describe, reason)

    def succeeded(self) -> None:
        self.answered_once = True
        if self.down_since is not None:
            log.info("database %s is back after %.1f s", self.describe, time.monotonic() - self.down_since)
            self.down_since = None


class _Green:
    """What both engines share: checkouts owned by greenlets, time limits, dropping broken connections."""

    def __init__(self, database, *, describe: str = "", connect_timeout: float = 2.0,
                 statement_timeout_ms: int = 500, **kwargs):
        self.connect_timeout = connect_timeout
        self.statement_timeout_ms = statement_timeout_ms
        self.health = Health(describe or str(database))
        self._owners: dict[int, object] = {}
        # Every greenlet whose peewee state may hold a connection (a superset: added before a
        # checkout, dropped once its state is closed). `release` asks this first: most requests
        # never check one out (cached rows, the shared reader), and reading peewee's greenlet-local
        # state in a new greenlet builds it (~3 µs a request).
        self._holding: weakref.WeakSet = weakref.WeakSet()
        super().__init__(database, **kwargs)

    # -- the pool ----------------------------------------------------------------------------
    def _connect(self):
        with self._pool_lock:
            try:
                conn = super()._connect()
            except MaxConnectionsExceeded:
                if not self._reclaim_dead_owners():
                    raise
                conn = super()._connect()
            self._owners[self.conn_key(conn)] = gevent.getcurrent()
            return conn

    def _reclaim_dead_owners(self) -> int:
        """Connections checked out by greenlets that ended without handing them back."""
        dead = [key for key, owner in self._owners.items() if getattr(owner, "dead", False) and key in self._in_use]
        for key in dead:
            self._close_raw(self._in_use.pop(key).connection)
            del self._owners[key]
        if dead:
            log.warning("reclaimed %d database connections of ended greenlets", len(dead))
        return len(dead)

    def _close(self, conn, close_conn=False):
        with self._pool_lock:
            self._owners.pop(self.conn_key(conn), None)
            super()._close(conn, close_conn)

    def connect(self, reuse_if_open=False):
        self._holding.add(gevent.getcurrent())
        try:
            with self._time_limit(self.connect_timeout):
                return super().connect(reuse_if_open)
        except _Expired:
            reason = f"no connection within {self._limit(self.connect_timeout):.1f} s"
        except MaxConnectionsExceeded:
            raise DatabaseUnavailable(f"all {self._max_connections} database connections are busy") from None
        except UNAVAILABLE as exc:
            reason = _first_line(exc)
        self.health.failed(reason)
        raise DatabaseUnavailable(reason) from None

    def drop_connection(self) -> None:
        """Forget this greenlet's connection without handing it back (it is broken or in use elsewhere).
        One a pool thread still runs a statement on (SQLite, _abandon) is left to that thread, which
        closes it when done: closed from here, sqlite3's close would wait on its statement with the
        event loop (up to the busy timeout), or crash the process (a segfault in
        tests/test_dbpool_sqlite_reader.py)."""
        conn = self._state.conn
        self._state.reset()
        self._holding.discard(gevent.getcurrent())
        if conn is not None and not self._used_by_a_thread(conn):
            self._close(conn, close_conn=True)

    def drop_connection_if_broken(self) -> None:
        """After a statement failed: drop_connection when the connection is closed or cut (a reset, a
        stall cut short, one given up to a pool thread). One the server only cancelled a statement on
        (statement_timeout) is healthy and kept: a new one would add a backend start under overload."""
        conn = self._state.conn
        if conn is not None and (self._broken() or self._is_closed(conn)):
            self.drop_connection()

    def _used_by_a_thread(self, conn) -> bool:
        return False

    def close(self):
        try:
            return super().close()
        finally:
            if self._state.closed:
                self._holding.discard(gevent.getcurrent())

    def may_hold_connection(self) -> bool:
        """False when this greenlet certainly holds no connection (nothing to hand back)."""
        # WeakSet's `in` is Python code that makes a weak reference: first the (C) size of its set,
        # empty whenever no request is waiting on the database (every answer kept).
        return bool(self._holding.data) and gevent.getcurrent() in self._holding

    # -- statements --------------------------------------------------------------------------
    def execute_sql(self, sql, params=None):
        return self._guarded(lambda: self._run(sql, params), retry=True)

    def begin(self, *args, **kwargs):
        return self._guarded(lambda: super(_Green, self).begin(*args, **kwargs), retry=True)

    def commit(self):
        return self._guarded(super().commit, retry=False)

    def rollback(self):
        if self._broken():  # the server rolled it back when the connection went
            return None
        return super().rollback()

    def _run(self, sql, params):
        return super().execute_sql(sql, params)

    def _guarded(self, call, retry: bool):
        for attempt in range(2):
            try:
                with self._time_limit(None):
                    result = call()
                self.health.succeeded()
                return result
            except _Expired:
                reason = f"no answer within {_budget():.1f} s"
                self._forget_broken(reason, expired=True)
                raise DatabaseUnavailable(reason) from None
            except UNAVAILABLE as exc:
                if isinstance(exc, DatabaseUnavailable):
                    raise
                if self._cancelled(exc):
                    raise DatabaseUnavailable(f"no answer within {self.statement_timeout_ms} ms") from None
                if not self._broken():
                    raise
                in_transaction = self.in_transaction()
                self._forget_broken(_first_line(exc))
                if in_transaction or not retry or attempt:
                    raise DatabaseUnavailable(_first_line(exc)) from None
        raise AssertionError("unreachable")

    def _forget_broken(self, reason: str, expired: bool = False) -> None:
        self.health.failed(reason)
        if not self.in_transaction():
            self.drop_connection()
        if not expired:
            self.close_idle()  # after a reset or a restart, the idle ones are dead too

    def _broken(self) -> bool:
        return False

    def _cancelled(self, exc) -> bool:
        return False

    # -- time limits -------------------------------------------------------------------------
    def _limit(self, cap: float | None) -> float | None:
        remaining = _remaining()
        if remaining is None:
            return cap
        return remaining if cap is None else min(cap, remaining)

    # A statement that waits on a socket can be interrupted; SQLite's inline ones run in C without
    # yielding (microseconds: no timer for them), its lock waits are bounded in _off_loop.
    interruptible = True

    def _time_limit(self, cap: float | None):
        limit = self._limit(cap)
        if limit is None:
            return _NO_LIMIT
        if limit <= 0:
            raise _Expired()
        return gevent.Timeout(limit, _Expired) if self.interruptible else _NO_LIMIT


class GreenPostgresqlDatabase(_Green, PooledPostgresqlDatabase):
    def __init__(self, *args, **kwargs):
        self._statement_timeouts: dict[int, int] = {}  # what each connection was told (a SET costs a round trip)
        # The prepared.Statements each connection holds prepared, by name; None: not known (a text
        # that prepared some failed, and PREPARE is not undone by a rollback), so all are dropped.
        self._prepared: dict[int, set[str] | None] = {}
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn):
        # Only what psycopg2 knows locally: no round trip per checkout (see the module's docstring).
        return bool(conn.closed) or self._adapter.txn_status(conn) == self._adapter.txn_unknown

    def _broken(self) -> bool:
        conn = self._state.conn
        return conn is None or bool(conn.closed) or self._adapter.txn_status(conn) == self._adapter.txn_unknown

    def _cancelled(self, exc) -> bool:
        return getattr(getattr(exc, "orig", None) or exc, "pgcode", None) == "57014"  # query_canceled

    def _stale_plan(self, exc) -> bool:
        # "cached plan must not change result type" (feature_not_supported), after an ALTER COLUMN TYPE
        return getattr(getattr(exc, "orig", None) or exc, "pgcode", None) == "0A000"

    def _run(self, sql, params):
        self._set_statement_timeout()
        preparing = None
        if isinstance(sql, Statements):
            sql, preparing = self._as_prepared(sql)
        state = self._state
        if getattr(state, "trips", None) is not None and self.in_transaction():
            sql = state.trips.carry(sql)
        if preparing is None:
            return super()._run(sql, params)
        key = self.conn_key(state.conn)
        before = self._prepared.get(key, set())
        try:
            cursor = super()._run(sql, params)
        except BaseException as exc:
            # A text that prepared something: what ran before the failure stays prepared, unknown.
            # One that only executed names already held leaves them exact (a duplicate key or a
            # statement timeout on an API write would otherwise cost DEALLOCATE ALL and preparing
            # everything again); unless a schema change made a plan stale: then all are dropped.
            if preparing != before or self._stale_plan(exc):
                self._prepared[key] = None
            raise
        known = self._prepared.get(key)
        self._prepared[key] = preparing if known is None else known | preparing
        return cursor

    def _as_prepared(self, statements: Statements) -> tuple[str, set[str] | None]:
        """The text running `statements` as statements prepared on this greenlet's connection
        (preparing those it lacks), and the names it prepares; (the plain text, None) when the
        connection holds MAX_PREPARED already."""
        known = self._prepared.get(self.conn_key(self.connection()), set())
        if known and known.issuperset(statements.names):  # the usual case: all prepared, only executed
            return statements.executing + statements.then, known
        head = ["DEALLOCATE ALL"] if known is None else []
        known = known or set()
        missing = [index for index, name in enumerate(statements.names) if name not in known]
        if len(known) + len(missing) > MAX_PREPARED:
            return str(statements), None
        text = "; ".join([
            *head,
            *(f"PREPARE {statements.names[index]} AS {_numbered(statements.parts[index])}" for index in missing),
            *(f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
              for name, count in zip(statements.names, statements.counts))])
        return text + statements.then, {statements.names[index] for index in missing} | (set() if head else known)

    # -- few_trips: BEGIN and COMMIT carried by the transaction's own statements ------------------
    def begin(self, *args, **kwargs):
        trips = getattr(self._state, "trips", None)
        if trips is not None and not args and not kwargs and not self._isolation_level and trips.deferring:
            self.connection()  # checked out now, as peewee's begin does: connecting later would empty the transaction stack
            trips.begin_pending = True
            return None
        return super().begin(*args, **kwargs)

    def commit(self):
        trips = getattr(self._state, "trips", None)
        if trips is not None and (trips.begin_pending or trips.committed):
            trips.begin_pending = False  # nothing ran (nothing to commit), or its COMMIT went already
            return None
        return super().commit()

    def rollback(self):
        trips = getattr(self._state, "trips", None)
        if trips is not None and (trips.begin_pending or trips.committed):
            trips.begin_pending = False
            return None
        return super().rollback()

    def _set_statement_timeout(self) -> None:
        """Inside a deadline, the server cancels a statement a little before the client gives up."""
        budget_ms = int(_budget() * 1000) if _remaining() is not None else 0
        cap = budget_ms if _uncapped() else self.statement_timeout_ms
        wanted = min(cap, budget_ms) if budget_ms else 0
        conn = self.connection()
        key = self.conn_key(conn)
        if self._statement_timeouts.get(key, 0) != wanted:
            with peewee.__exception_wrapper__:
                conn.cursor().execute("SET statement_timeout = %s", (wanted,))
            self._statement_timeouts[key] = wanted

    def _close_raw(self, conn):
        self._statement_timeouts.pop(self.conn_key(conn), None)
        self._prepared.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


# Statements prepared on one connection at most (CDR filing's, for each size of batch: some tens).
MAX_PREPARED = 256


def _numbered(sql: str) -> str:
    """psycopg2's `%s` placeholders as PREPARE's $1, $2, … (no statement here holds a literal %)."""
    pieces = sql.split("%s")
    return "".join(f"{piece}${number}" for number, piece in enumerate(pieces[:-1], 1)) + pieces[-1]


_real_thread_id = get_original("_thread", "get_ident")  # the OS thread, not the greenlet


class _Fetched:
    """A SELECT's rows, fetched: what peewee and the callers read of a cursor."""

    rowcount = -1

    def __init__(self, description, rows: list):
        self.description = description
        self._rows = iter(rows)

    def fetchone(self):
        return next(self._rows, None)

    def fetchall(self) -> list:
        return list(self._rows)

    def __iter__(self):
        return self._rows

    def close(self) -> None:
        self._rows = iter(())


class GreenSqliteDatabase(_Green, PooledSqliteDatabase):
    interruptible = False

    def __init__(self, database, *, busy_timeout_ms: int = 5000, pragmas=None, **kwargs):
        self.busy_timeout_ms = busy_timeout_ms
        self._abandoned: set[int] = set()  # connections a pool thread still uses after their greenlet gave up
        self._readers: dict[int, sqlite3.Connection] = {}  # the shared reader, per OS thread
        # Inline statements never wait for the lock; set first, before any pragma that might.
        pragmas = {"busy_timeout": 0, **{k: v for k, v in dict(pragmas or {}).items() if k != "busy_timeout"}}
        super().__init__(database, pragmas=pragmas, **kwargs)

    def _broken(self) -> bool:
        conn = self._state.conn
        return conn is not None and self.conn_key(conn) in self._abandoned

    def _used_by_a_thread(self, conn) -> bool:
        return self.conn_key(conn) in self._abandoned

    def execute_sql(self, sql, params=None):
        if self._state.closed and sql.lstrip()[:6].upper() == "SELECT" and not self.query_hooks:
            fetched = self._read_shared(sql, params)
            if fetched is not None:
                return fetched
        return super().execute_sql(sql, params)

    def begin(self, lock_type=None):
        # Through execute_sql, so that a BEGIN IMMEDIATE finding the write lock taken waits for it
        # off the loop like any statement (peewee's own begin runs it on the cursor: "locked" at once).
        lock_type = lock_type or self._lock_type
        self.execute_sql(f"BEGIN {lock_type}" if lock_type else "BEGIN")

    def _read_shared(self, sql, params) -> _Fetched | None:
        """The SELECT's rows from the shared reader (see the module's docstring); None when the
        database is busy (WAL recovery, a checkpoint): the pooled path then waits off the loop."""
        self._log_query(sql, params)
        thread = _real_thread_id()
        try:
            reader = self._readers.get(thread)
            if reader is None:
                with peewee.__exception_wrapper__:
                    reader = self._readers[thread] = peewee.SqliteDatabase._connect(self)
            cursor = reader.execute(sql, params or ())
            return _Fetched(cursor.description, cursor.fetchall())
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            with peewee.__exception_wrapper__:
                raise

    def _run(self, sql, params):
        if self._broken():
            raise DatabaseUnavailable("the transaction's connection was given up")
        try:
            return super()._run(sql, params)
        except peewee.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        return self._off_loop(sql, params)

    def _off_loop(self, sql, params):
        """Wait for the write lock in a thread of gevent's pool; the event loop runs meanwhile."""
        conn = self.connection()
        busy_ms = self.busy_timeout_ms

        def run():
            cursor = conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            try:
                cursor.execute(sql, params or ())
                return cursor, None
            except Exception as exc:  # raised in the greenlet below, not logged by the thread pool
                return None, exc
            finally:
                conn.execute("PRAGMA busy_timeout = 0")

        waiting = gevent.get_hub().threadpool.spawn(run)
        try:
            limit = self._limit(None)
            if limit is None:
                cursor, error = waiting.get()
            else:
                with gevent.Timeout(max(limit, 0), _Expired):
                    cursor, error = waiting.get()
        except BaseException:
            # Timed out or killed while the thread still uses the connection: it is never handed to
            # another greenlet, nor used again by this one (not even to roll back: that would wait on
            # the thread with the event loop); it is closed when the thread is done, which rolls back.
            if not waiting.ready():
                self._abandon(conn, waiting)
            raise
        if error is not None:
            with peewee.__exception_wrapper__:
                raise error
        return cursor

    def _abandon(self, conn, waiting) -> None:
        key = self.conn_key(conn)
        with self._pool_lock:
            self._in_use.pop(key, None)
            self._owners.pop(key, None)
            self._abandoned.add(key)
        if not self.in_transaction():
            self._state.reset()

        def close(_result):
            self._abandoned.discard(key)
            self._close_raw(conn)

        waiting.rawlink(close)

    def commit(self):
        if self._broken():
            raise DatabaseUnavailable("the transaction's connection was given up")
        return super().commit()


class _Trips:
    """The state of one few_trips transaction (on peewee's per-greenlet connection state)."""

    __slots__ = ("deferring", "begin_pending", "committed")

    def __init__(self):
        self.deferring, self.begin_pending, self.committed = True, False, False

    def carry(self, sql: str, commit: bool = False) -> str:
        if self.committed:  # it would run outside the transaction, in autocommit: a bug of the caller
            raise RuntimeError("a statement after the one that committed the transaction")
        if self.begin_pending:
            self.begin_pending = False
            sql = "BEGIN; " + sql
        return sql


@contextlib.contextmanager
def few_trips(db):
    """`db.atomic()` in fewer round trips on serve's PostgreSQL: its BEGIN is sent with the block's
    first statement, and `last_statement` sends its COMMIT with it (CDR filing: 6 round trips a leg
    became 4; each is a wait of ~0.1-0.3 ms and a switch of the event loop). Every statement of the
    block must go through `db.execute_sql` (a raw cursor would run before the BEGIN). Anywhere else
    (SQLite, plain connections, nested in a transaction already open): `db.atomic()` itself.
    Unlike a plain BEGIN, a first statement that finds its connection broken (after a reset) is not
    run again on a fresh one: it is inside the transaction already. For CDRs that post answers 503
    and FreeSWITCH posts it again; the broken connection is not used again, so the next post is filed."""
    if not isinstance(db, GreenPostgresqlDatabase) or db.in_transaction():
        with db.atomic() as transaction:
            yield transaction
        return
    state = db._state
    state.trips = _Trips()
    try:
        with db.atomic() as transaction:
            state.trips.deferring = False
            yield transaction
    finally:
        state.trips = None


def last_statement(db, sql: str, params=None):
    """`db.execute_sql`, for the last statement of a few_trips block: its COMMIT goes with it (when
    the block is the outermost transaction; the block's end then sends nothing). Nothing may run
    after it in the block."""
    trips = getattr(db._state, "trips", None) if isinstance(db, GreenPostgresqlDatabase) else None
    if trips is None or db.transaction_depth() != 1:
        return run_in_transaction(db, sql, params)
    cursor = db.execute_sql(sql.followed_by("COMMIT") if isinstance(sql, Statements) else sql + "; COMMIT", params)
    trips.committed = True
    return cursor


def run_in_transaction(db, sql: str, params=()):
    """`db.execute_sql`, for a statement of a transaction this greenlet holds open; on serve's
    SQLite, run on the transaction's connection at once. Its BEGIN IMMEDIATE took the write lock
    through execute_sql (waiting off the loop if it had to), so what follows is a C call of
    microseconds: the guard around each statement (the deadline's check, the health's record,
    peewee's cursor and log) cost about twice the statement (CDR filing, a leg alone: 7 statements;
    benches/cdr_instructions.py). Errors are peewee's, as through execute_sql; a statement that
    finds the database busy anyway (WAL recovery), peewee's statement log at DEBUG, or query hooks
    take the whole path. Anywhere else (PostgreSQL: a round trip; no transaction): execute_sql."""
    if (not isinstance(db, GreenSqliteDatabase) or db.query_hooks or not db.in_transaction() or db._broken()
            or peewee.logger.isEnabledFor(logging.DEBUG)):
        return db.execute_sql(sql, params)
    try:
        return db._state.conn.execute(sql, params or ())  # None (last_statement's default) as execute_sql takes it
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):  # nothing ran: the whole path waits off the loop
            return db.execute_sql(sql, params)
        with peewee.__exception_wrapper__:
            raise
    except sqlite3.Error:
        with peewee.__exception_wrapper__:
            raise


def cooperative(db) -> bool:
    """Whether `db` is one of this module's (serve's pooled, cooperative databases)."""
    return isinstance(db, _Green)


def release(db, idle_only: bool = False) -> None:
    """Hand this greenlet's connection back to the pool: at the end of a request, or (`idle_only`:
    unless a transaction is open) whenever an ESL session waits for FreeSWITCH. `db` may be the
    models' proxy (fs_plugins.models.database): the database it stands for is released."""
    if isinstance(db, peewee.DatabaseProxy):
        db = db.obj
    # may_hold_connection's first question asked here, without its call: at the end of most
    # requests no greenlet holds one (every answer kept).
    if not isinstance(db, _Green) or not db._holding.data or not db.may_hold_connection() or db.is_closed():
        return
    if db.in_transaction():
        if idle_only:
            return
        # Never hand an open transaction to another greenlet; the server rolls it back on close.
        log.error("a database transaction was left open at the end of a request; its connection is closed")
        db._state.transactions.clear()
        db.drop_connection()
        return
    try:
        db.close()
    except UNAVAILABLE:
        db.drop_connection()


def release_after(app, db, beside: Mapping[str, Callable] | None = None):
    """WSGI wrapper: the request's connection goes back to the pool once the answer is made (a streamed
    answer: once it is sent). `beside`: other apps by PATH_INFO, served from this same layer (the
    xml_curl server's /healthz, /readyz and /metrics: a layer of its own to dispatch them was one
    Python call more on every mod_xml_curl request)."""
    paths = dict(beside or {})
    # release's first question asked here, without its call, when `db` is a pool itself (not the
    # models' proxy, whose database may be swapped): after most requests no greenlet holds one.
    holding = db._holding if isinstance(db, _Green) else None

    def wrapped(environ, start_response):
        try:
            body = (paths.get(environ.get("PATH_INFO", ""), app) if paths else app)(environ, start_response)
        except BaseException:
            release(db)
            raise
        if isinstance(body, list):  # all made already: nothing to read while it is sent
            if holding is None or holding.data:
                release(db)
            return body
        return _ClosingBody(body, db)

    return wrapped


class _ClosingBody:
    def __init__(self, body, db):
        self.body, self.db = body, db

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            release(self.db)


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
