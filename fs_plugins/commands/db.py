"""centralita db upgrade|status"""
from __future__ import annotations

from fs_plugins import db as dbmod
from fs_plugins import plugins


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="the database schema")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("upgrade", help="create or upgrade the schema in place (keeps every row)").set_defaults(
        handler=_upgrade)
    sub.add_parser("status", help="show the schema version of each component").set_defaults(handler=_status)


def _upgrade(args, ctx) -> int:
    database = dbmod.bind(dbmod.open_database(ctx.config.effective_database_url))
    changes = dbmod.upgrade(database)
    for name, old, new in changes:
        print(f"{name}: {'created at' if old == 0 else f'upgraded from {old} to'} version {new}")
    if not changes:
        print("schema is up to date")
    return 0


def _status(args, ctx) -> int:
    database = dbmod.bind(dbmod.open_database(ctx.config.effective_database_url))
    versions = dbmod.schema_versions(database)
    for name, _models, migrations in plugins.installed().components:
        current = versions.get(name, 0)
        latest = dbmod.latest_version(migrations)
        print(f"{name:12} {current} (latest {latest}){'' if current == latest else '  ← run: centralita db upgrade'}")
    return 0
