"""Open the database named by a URL, bind the models to it, create or upgrade the schema.

URLs: ``sqlite:///relative/or/absolute/path.db``, ``sqlite:///:memory:``,
``postgresql://user:password@host:port/dbname`` (``?options=-csearch_path%3Dx`` and other libpq
keywords pass through).

Schema versions are kept per component (each plugin's, see fs_plugins.plugins) in ``schema_version``:
a component missing from a database gets its current tables and its latest version; one recorded
at an older version runs its upgrade steps in order, each in its own transaction with the version
bump, so an interrupted upgrade resumes where it stopped.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee
from playhouse.migrate import SchemaMigrator

from fs_plugins import dbpool, plugins
from fs_plugins.errors import CannotStart, InvalidInput
from fs_plugins.files import private_sqlite
from fs_plugins.redact import hide_secret_parameters
from fs_plugins.models import database

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers (xml_curl) never wait for the CDR writer
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
}
# serve's connections leave checkpoints to fs_plugins/walcheckpoint.py's thread: SQLite's default
# runs one inside the COMMIT that takes the WAL past 1,000 pages, on serve's event loop.
SERVE_SQLITE_PRAGMAS = {**SQLITE_PRAGMAS, "wal_autocheckpoint": 0}
# Every transaction takes SQLite's write lock at its BEGIN, waiting for it (busy_timeout; under
# serve off the event loop, within the request's deadline). With a plain BEGIN, a transaction that
# reads first and writes next cannot take the lock once another writer committed since its read
# (WAL: SQLITE_BUSY_SNAPSHOT, "database is locked" at once, no wait): two API writes to one row at
# the same moment gave one 500. Every transaction here is there to write.
SQLITE_BEGIN = "IMMEDIATE"
# pg_advisory_lock's key for schema upgrades (any constant no other program on the database uses).
SCHEMA_LOCK_KEY = 0x43656E7472616C  # "Central"


@dataclass(frozen=True)
class PoolSettings:
    """How `serve` holds its connections (Config's database_* settings)."""
    size: int = 20
    connect_timeout: float = 2.0
    statement_timeout_ms: int = 500

    @classmethod
    def from_config(cls, config) -> "PoolSettings":
        return cls(config.database_pool_size, config.database_connect_timeout, config.database_statement_timeout_ms)

    def sqlite(self) -> dict:
        # A greenlet waits at most connect_timeout for a free connection (then: DatabaseUnavailable).
        return {"max_connections": self.size, "timeout": self.connect_timeout, "connect_timeout": self.connect_timeout}

    def postgresql(self, describe: str) -> dict:
        return {**self.sqlite(), "statement_timeout_ms": self.statement_timeout_ms, "describe": describe}


class SchemaVersion(peewee.Model):
    component = peewee.CharField(primary_key=True, max_length=64)
    version = peewee.IntegerField()

    class Meta:
        database = database
        table_name = "schema_version"


def open_database(url: str, pool=None) -> peewee.Database:
    hide_secret_parameters()  # peewee's DEBUG log of statements never shows a hash (fs_plugins/redact.py)
    """`pool` (a PoolSettings, for `serve`): the pooled, cooperative, healing classes of fs_plugins.dbpool."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc:
            raise InvalidInput("database_url", "use sqlite:///path (three slashes)")
        if not path:
            raise InvalidInput("database_url", "sqlite URL needs a file path or :memory:")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            private_sqlite(path)  # 0600, and so its -wal/-shm (fs_plugins/files.py)
        if pool is not None and path != ":memory:":  # one :memory: database per connection: no pool
            return dbpool.GreenSqliteDatabase(path, pragmas=SERVE_SQLITE_PRAGMAS, check_same_thread=False,
                                              busy_timeout_ms=SQLITE_PRAGMAS["busy_timeout"], lock_type=SQLITE_BEGIN,
                                              **pool.sqlite())
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False, lock_type=SQLITE_BEGIN)
    if parts.scheme in ("postgres", "postgresql"):
        options = dict(parse_qsl(parts.query))
        if pool is not None:
            options.update(pool.postgresql(f"{parts.hostname or 'localhost'}:{parts.port or 5432}"))
        return (dbpool.GreenPostgresqlDatabase if pool is not None else peewee.PostgresqlDatabase)(
            unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or None,
            port=parts.port or None,
            **options,
        )
    raise InvalidInput("database_url", f"unsupported scheme {parts.scheme!r}; use sqlite:/// or postgresql://")


def bind(db: peewee.Database) -> peewee.Database:
    database.initialize(db)
    return db


def connect(url: str, upgrade_schema: bool = True, pool: PoolSettings | None = None) -> peewee.Database:
    """Open, bind and (by default) bring the schema up to date."""
    db = bind(open_database(url, pool))
    db.connect(reuse_if_open=True)
    if upgrade_schema:
        upgrade(db)
    return db


def require_current(db: peewee.Database) -> None:
    """For every command but `serve` and `db upgrade`: an empty database gets the schema, an older
    one is refused (upgrading is the operator's decision, taken once, under the schema lock)."""
    versions = schema_versions(db)
    if not versions:
        upgrade(db)
        return
    behind = [f"{name} {versions.get(name, 0)}→{latest_version(migrations)}"
              for name, _models, migrations in plugins.installed().components
              if versions.get(name, 0) != latest_version(migrations)]
    if behind:
        raise CannotStart(f"the database schema is not current ({', '.join(behind)}); "
                          "run: centralita db upgrade")


@contextlib.contextmanager
def schema_lock(db: peewee.Database):
    """One upgrade at a time: a PostgreSQL advisory lock, a lock file beside a SQLite database."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
        return
    if db.database == ":memory:":
        yield
        return
    with open(f"{db.database}.upgrade-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def latest_version(migrations) -> int:
    return 1 + len(migrations)


def upgrade(db: peewee.Database, components=None) -> list[tuple[str, int, int]]:
    """Create or upgrade every installed component (or those given), in the plugins' order (a
    component's tables may refer to those before it); returns (component, from, to) changes."""
    components = plugins.installed().components if components is None else components
    with schema_lock(db), db.bind_ctx([SchemaVersion]):
        db.create_tables([SchemaVersion], safe=True)
        recorded = {row.component: row.version for row in SchemaVersion.select()}
        changes = []
        for name, models, migrations in components:
            target = latest_version(migrations)
            current = recorded.get(name)
            if current is None:
                with db.atomic():
                    db.create_tables(list(models), safe=True)
                    SchemaVersion.insert(component=name, version=target).execute()
                changes.append((name, 0, target))
                continue
            if current > target:
                raise RuntimeError(
                    f"database schema of {name!r} is version {current}, newer than this code ({target})"
                )
            migrator = SchemaMigrator.from_database(db)
            for version in range(current, target):
                step = migrations[version - 1]
                with db.atomic():
                    log.info("upgrading %s from schema %d to %d: %s", name, version, version + 1,
                             step.__doc__ or step.__name__)
                    step(migrator, db)
                    SchemaVersion.update(version=version + 1).where(SchemaVersion.component == name).execute()
            if current != target:
                changes.append((name, current, target))
        return changes


def schema_versions(db: peewee.Database) -> dict[str, int]:
    with db.bind_ctx([SchemaVersion]):
        if not db.table_exists("schema_version"):
            return {}
        return {row.component: row.version for row in SchemaVersion.select()}
