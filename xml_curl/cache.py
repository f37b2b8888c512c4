"""What the handler read from the database, kept until the database changes.

A REGISTER storm or a busy hour asks the same few rows again and again (a phone's user, a DID, a
tenant); every lookup of xml_curl/lookups.py and the call plans goes through `Cache.get`, and a
request whose rows are all kept touches the database only to ask whether anything changed.

Whether anything changed is asked once per request (`Cache.begin`), so a request never mixes
rows from before and after a change:

* SQLite: `PRAGMA data_version` of the request's connection changes when any other connection,
  of this process or another, commits (sqlite.org/pragma.html#pragma_data_version), and
  `total_changes` counts this connection's own writes. Either moving on any connection empties
  the cache. It is conservative (a call-log write empties it too) and costs one pragma, no query.
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
_MAX_CONNECTIONS = 256  # connections remembered; past it, all are forgotten (each then empties once)


class Cache:
    def __init__(self, db: peewee.Database):
        self.db = db
        self.enabled = isinstance(db, peewee.SqliteDatabase)
        self._entries: dict[Hashable, object] = {}
        self._generation = 0  # moves each time the entries are dropped
        self._seen: dict[sqlite3.Connection, tuple[int, int]] = {}  # connection: (data_version, total_changes)
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
            conn = self.db.connection()
            state = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        except (sqlite3.Error, peewee.PeeweeException, AttributeError) as exc:
            log.debug("cache not used for this request: %s", exc)
            return None
        if self._seen.get(conn) != state:
            if len(self._seen) >= _MAX_CONNECTIONS:
                self._seen.clear()
            self._seen[conn] = state
            self._entries.clear()
            self._generation += 1
        return self._generation
