"""What the handler read from the database, kept until that tenant's rows change.

A REGISTER storm or a busy hour asks the same few rows again and again (a phone's user, a DID, a
tenant); every lookup of xml_curl/lookups.py and the call plans goes through `Cache.get`, and a
request whose rows are all kept touches the database only to ask whether anything changed.

Whether anything changed is asked once per request (`Cache.begin`, paired with `Cache.end`), so a
request never mixes rows from before and after a change. What changed is told per tenant, and on
PostgreSQL per user (xml_curl/changes.py: a `Scope`): each kept value names the tenant whose rows
it was read from, or the tenant and the one user whose rows alone it was read from (a REGISTER's
directory row). A tenant's change drops that tenant's values, its users' among them; a user's
change drops that user's values and its tenant's; either drops those that name none (a lookup that
found nothing, the tenant list, whole dialplan answers but a DID's), which a change anywhere may
alter. An admin editing a user of one tenant through the API at 50 requests a second does not
send every other tenant's REGISTERs back to the database, nor (PostgreSQL) its own tenant's other
users' (benches/b6_api.py).

* SQLite: any commit, of this process's pool or of another process, is seen by a connection of
  the cache's own that never writes: in WAL mode from the WAL-index header the commit rewrote,
  else from PRAGMA data_version (xml_curl/sqlitechanges.py); then the tenants' stamps the
  triggers keep say whose rows changed (xml_curl/sqlitetriggers.py). A commit to a table no lookup
  reads (the call log, the audit) drops nothing. No connection from the pool: a request whose rows
  are all kept never touches the pool.
* PostgreSQL: triggers notify the changed row's tenant at commit and a connection of the cache's
  own listens (xml_curl/pgchanges.py). While it is not listening (and outside `centralita serve`)
  nothing is kept. A change is seen once its notification arrives (milliseconds after the
  commit), not at the commit itself.

Both watch per tenant only under `serve` (where the triggers are installed at start); elsewhere
SQLite's watch treats every commit as every tenant's change. A value loaded while anything was
dropped (a change committed meanwhile) is not kept. The cache is bounded: past MAX_ENTRIES it
starts again empty.
"""
from __future__ import annotations

import logging
from typing import Callable, Hashable, TypeVar

import gevent.monkey
import peewee
from greenlet import getcurrent

from xml_curl import sqlitetriggers
from xml_curl.changes import Scope, Version, changed_scopes
from xml_curl.pgchanges import Changes

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ENTRIES = 200_000  # ~100k users' directory rows and their DIDs: some tens of MB
MAX_ANSWERS = 20_000  # dialplan documents of 1–4 KB: at most some tens of MB
NOT_KEPT = object()  # Cache.kept_value: nothing kept for the key (None may be a kept value)


