"""SQLite tells the handler whose rows changed: triggers count each tenant's changes in a table.

xml_curl/sqlitechanges.py sees any commit, of this process or another, cheaply enough to ask on
every request, but not what changed. So every watched table (xml_curl/changes.py) gets triggers
that add one to its tenant's row of EPOCH_TABLE in the writer's own transaction; when a commit is
seen, the watch reads that small table and the cache drops only the tenants whose count moved. A
commit to an unwatched table (the call log, the audit, sessions) moves no count: nothing is
dropped.

The triggers are installed when `serve` starts (`install`), for the tables the schema has then.
A table added later (`centralita db upgrade` while serving) has none: the watch notices the
schema changed since and, until the next start, treats every change as every tenant's.
"""
from __future__ import annotations

import logging
import sqlite3

from xml_curl.changes import EVERY_TENANT, UNWATCHED, TenantSource, Version, tenant_source
from xml_curl.sqlitechanges import SqliteChanges

log = logging.getLogger(__name__)

EPOCH_TABLE = "centralita_cache_epoch"
PREFIX = "centralita_cache_"  # every trigger of ours: dropped and made again at each install


def install(path: str) -> bool:
    """Make the epoch table and the triggers of every watched table (one transaction, waiting for
    the write lock). Only what differs is made again, so a second server starting leaves the
    schema as it was. False when they could not be made."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {EPOCH_TABLE} (tenant_id INTEGER PRIMARY KEY, "
                     "version INTEGER NOT NULL)")
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
    if source.parent is None:
        return f"COALESCE({row}.{source.column}, {EVERY_TENANT})"
    return (f'COALESCE((SELECT tenant_id FROM "{source.parent}" WHERE id = {row}.{source.column}), '
            f"{EVERY_TENANT})")


def _count(tenant: str) -> str:
    return (f"INSERT INTO {EPOCH_TABLE} (tenant_id, version) VALUES ({tenant}, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;")


class SqliteWatch:
    """The database's Version: SqliteChanges' count of commits as the serial, and the per-tenant
    counts read through a connection of its own (that never writes) when it moves. `triggers`:
    whether `install` made them; without, every change is every tenant's."""

    def __init__(self, path: str, triggers: bool = False):
        self.path = path
        self.triggers = triggers
        self._commits = SqliteChanges(path)
        self._conn: sqlite3.Connection | None = None  # opened on the first commit seen
        self._last: Version | None = None
        self._schema: int | None = None  # the schema_version the triggers were last seen to cover

    def version(self) -> Version | None:
        serial = self._commits.version()
        if serial is None:
            self._last = None
            return None
        if self._last is None or serial != self._last.serial:
            try:
                self._last = Version(serial, self._tenants(serial))
            except sqlite3.Error as exc:  # opened again next time; this request reads the database
                log.debug("cache not used for this request: %s", exc)
                conn, self._conn, self._last = self._conn, None, None
                if conn is not None:
                    conn.close()
                return None
        return self._last

    def _tenants(self, serial: int) -> dict[int, int]:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if not self._covered():
            return {EVERY_TENANT: serial}  # any change is everyone's
        return dict(self._conn.execute(f"SELECT tenant_id, version FROM {EPOCH_TABLE}").fetchall())

    def _covered(self) -> bool:
        """Whether every watched table has its triggers (looked at again when the schema changed)."""
        if not self.triggers:
            return False
        schema = self._conn.execute("PRAGMA schema_version").fetchone()[0]
        if schema != self._schema:
            if present_triggers(self._conn) != wanted_triggers(self._conn):
                if self._schema is not None:
                    log.warning("the schema changed since the start: the directory cache drops every tenant's "
                                "rows at any change until `centralita serve` starts again")
                self.triggers = False
                return False
            self._schema = schema
        return True
