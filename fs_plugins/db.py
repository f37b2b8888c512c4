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

import logging
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee
from playhouse.migrate import SchemaMigrator

from fs_plugins.errors import InvalidInput
from fs_plugins import plugins
from fs_plugins.models import database

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers (xml_curl) never wait for the CDR writer
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
}


class SchemaVersion(peewee.Model):
    component = peewee.CharField(primary_key=True, max_length=64)
    version = peewee.IntegerField()

    class Meta:
        database = database
        table_name = "schema_version"


def open_database(url: str) -> peewee.Database:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc:
            raise InvalidInput("database_url", "use sqlite:///path (three slashes)")
        if not path:
            raise InvalidInput("database_url", "sqlite URL needs a file path or :memory:")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    if parts.scheme in ("postgres", "postgresql"):
        options = dict(parse_qsl(parts.query))
        return peewee.PostgresqlDatabase(
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


def connect(url: str, upgrade_schema: bool = True) -> peewee.Database:
    """Open, bind and (by default) bring the schema up to date: what every entry point calls."""
    db = bind(open_database(url))
    db.connect(reuse_if_open=True)
    if upgrade_schema:
        upgrade(db)
    return db


def latest_version(migrations) -> int:
    return 1 + len(migrations)


def upgrade(db: peewee.Database, components=None) -> list[tuple[str, int, int]]:
    """Create or upgrade every installed component (or those given), in the plugins' order (a
    component's tables may refer to those before it); returns (component, from, to) changes."""
    components = plugins.installed().components if components is None else components
    with db.bind_ctx([SchemaVersion]):
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
