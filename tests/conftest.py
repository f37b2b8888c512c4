"""Shared fixtures.

`db` runs a test once on SQLite and once on PostgreSQL. PostgreSQL is the server at
127.0.0.1:5432 (database `test`, or CENTRALITA_TEST_PG_URL); each test gets its own schema, so
tests never see each other's rows. Without a server the PostgreSQL run is skipped with a message;
under CI (CI=true) it must run, so a missing server fails the run instead of hiding.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import peewee
import pytest

from fs_plugins import db as dbmod

PG_URL = os.environ.get("CENTRALITA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures"
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def _pg_unavailable_reason() -> str | None:
    try:
        probe = dbmod.open_database(PG_URL + "?connect_timeout=2")
        probe.connect()
        probe.close()
    except Exception as exc:  # any failure to reach the server means "not here"
        return f"PostgreSQL not reachable at {PG_URL}: {exc}".strip()
    return None


_PG_REASON: list = []


def pg_unavailable_reason() -> str | None:
    if not _PG_REASON:
        _PG_REASON.append(_pg_unavailable_reason())
    return _PG_REASON[0]


@contextlib.contextmanager
def pg_schema_url(prefix: str):
    """A URL to a fresh schema of the PostgreSQL server, dropped afterwards (skip or fail without one)."""
    reason = pg_unavailable_reason()
    if reason:
        if UNDER_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    schema = prefix + uuid.uuid4().hex[:16]
    admin = dbmod.open_database(PG_URL)
    admin.execute_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A URL to a fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'centralita.db'}"
        return
    with pg_schema_url("t_") as url:
        yield url


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema's URL, for what only several nodes need (no SQLite run)."""
    with pg_schema_url("n_") as url:
        yield url


@pytest.fixture
def pg_db(pg_url) -> peewee.Database:
    """That schema with the current tables, bound to the models."""
    database = dbmod.connect(pg_url)
    yield database
    database.close()


@pytest.fixture
def db(db_url) -> peewee.Database:
    """A fresh database of each kind with the current schema, bound to the models."""
    database = dbmod.connect(db_url)
    yield database
    database.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db(request, tmp_path_factory) -> peewee.Database:
    """Like `db`, but one database per test module and backend: for tests that build a large world once
    and keep each case from changing it (e.g. by rolling back)."""
    if request.param == "sqlite":
        database = dbmod.connect(f"sqlite:///{tmp_path_factory.mktemp('db') / 'centralita.db'}")
        yield database
        database.close()
        return
    with pg_schema_url("m_") as url:
        database = dbmod.connect(url)
        yield database
        database.close()


@pytest.fixture(autouse=True)
def _the_test_process_keeps_its_cpu_policy(monkeypatch):
    """A command run in-process (the README's `contact import`, any `cli.main`) must not put pytest
    itself under SCHED_IDLE (fs_plugins/batchjob.py): every later test, and every server a test
    starts (children inherit the policy), would then run only when nothing else wants the core."""
    from fs_plugins import batchjob

    monkeypatch.setattr(batchjob, "_set_policy", lambda thread, policy: None)
