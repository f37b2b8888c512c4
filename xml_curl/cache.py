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
* PostgreSQL: not kept (every request reads), until a change notification (LISTEN/NOTIFY from
  triggers) is there to empty it: another process's change would otherwise go unseen.

A value loaded while the cache was emptied (a change committed meanwhile) is not kept. The cache
is bounded: past MAX_ENTRIES it starts again empty.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Callable, Hashable, TypeVar

import peewee

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ENTRIES = 200_000  # ~100k users' directory rows and their DIDs: some tens of MB


class Cache:
    def __init__(self, db: peewee.Database):
        self.db = db
        path = getattr(db, "database", "") if isinstance(db, peewee.SqliteDatabase) else ""
        # A :memory: database is one per connection: another connection could not watch it.
        self._path = path if path and ":memory:" not in path and not path.startswith("file:") else ""
        self.enabled = bool(self._path)
        self._watch: sqlite3.Connection | None = None  # opened on first use
        self._version: int | None = None  # the data_version the entries were read under
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
        try:
            if self._watch is None:
                self._watch = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            version = self._watch.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:  # answered from the database this time; opened again next time
            log.debug("cache not used for this request: %s", exc)
            self._forget_watch()
            return None
        if version != self._version:
            self._entries.clear()
            self._generation += 1
            self._version = version
        return self._generation

    def _forget_watch(self) -> None:
        watch, self._watch, self._version = self._watch, None, None
        if watch is not None:
            watch.close()
