"""The `subscriber` view Kamailio's auth_db reads, kept by Centralita (PostgreSQL only).

Kamailio authenticates REGISTERs itself (kamailio/kamailio.cfg). It must check the same secret
FreeSWITCH checks, Centralita's a1-hash, without a copy that could drift: so it reads a VIEW over
Centralita's tables, and nothing else of them. The view exposes only what digest authentication needs
(extension, tenant domain, a1-hash) and only for users who may register now: a disabled user or a
suspended tenant has no row, so the next REGISTER after the change is refused, whatever Kamailio
cached. Kamailio's role gets SELECT on the view, never on the tables (a view runs with its owner's
rights). Centralita in turn reads no Kamailio table.

CREATE OR REPLACE makes installing idempotent: run it again after an upgrade of Centralita.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee

from fs_plugins.application import AppContext, require_operator
from fs_plugins.errors import CannotStart, InvalidInput
from fs_plugins.models import Tenant, User

VIEW_NAME = "subscriber"  # auth_db's table argument in kamailio.cfg: auth_check("$td", "subscriber", "1")
DEFAULT_SCHEMA = "kamailio"
# Unquoted PostgreSQL identifiers, lower case (what `psql` users type): nothing to escape.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class ViewInstalled:
    schema: str
    view: str
    granted_to: str | None
    rows: int  # users who may register now


def view_sql(schema: str, grant_to: str | None = None) -> list[str]:
    """The statements that create (or replace) the view in `schema`, and grant it to Kamailio's role."""
    _identifier(schema, "schema")
    users, tenants = User._meta.table_name, Tenant._meta.table_name
    statements = [
        f'CREATE SCHEMA IF NOT EXISTS "{schema}"',
        f'CREATE OR REPLACE VIEW "{schema}"."{VIEW_NAME}" AS'
        f' SELECT u.extension AS username, t.domain AS domain, u.a1_hash AS ha1'
        f' FROM "{users}" u JOIN "{tenants}" t ON t.id = u.tenant_id'
        f" WHERE u.enabled AND NOT t.suspended AND u.a1_hash <> ''",
    ]
    if grant_to is not None:
        _identifier(grant_to, "grant_to")
        statements += [f'GRANT USAGE ON SCHEMA "{schema}" TO "{grant_to}"',
                       f'GRANT SELECT ON "{schema}"."{VIEW_NAME}" TO "{grant_to}"']
    return statements


def install_view(ctx: AppContext, db: peewee.Database, schema: str = DEFAULT_SCHEMA,
                 grant_to: str | None = None) -> ViewInstalled:
    """Create or replace the view in one transaction (a refused grant leaves nothing behind)."""
    require_operator(ctx, "install Kamailio's view")
    statements = view_sql(schema, grant_to)
    require_postgresql(db)
    role = None if grant_to is None else db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (grant_to,))
    if role is not None and role.fetchone() is None:
        raise InvalidInput("grant_to", f"no PostgreSQL role {grant_to!r}: create Kamailio's role first")
    with db.atomic():
        for statement in statements:
            db.execute_sql(statement)
        rows = db.execute_sql(f'SELECT count(*) FROM "{schema}"."{VIEW_NAME}"').fetchone()[0]
        ctx.record("kamailio.install_view", None, f"{schema}.{VIEW_NAME}", {"granted_to": grant_to})
    return ViewInstalled(schema, VIEW_NAME, grant_to, rows)


def require_postgresql(db: peewee.Database) -> None:
    if not isinstance(db, peewee.PostgresqlDatabase):
        raise CannotStart("Kamailio reads Centralita's users through a view in a PostgreSQL database; this "
                          "installation uses SQLite. Set database_url to a postgresql:// URL (one database "
                          "for Centralita's nodes and Kamailio) and run the command again")


def _identifier(name: str, field: str) -> None:
    if not _IDENTIFIER.fullmatch(name):
        raise InvalidInput(field, f"{name!r} is not a plain PostgreSQL name (lower-case letters, digits and "
                                  "_, not starting with a digit, at most 63)")
