"""prepared.on_server on serve's PostgreSQL (fs_plugins.dbpool): statements prepared on the
connection the first time, then only executed (CDR filing: PostgreSQL planned its statements on
every leg), and still right after a failure, a retry on a new connection and in few_trips."""
from __future__ import annotations

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.dbpool import few_trips, last_statement, release
from fs_plugins.prepared import on_server

from test_dbpool_few_trips import pooled  # noqa: F401  (serve's pooled PostgreSQL with a probe table)

pytestmark = pytest.mark.postgres




def prepared_here(db) -> dict[str, str]:
    """The statements this connection holds prepared: name -> text."""
    return dict(db.execute_sql("SELECT name, statement FROM pg_prepared_statements").fetchall())


def test_a_statement_is_prepared_once_per_connection_and_then_only_executed(pooled, monkeypatch):
    double = on_server(pooled, "SELECT %s::integer * 2", "SELECT count(*) FROM probe WHERE n >= ?")
    assert pooled.execute_sql(double, (21, 0)).fetchall() == [(0,)]  # the last statement's rows
    held = prepared_here(pooled)
    assert set(double.names) <= set(held)
    assert "$1" in held[double.names[0]]
    sent = []
    execute = peewee.Database.execute_sql
    monkeypatch.setattr(peewee.Database, "execute_sql", lambda self, sql, params=None:
                        sent.append(sql) or execute(self, sql, params))
    assert pooled.execute_sql(double, (4, 0)).fetchall() == [(0,)]
    monkeypatch.undo()
    assert sent == [f"EXECUTE {double.names[0]}(%s); EXECUTE {double.names[1]}(%s)"]


def test_a_failed_first_use_does_not_leave_the_next_one_failing(pooled):
    # PREPARE is not undone when the statement after it fails: preparing it again would fail with
    # "already exists" on every later use of that connection.
    divide = on_server(pooled, "SELECT 12 / %s::integer")
    with pytest.raises(peewee.DataError):
        pooled.execute_sql(divide, (0,))
    assert divide.names[0] in prepared_here(pooled)
    assert pooled.execute_sql(divide, (4,)).fetchone() == (3,)
    assert pooled.execute_sql(divide, (6,)).fetchone() == (2,)


def test_a_failure_of_a_statement_already_prepared_does_not_prepare_everything_again(pooled, monkeypatch):
    # Only executed (its names held), a failing text prepared nothing unknown: a duplicate key or a
    # statement timeout on an API write must not make the connection drop and re-prepare all.
    divide = on_server(pooled, "SELECT 12 / %s::integer")
    other = on_server(pooled, "SELECT %s::integer + 1")
    assert pooled.execute_sql(divide, (4,)).fetchone() == (3,)
    assert pooled.execute_sql(other, (1,)).fetchone() == (2,)
    sent = []
    execute = peewee.Database.execute_sql
    monkeypatch.setattr(peewee.Database, "execute_sql", lambda self, sql, params=None:
                        sent.append(sql) or execute(self, sql, params))
    with pytest.raises(peewee.DataError):
        pooled.execute_sql(divide, (0,))
    assert pooled.execute_sql(other, (2,)).fetchone() == (3,)
    assert pooled.execute_sql(divide, (6,)).fetchone() == (2,)
    monkeypatch.undo()
    assert not [sql for sql in sent if "PREPARE" in sql or "DEALLOCATE" in sql], sent


def test_a_plan_made_stale_by_a_schema_change_is_prepared_again(pooled):
    read = on_server(pooled, "SELECT n FROM probe")
    assert pooled.execute_sql(read).fetchall() == []
    pooled.execute_sql("ALTER TABLE probe ALTER COLUMN n TYPE text")
    with pytest.raises(peewee.DatabaseError, match="cached plan"):
        pooled.execute_sql(read)
    assert pooled.execute_sql(read).fetchall() == []


def test_prepared_statements_run_inside_few_trips_with_its_begin_and_commit(pooled, pg_url):
    insert = on_server(pooled, "INSERT INTO probe (n) VALUES (%s)")
    for n in (1, 2):
        with few_trips(pooled):
            pooled.execute_sql(insert, (n,))
            last_statement(pooled, insert, (n * 10,))
    release(pooled)
    other = dbmod.open_database(pg_url)
    try:
        assert [row[0] for row in other.execute_sql("SELECT n FROM probe ORDER BY n")] == [1, 2, 10, 20]
    finally:
        other.close()


def test_a_connection_of_the_pool_that_is_replaced_prepares_again(pooled):
    select = on_server(pooled, "SELECT %s::integer + 1")
    assert pooled.execute_sql(select, (1,)).fetchone() == (2,)
    pooled.drop_connection()  # a broken connection is dropped; the next statement gets a new one
    assert pooled.execute_sql(select, (2,)).fetchone() == (3,)
