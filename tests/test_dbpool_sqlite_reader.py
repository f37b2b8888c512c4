"""serve's SQLite: a SELECT from a greenlet holding no connection runs on the shared reader, without
a pool checkout (fs_plugins/dbpool.py); everything else still goes through the pool."""
from __future__ import annotations

import sqlite3

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.dbpool import release


@pytest.fixture
def pooled(tmp_path):
    path = tmp_path / "c.db"
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA journal_mode = wal")
    plain.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    plain.executemany("INSERT INTO t (name) VALUES (?)", [("a",), ("b",), ("c",)])
    plain.commit()
    db = dbmod.open_database(f"sqlite:///{path}", pool=dbmod.PoolSettings(size=2))
    yield db, plain
    release(db)
    db.close_all()
    plain.close()


def test_a_read_outside_a_transaction_checks_no_connection_out(pooled):
    db, _ = pooled
    cursor = db.execute_sql("SELECT id, name FROM t ORDER BY id")
    assert db.is_closed()  # nothing was taken from the pool, so nothing is to be handed back
    assert [d[0] for d in cursor.description] == ["id", "name"]
    assert cursor.fetchone() == (1, "a")
    assert cursor.fetchall() == [(2, "b"), (3, "c")]
    assert cursor.fetchone() is None


def test_a_select_written_over_several_lines_checks_no_connection_out_either(pooled):
    db, _ = pooled
    cursor = db.execute_sql("""
      SELECT name FROM t
      WHERE id = ?""", (2,))  # as the caller-name and call-handling statements are written
    assert db.is_closed() and cursor.fetchall() == [("b",)]


def test_peewee_queries_read_through_it(pooled):
    db, _ = pooled

    class T(peewee.Model):
        name = peewee.TextField()

        class Meta:
            database = db
            table_name = "t"

    assert [row.name for row in T.select().order_by(T.id)] == ["a", "b", "c"]
    assert T.get(T.name == "b").id == 2
    assert db.is_closed()


def test_a_half_read_result_does_not_hide_later_commits_from_other_reads(pooled):
    db, plain = pooled
    first = db.execute_sql("SELECT name FROM t ORDER BY id")
    assert first.fetchone() == ("a",)  # the rest left unread, as a streaming reader might
    plain.execute("INSERT INTO t (name) VALUES ('d')")
    plain.commit()
    assert db.execute_sql("SELECT count(*) FROM t").fetchone() == (4,)


def test_inside_a_transaction_reads_see_its_own_writes_on_its_own_connection(pooled):
    db, plain = pooled
    with db.atomic():
        db.execute_sql("INSERT INTO t (name) VALUES ('e')")
        assert db.execute_sql("SELECT count(*) FROM t").fetchone() == (4,)
        assert plain.execute("SELECT count(*) FROM t").fetchone() == (3,)  # not committed yet
    # After a write the greenlet holds its connection until the end of the unit of work.
    assert not db.is_closed()
    release(db)
    assert db.is_closed()


def test_a_bad_read_is_peewee_s_error(pooled):
    db, _ = pooled
    with pytest.raises(peewee.OperationalError, match="no such table"):
        db.execute_sql("SELECT * FROM missing")


def test_dropping_a_connection_a_pool_thread_still_uses_does_not_wait_for_it(pooled):
    """A write given up at the deadline while it waits for the lock inside a transaction (one begun
    DEFERRED) leaves its connection to the pool thread running it, which closes it when done;
    dropping it from the event loop must not close it there (sqlite3's close waits on the thread's
    statement, up to the busy timeout, with every greenlet of the process; here it segfaulted)."""
    import time

    from fs_plugins.dbpool import DatabaseUnavailable, deadline

    db, plain = pooled
    plain.execute("BEGIN IMMEDIATE")  # the write lock, held as a long import would
    try:
        with pytest.raises(DatabaseUnavailable):
            with deadline(0.2), db.atomic("DEFERRED"):
                db.execute_sql("INSERT INTO t (name) VALUES ('given up')")
        started = time.monotonic()
        db.drop_connection()
        took = time.monotonic() - started
    finally:
        plain.rollback()
    assert took < 0.5, took
    assert db.execute_sql("SELECT count(*) FROM t").fetchone() == (3,)


