"""xml_curl/sqlitechanges.py: every commit by another connection moves the version before the next
request, in WAL mode (the WAL-index header) and in the other journal modes (PRAGMA data_version);
reads never move it."""
from __future__ import annotations

import logging
import sqlite3

import pytest

from xml_curl import sqlitechanges
from xml_curl.sqlitechanges import SqliteChanges


def _database(path, journal_mode: str) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute(f"PRAGMA journal_mode={journal_mode}")
    writer.execute("CREATE TABLE t (v INTEGER)")
    return writer


@pytest.fixture(params=["wal", "delete"])
def setup(request, tmp_path):
    path = str(tmp_path / "watched.db")
    writer = _database(path, request.param)
    watch = SqliteChanges(path)
    yield watch, writer
    watch.close()
    writer.close()


def test_each_commit_by_another_connection_moves_the_version_and_reads_do_not(setup):
    watch, writer = setup
    first = watch.version()
    assert first is not None and watch.version() == first
    writer.execute("SELECT count(*) FROM t").fetchall()
    assert watch.version() == first
    seen = {first}
    for value in range(5):
        writer.execute("INSERT INTO t VALUES (?)", (value,))
        version = watch.version()
        assert version not in seen
        seen.add(version)


def test_a_commit_after_the_wal_was_checkpointed_and_restarted_is_seen(tmp_path):
    path = str(tmp_path / "watched.db")
    writer = _database(path, "wal")
    watch = SqliteChanges(path)
    try:
        writer.execute("INSERT INTO t VALUES (1)")
        watch.version()
        # The WAL is emptied (a checkpoint may move the version too: only a commit must), and the
        # next commit writes its first frame again, as the one before did.
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = watch.version()
        writer.execute("INSERT INTO t VALUES (2)")
        assert watch.version() != before
    finally:
        watch.close()
        writer.close()


def test_a_header_that_misses_a_commit_is_caught_by_the_recheck_and_given_up(tmp_path, monkeypatch, caplog):
    path = str(tmp_path / "watched.db")
    writer = _database(path, "wal")
    watch = SqliteChanges(path)
    try:
        before = watch.version()
        assert watch._header is not None  # WAL mode reads the header
        watch._header = _Frozen(watch._header[:sqlitechanges.HEADER_BYTES])  # as if it never moved
        monkeypatch.setattr(sqlitechanges, "RECHECK_SECONDS", 0.0)
        watch._recheck_at = 0.0
        writer.execute("INSERT INTO t VALUES (1)")
        with caplog.at_level(logging.WARNING, logger="xml_curl.sqlitechanges"):
            after = watch.version()
        assert after != before and "missed a commit" in caplog.text
        writer.execute("INSERT INTO t VALUES (2)")
        assert watch.version() != after  # from now on PRAGMA data_version
    finally:
        watch.close()
        writer.close()


def test_a_database_that_cannot_be_opened_is_not_watched_and_is_tried_again(tmp_path):
    watch = SqliteChanges(str(tmp_path / "missing-dir" / "x.db"))
    assert watch.version() is None
    (tmp_path / "missing-dir").mkdir()
    _database(str(tmp_path / "missing-dir" / "x.db"), "wal").close()
    assert watch.version() is not None
    watch.close()


class _Frozen:
    """A header that never changes."""

    def __init__(self, data: bytes):
        self.data = data

    def __getitem__(self, key):
        return self.data[key]

    def close(self):
        pass
