"""SQLite tells the handler whose rows changed: triggers stamp each tenant's row in a table.

xml_curl/sqlitechanges.py sees any commit, of this process or another, cheaply enough to ask on
every request, but not what changed. So every watched table (xml_curl/changes.py) gets triggers
that, in the writer's own transaction, stamp its tenant's row of EPOCH_TABLE with the next number
of a sequence (one more than the highest stamp, found through the index on it). When a commit is
seen, the watch reads only the rows stamped since the highest stamp it read, and the cache drops
only those tenants. A table no user's row reads (xml_curl/changes.py: APART_FROM_USERS, the
contacts) stamps the row of minus the tenant's id instead: that tenant's change, but not its users'
rows (Scope (tenant, None)). A commit to an unwatched table (the call log, the audit, sessions) stamps
nothing: nothing is dropped.

Why stamps, not a count per tenant read whole: the handler reads this table after every commit of
any process (a CDR, an audit row, a session: the WAL-index header cannot tell which table), and a
table holding a row for each of 1,000 tenants cost it ~0.7 ms a commit to read and compare whole
(measured on the bench machine, under load; ~65 µs with one row). Through the index it reads the
rows that changed, usually none or one. Writers serialize on SQLite's write lock, so stamps are
committed in increasing order: a reader never finds a stamp below one it has already read.

The triggers are installed when `serve` starts (`install`), for the tables the schema has then.
A table added later (`centralita db upgrade` while serving) has none: the watch notices the
schema changed since and, until the next start, treats every change as every tenant's.
"""
from __future__ import annotations

import logging
import sqlite3

from xml_curl.changes import EVERY_TENANT, UNWATCHED, Scope, TenantSource, Version, tenant_source
from xml_curl.sqlitechanges import SqliteChanges

log = logging.getLogger(__name__)

EPOCH_TABLE = "centralita_cache_epoch"
PREFIX = "centralita_cache_"  # every trigger of ours: dropped and made again at each install
STAMP_INDEX = f"{EPOCH_TABLE}_version"
# The watch's list of the tenants seen changing starts again (and the cache drops everything once)
# past this many: memory stays bounded in a process that runs for months.
LOG_LIMIT = 10_000


