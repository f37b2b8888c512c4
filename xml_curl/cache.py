"""What the handler read from the database, kept until the database changes.

A REGISTER storm or a busy hour asks the same few rows again and again (a phone's user, a DID, a
tenant); every lookup of xml_curl/lookups.py and the call plans goes through `Cache.get`, and a
request whose rows are all kept touches the database only to ask whether anything changed.

Whether anything changed is asked once per request (`Cache.begin`), so a request never mixes
rows from before and after a change:

* SQLite: the cache holds a connection of its own, which never writes, and asks its `PRAGMA
  data_version`: it changes whenever another connection, of this process's pool or of another
  process, commits (sqlite.org/pragma.html#pragma_data_version). Any commit empties the cache
  (a call-log write too: conservative). One pragma, no query and no connection from the pool: a
  request whose rows are all kept never touches the pool.
* PostgreSQL: triggers on the tables notify every change at commit and a connection of the
  cache's own listens (xml_curl/pgchanges.py); the count of notifications is the version. While
  it is not listening (and outside `centralita serve`) nothing is kept. A change is seen once its
  notification arrives (milliseconds after the commit), not at the commit itself.

A value loaded while the cache was emptied (a change committed meanwhile) is not kept. The cache
is bounded: past MAX_ENTRIES it starts again empty.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Callable, Hashable, TypeVar

import gevent.monkey
import peewee

from xml_curl.pgchanges import Changes

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ENTRIES = 200_000  # ~100k users' directory rows and their DIDs: some tens of MB


class Cache:
    def __init__(self, db: peewee.Database, listen: bool | None = None):
        """`listen` (PostgreSQL): keep rows, listening for changes; by default only in a
        gevent-patched process (`serve`), where the listening greenlet runs."""
        self.db = db
        self._watch: _SqliteWatch | Changes | None = None
        if isinstance(db, peewee.SqliteDatabase):
            path = db.database or ""
            # A :memory: database is one per connection: another connection could not watch it.
            if path and ":memory:" not in path and not path.startswith("file:"):
                self._watch = _SqliteWatch(path)
        elif isinstance(db, peewee.PostgresqlDatabase):
            if listen if listen is not None else gevent.monkey.is_module_patched("socket"):
                self._watch = Changes(db)
                self._watch.start()
        self.enabled = self._watch is not None
        self._version: int | None = None  # the database's version the entries were read under
        self._entries: dict[Hashable, object] = {}
        self._generation = 0  # moves each time the entries are dropped
        # The generation each request began with: per greenlet under `serve` (gevent patches
        # threading.local), so concurrent requests never see each other's.
        self._request = threading.local()

    def begin(self) -> None:
        """At the start of a request: drop everything if the database changed since it was read."""
        self._request.generation = self._check() if self.enabled else None

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value kept for `key`, else `load()` (kept when nothing changed meanwhile)."""
        generation = getattr(self._request, "generation", None)  # None: outside a request, or not kept
        if generation is None:
            return load()
        try:
            return self._entries[key]  # type: ignore[return-value]
        except KeyError:
            pass
        value = load()
        if generation == self._generation:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = value
        return value

    def _check(self) -> int | None:
        version = self._watch.version()
        if version is None:  # not known now: read from the database this time
            self._version = None
            return None
        if version != self._version:
            self._entries.clear()
            self._generation += 1
            self._version = version
        return self._generation


class _SqliteWatch:
    """The database's PRAGMA data_version, through a connection that never writes."""

    def __init__(self, path: str):
        self.path = path
        self._conn: sqlite3.Connection | None = None  # opened on first use
        self._cursor: sqlite3.Cursor | None = None  # reused: 5 µs a check instead of 7.5

    def version(self) -> int | None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self._cursor = self._conn.cursor()
            return self._cursor.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:  # opened again next time
            log.debug("cache not used for this request: %s", exc)
            conn, self._conn, self._cursor = self._conn, None, None
            if conn is not None:
                conn.close()
            return None