def test_a_statement_of_an_open_transaction_runs_on_its_connection_with_peewee_s_errors(pooled):
    """dbpool.run_in_transaction (CDR filing's statements): inside a transaction, on its connection,
    seen by it and by no one else until the commit; a failing statement raises peewee's error,
    as through execute_sql, and the transaction still rolls back."""
    from fs_plugins.dbpool import run_in_transaction

    db, plain = pooled
    with db.atomic():
        run_in_transaction(db, "INSERT INTO t (name) VALUES (?)", ("e",))
        assert run_in_transaction(db, "SELECT count(*) FROM t").fetchone() == (4,)
        assert plain.execute("SELECT count(*) FROM t").fetchone() == (3,)
    assert plain.execute("SELECT count(*) FROM t").fetchone() == (4,)
    with pytest.raises(peewee.IntegrityError):
        with db.atomic():
            run_in_transaction(db, "INSERT INTO t (name) VALUES (?)", ("f",))
            run_in_transaction(db, "INSERT INTO t (id, name) VALUES (1, 'again')")
    with pytest.raises(peewee.OperationalError, match="no such table"):
        with db.atomic():
            run_in_transaction(db, "SELECT * FROM missing")
    assert plain.execute("SELECT count(*) FROM t").fetchone() == (4,)  # 'f' rolled back with its batch


def test_a_statement_of_an_open_transaction_takes_no_parameters_as_execute_sql_does(pooled):
    """last_statement's params default to None, which execute_sql takes as none: so must the
    transaction's own path (sqlite3 refuses None as parameters)."""
    from fs_plugins.dbpool import last_statement, run_in_transaction

    db, plain = pooled
    with db.atomic():
        assert run_in_transaction(db, "SELECT count(*) FROM t", None).fetchone() == (3,)
        last_statement(db, "INSERT INTO t (name) VALUES ('g')")
    assert plain.execute("SELECT count(*) FROM t WHERE name = 'g'").fetchone() == (1,)


def test_a_statement_outside_a_transaction_or_watched_takes_the_whole_path(pooled):
    """No transaction: execute_sql's (a SELECT on the shared reader, no checkout). Query hooks
    (what tests and tools count statements with) see every statement inside one too."""
    from fs_plugins.dbpool import run_in_transaction

    db, _ = pooled
    assert run_in_transaction(db, "SELECT name FROM t WHERE id = ?", (2,)).fetchall() == [("b",)]
    assert db.is_closed()
    seen = []
    db.query_hooks.append(lambda event: seen.append(event.sql))
    try:
        with db.atomic():
            run_in_transaction(db, "SELECT count(*) FROM t")
    finally:
        db.query_hooks.clear()
    assert "SELECT count(*) FROM t" in seen


def test_a_statement_finding_the_database_busy_inside_a_transaction_waits_off_the_loop(pooled, monkeypatch):
    """Inside a transaction begun IMMEDIATE nothing else writes, but a statement may still find the
    database busy (WAL recovery): it then goes through execute_sql, which waits for it in a pool
    thread, as every statement did before."""
    from fs_plugins import dbpool

    db, _ = pooled
    waited = []
    with db.atomic():
        conn = db._state.conn
        monkeypatch.setattr(dbpool.GreenSqliteDatabase, "_off_loop",
                            lambda self, sql, params: waited.append(sql) or conn.execute(sql, params or ()))
        db._state.conn = _Busy(conn)
        try:
            rows = dbpool.run_in_transaction(db, "SELECT count(*) FROM t").fetchall()
        finally:
            db._state.conn = conn
    assert rows == [(3,)] and waited == ["SELECT count(*) FROM t"]


class _Busy:
    """A connection on which every statement finds the database locked (as sqlite3 reports it)."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql, params=()):
        raise sqlite3.OperationalError("database is locked")

    def cursor(self):
        return self

    def __getattr__(self, name):
        return getattr(self.conn, name)