def install(path: str) -> bool:
    """Make the epoch table and the triggers of every watched table (one transaction, waiting for
    the write lock). Only what differs is made again, so a second server starting leaves the
    schema as it was. False when they could not be made."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {EPOCH_TABLE} (tenant_id INTEGER PRIMARY KEY, "
                     "version INTEGER NOT NULL)")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {STAMP_INDEX} ON {EPOCH_TABLE} (version)")
        wanted, present = wanted_triggers(conn), present_triggers(conn)
        for name, sql in present.items():
            if wanted.get(name) != sql:
                conn.execute(f'DROP TRIGGER "{name}"')
        for name, sql in wanted.items():
            if present.get(name) != sql:
                conn.execute(sql)
        conn.execute("COMMIT")
        return True
    except sqlite3.Error as exc:
        log.warning("the directory cache drops every tenant's rows at any change: no change triggers (%s)", exc)
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def wanted_triggers(conn) -> dict[str, str]:
    """Our triggers for the schema as it is: name -> CREATE statement."""
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")]
    wanted = {}
    for table in tables:
        if table not in UNWATCHED:
            columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
            wanted.update(_triggers(table, tenant_source(table, columns)))
    return wanted


def present_triggers(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'",
                             (PREFIX.replace("_", "\\_") + "%",)).fetchall())


def _triggers(table: str, source: TenantSource | None) -> dict[str, str]:
    rows = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}
    return {f"{PREFIX}{table}_{event.lower()}":
            f'CREATE TRIGGER "{PREFIX}{table}_{event.lower()}" AFTER {event} ON "{table}" BEGIN '
            + " ".join(_count(_tenant_of(row, source)) for row in which) + " END"
            for event, which in rows.items()}


def _tenant_of(row: str, source: TenantSource | None) -> str:
    if source is None:
        return str(EVERY_TENANT)
    if source.apart:  # minus the tenant: read back as (tenant, None); -EVERY_TENANT is EVERY_TENANT
        return f"-COALESCE({row}.{source.column}, {EVERY_TENANT})"
    if source.parent is None:
        return f"COALESCE({row}.{source.column}, {EVERY_TENANT})"
    return (f'COALESCE((SELECT tenant_id FROM "{source.parent}" WHERE id = {row}.{source.column}), '
            f"{EVERY_TENANT})")


def _count(tenant: str) -> str:
    """The tenant's row stamped with the next number of the sequence (MAX through the index; the
    counts of the triggers before 2026-12-04 are below it, so the sequence goes on from them)."""
    return (f"INSERT INTO {EPOCH_TABLE} (tenant_id, version) VALUES ({tenant}, "
            f"(SELECT COALESCE(MAX(version), 0) + 1 FROM {EPOCH_TABLE})) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;")


class SqliteWatch(SqliteChanges):
    """The database's Version: the tenants whose rows changed, in the order seen (`Version.log`,
    as PostgreSQL's notifications), read through a connection of its own (that never writes) when
    a commit was seen (SqliteChanges: its count moved). `triggers`: whether `install` made them;
    without, every commit is every tenant's change. The usual request (no commit since) is
    SqliteChanges.version's first case: the Version again, with no other Python call."""

    def __init__(self, path: str, triggers: bool = False):
        super().__init__(path)
        self.triggers = triggers
        self._stamps: sqlite3.Connection | None = None  # opened on the first commit seen
        self._counted: int | None = None  # SqliteChanges' count when the stamps were last read
        self._stamp = 0  # the highest stamp read
        self._log: list[Scope] = []  # the tenants seen changing since `_base`, in order
        self._base = 0
        self._last: Version | None = None
        self._schema: int | None = None  # the schema_version the triggers were last seen to cover

    def _answer_at(self, count: int) -> Version | None:
        if self._last is not None and count == self._counted:
            return self._last  # a recheck, or a reopening that saw no commit
        try:
            changed = self._changed()
        except sqlite3.Error as exc:  # opened again next time; this request reads the database
            log.debug("cache not used for this request: %s", exc)
            stamps, self._stamps, self._last = self._stamps, None, None
            if stamps is not None:
                stamps.close()
            return None
        self._counted = count
        if changed or self._last is None:
            if len(self._log) + len(changed) > LOG_LIMIT:  # a new list: older versions keep theirs
                self._base, self._log = self._base + len(self._log), []
            self._log.extend(changed)
            self._last = Version(self._base + len(self._log), log=self._log, base=self._base)
        return self._last  # a commit that stamped nothing (an unwatched table): the same version

    def close(self) -> None:
        super().close()
        stamps, self._stamps = self._stamps, None
        if stamps is not None:
            stamps.close()

    def _changed(self) -> list[Scope]:
        """The tenants stamped since the last read (one read transaction, through the index)."""
        if self._stamps is None:
            self._stamps = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if not self.triggers:
            return [EVERY_TENANT]
        schema = self._stamps.execute("PRAGMA schema_version").fetchone()[0]
        replaced = self._schema is not None and schema != self._schema
        if not self._covered(schema):
            return [EVERY_TENANT]  # any change is everyone's
        highest = self._stamps.execute(f"SELECT COALESCE(MAX(version), 0) FROM {EPOCH_TABLE}").fetchone()[0]
        if replaced or highest < self._stamp:
            # The file's contents were replaced under us (`centralita restore` writes an older copy
            # through SQLite's backup API, which moves schema_version) or the stamps went back: what
            # changed is not known, and the next stamps start below the last one read, where the
            # read below would never look. Everyone's change, and the stamps followed from here.
            self._stamp = highest
            return [EVERY_TENANT]
        stamped = self._stamps.execute(f"SELECT tenant_id, version FROM {EPOCH_TABLE} WHERE version > ? "
                                     "ORDER BY version", (self._stamp,)).fetchall()
        if stamped:
            self._stamp = stamped[-1][1]
        return [(-tenant, None) if tenant < 0 else tenant for tenant, _ in stamped]

    def _covered(self, schema: int) -> bool:
        """Whether every watched table has its triggers (looked at again when the schema changed)."""
        if schema != self._schema:
            if present_triggers(self._stamps) != wanted_triggers(self._stamps):
                if self._schema is not None:
                    log.warning("the schema changed since the start: the directory cache drops every tenant's "
                                "rows at any change until `centralita serve` starts again")
                self.triggers = False
                return False
            self._schema = schema
        return True
