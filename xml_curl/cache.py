"""What the handler read from the database, kept until the database changes.

A REGISTER storm or a busy hour asks the same few rows again and again (a phone's user, a DID, a
tenant); every lookup of xml_curl/lookups.py and the call plans goes through `Cache.get`, and a
request whose rows are all kept touches the database only to ask whether anything changed.

Whether anything changed is asked once per request (`Cache.begin`, paired with `Cache.end`), so a
request never mixes rows from before and after a change:

* SQLite: any commit, of this process's pool or of another process, is seen by a connection of
  the cache's own that never writes: in WAL mode from the WAL-index header the commit rewrote,
  else from PRAGMA data_version (xml_curl/sqlitechanges.py). Any commit empties the cache (a
  call-log write too: conservative). No query and no connection from the pool: a request whose
  rows are all kept never touches the pool.
* PostgreSQL: triggers on the tables notify every change at commit and a connection of the
  cache's own listens (xml_curl/pgchanges.py); the count of notifications is the version. While
  it is not listening (and outside `centralita serve`) nothing is kept. A change is seen once its
  notification arrives (milliseconds after the commit), not at the commit itself.

A value loaded while the cache was emptied (a change committed meanwhile) is not kept. The cache
is bounded: past MAX_ENTRIES it starts again empty.
"""
from __future__ import annotations

import logging
from typing import Callable, Hashable, TypeVar

import gevent.monkey
import peewee
from greenlet import getcurrent

from xml_curl.pgchanges import Changes
from xml_curl.sqlitechanges import SqliteChanges

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ENTRIES = 200_000  # ~100k users' directory rows and their DIDs: some tens of MB
MAX_ANSWERS = 20_000  # dialplan documents of 1–4 KB: at most some tens of MB


class Cache:
    def __init__(self, db: peewee.Database, listen: bool | None = None):
        """`listen` (PostgreSQL): keep rows, listening for changes; by default only in a
        gevent-patched process (`serve`), where the listening greenlet runs."""
        self.db = db
        self._watch: SqliteChanges | Changes | None = None
        if isinstance(db, peewee.SqliteDatabase):
            path = db.database or ""
            # A :memory: database is one per connection: another connection could not watch it.
            if path and ":memory:" not in path and not path.startswith("file:"):
                self._watch = SqliteChanges(path)
        elif isinstance(db, peewee.PostgresqlDatabase):
            if listen if listen is not None else gevent.monkey.is_module_patched("socket"):
                self._watch = Changes(db)
                self._watch.start()
        self.enabled = self._watch is not None
        self._version: int | None = None  # the database's version the entries were read under
        self._entries: dict[Hashable, object] = {}
        self._answers: dict[Hashable, bytes] = {}
        self._generation = 0  # moves each time the entries are dropped
        # The generation each request began with, by greenlet (a thread's own greenlet without
        # gevent), so concurrent requests never see each other's. A dict, not a greenlet-local:
        # every request is a new greenlet, where a local's first use costs more than a cached answer.
        self._requests: dict = {}

    def begin(self) -> None:
        """At the start of a request: drop everything if the database changed since it was read."""
        generation = self._check() if self.enabled else None
        if generation is None:
            self._requests.pop(getcurrent(), None)
        else:
            self._requests[getcurrent()] = generation

    def end(self) -> None:
        """At the end of a request (begin's pair): nothing more is kept for it."""
        self._requests.pop(getcurrent(), None)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value kept for `key`, else `load()` (kept when nothing changed meanwhile)."""
        return self._get(self._entries, MAX_ENTRIES, key, load)

    def answer(self, key: Hashable, load: Callable[[], bytes]) -> bytes:
        """Like `get`, for whole answers (a few KB each, so fewer of them: MAX_ANSWERS)."""
        return self._get(self._answers, MAX_ANSWERS, key, load)

    def _get(self, entries: dict, bound: int, key: Hashable, load: Callable[[], T]) -> T:
        generation = self._requests.get(getcurrent())  # None: outside a request, or not kept
        if generation is None:
            return load()
        try:
            return entries[key]
        except KeyError:
            pass
        value = load()
        if generation == self._generation:
            if len(entries) >= bound:
                entries.clear()
            entries[key] = value
        return value

    def _check(self) -> int | None:
        version = self._watch.version()
        if version is None:  # not known now: read from the database this time
            self._version = None
            return None
        if version != self._version:
            self._entries.clear()
            self._answers.clear()
            self._generation += 1
            self._version = version
        return self._generation