class Cache:
    def __init__(self, db: peewee.Database, listen: bool | None = None):
        """`listen`: watch changes per tenant (triggers installed now) and, on PostgreSQL, keep
        rows at all; by default only in a gevent-patched process (`serve`), where the PostgreSQL
        listening greenlet runs."""
        self.db = db
        self._watch: sqlitetriggers.SqliteWatch | Changes | None = None
        listen = listen if listen is not None else gevent.monkey.is_module_patched("socket")
        if isinstance(db, peewee.SqliteDatabase):
            path = db.database or ""
            # A :memory: database is one per connection: another connection could not watch it.
            if path and ":memory:" not in path and not path.startswith("file:"):
                self._watch = sqlitetriggers.SqliteWatch(path, triggers=listen and sqlitetriggers.install(path))
        elif isinstance(db, peewee.PostgresqlDatabase) and listen:
            self._watch = Changes(db)
            self._watch.start()
        self.enabled = self._watch is not None
        self._version: Version | None = None  # the database's version the entries were read under
        self._entries: dict[Hashable, object] = {}
        self._keys: dict[Scope | None, list[Hashable]] = {}  # each owner's entries (None: of no one tenant)
        self._users: dict[int, set[tuple[int, int]]] = {}  # each tenant's users that own entries
        self._answers: dict[Hashable, bytes] = {}  # whole dialplan answers
        self._answer_keys: dict[int | None, list[Hashable]] = {}  # each tenant's answers (None: of no one tenant)
        self._generation = 0  # moves each time entries are dropped
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

    def kept_value(self, key: Hashable) -> object:
        """The value `get` keeps for `key`, if the database did not change since, else NOT_KEPT: as
        `kept`, for a request that reads nothing else (a REGISTER whose directory row is kept)."""
        if self.enabled:
            version = self._watch.version()  # _check, inlined: this is all a kept answer costs
            if version is not None:
                if version is not self._version:
                    self._moved(version)
                return self._entries.get(key, NOT_KEPT)
            self._version = None  # not known now: whatever is kept is dropped when it is known again
        return NOT_KEPT

    def kept(self, key: Hashable) -> bytes | None:
        """The whole answer kept for `key` (`answer`), if the database did not change since: asked
        outside begin/end, so an answer found here costs the change check and one look-up."""
        if self.enabled:
            version = self._watch.version()  # _check, inlined: this is all a kept answer costs
            if version is not None:
                if version is not self._version:
                    self._moved(version)
                return self._answers.get(key)
            self._version = None  # not known now: whatever is kept is dropped when it is known again
        return None

    def get(self, key: Hashable, load: Callable[[], T], tenant: Callable[[T], Scope | None] | Scope | None = None) -> T:
        """The value kept for `key`, else `load()` (kept when nothing changed meanwhile). `tenant`:
        the tenant id the value was read from, or (tenant id, user id) when it was read from that
        user's rows and its tenant's row alone, or how to tell it from the value (None: no one
        tenant's; dropped at any change)."""
        generation = self._requests.get(getcurrent())  # None: outside a request, or not kept
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
                self._keys.clear()
                self._users.clear()
            self._entries[key] = value
            owner = tenant(value) if callable(tenant) else tenant
            self._keys.setdefault(owner, []).append(key)
            if isinstance(owner, tuple):
                self._users.setdefault(owner[0], set()).add(owner)
        return value

    def answer(self, key: Hashable, load: Callable[[], tuple[bytes, int | None]]) -> bytes:
        """Like `get`, for whole answers (a few KB each, so fewer of them: MAX_ANSWERS). `load`
        gives the answer and the one tenant whose rows alone it was read from (a DID's number's),
        or None when a change anywhere may alter it (a call inside a tenant: dropped at any change)."""
        generation = self._requests.get(getcurrent())
        if generation is None:
            return load()[0]
        try:
            return self._answers[key]
        except KeyError:
            pass
        value, owner = load()
        if generation == self._generation:
            if len(self._answers) >= MAX_ANSWERS:
                self._answers.clear()
                self._answer_keys.clear()
            self._answers[key] = value
            self._answer_keys.setdefault(owner, []).append(key)
        return value

    def _check(self) -> int | None:
        """The generation the kept entries belong to, after dropping what changed; None: whether
        anything changed is not known now (read from the database this time)."""
        version = self._watch.version()
        if version is self._version and version is not None:  # nothing changed: the usual case
            return self._generation
        if version is None:
            self._version = None
            return None
        return self._moved(version)

    def _moved(self, version: Version) -> int:
        """_check for a version other than the last one seen: drop what changed since."""
        if self._version is None or version.serial != self._version.serial:
            changed = changed_scopes(self._version, version)
            if changed is None or changed:
                self._drop(changed)
            self._version = version
        return self._generation

    def _drop(self, scopes: frozenset[Scope] | None) -> None:
        """Drop the values and answers of `scopes` (a tenant's: its users' too; a user's: its
        tenant's too) and those of no one tenant (None: everything)."""
        self._generation += 1
        if scopes is None:
            self._entries.clear()
            self._keys.clear()
            self._users.clear()
            self._answers.clear()
            self._answer_keys.clear()
            return
        owners: set[Scope | None] = {None}
        for scope in scopes:
            if isinstance(scope, tuple):
                owners.update((scope, scope[0]))
                self._users.get(scope[0], set()).discard(scope)
            else:
                owners.add(scope)
                owners.update(self._users.pop(scope, ()))
        for owner in owners:
            for key in self._keys.pop(owner, ()):
                self._entries.pop(key, None)
            for key in self._answer_keys.pop(owner, ()):
                self._answers.pop(key, None)
