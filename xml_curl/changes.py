"""Which tenant a change belongs to: what lets the handler's cache drop one tenant's rows, not all.

A write to one tenant's user (an admin renaming someone through the API, a DND toggle) must not
send every other tenant's REGISTERs back to the database: xml_curl/cache.py drops only the rows of
the tenants that changed. Both engines learn it from triggers on the watched tables (every table
but UNWATCHED), installed when `serve` starts:

* the row's own `tenant_id`;
* else its parent's, for the tables hanging off a tenant's row (PARENTS: call handling and
  simultaneous ring off the user, members off the group, options off the menu, ranges off the
  schedule); a parent already gone (a cascade) counts as a change of every tenant;
* else (the tenant table itself: a domain, a suspension; any table not listed) every tenant.

SQLite (xml_curl/sqlitechanges.py) counts each tenant's changes in a table; PostgreSQL
(xml_curl/pgchanges.py) sends the tenant's id as the notification's payload. Either way the cache
sees a `Version`: a serial that moves with any change, and a count per tenant.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

# Written all day long and read by no cached lookup: a trigger there would only empty the cache.
# Contacts are watched: the dialplan keeps the caller names it read (xml_curl/plans.py).
UNWATCHED = frozenset({"api_key", "audit_entry", "auth_failure", "call_entry", "cdr_leg", "group_call", "login",
                       "node", "member_channel", "queue_entry", "queue_offer", "password_reset", "recording",
                       "session", "schema_version", "centralita_cache_epoch"})
# A table without tenant_id: the column pointing at a parent row that has one.
PARENTS = {"user_id": "user", "group_id": "call_group", "menu_id": "ivr_menu", "schedule_id": "schedule"}
EVERY_TENANT = 0  # the count of changes no single tenant owns (tenant ids start at 1)


@dataclass(frozen=True)
class TenantSource:
    """Where a table's rows name their tenant: `column` of the row itself, or (with `parent`) the
    tenant_id of the `parent` row that `column` points at. None (see tenant_source): every tenant."""

    column: str
    parent: str | None = None


def tenant_source(table: str, columns: set[str]) -> TenantSource | None:
    if table == "tenant":
        return None  # a domain or a suspension changes lookups by domain and the tenant list
    if "tenant_id" in columns:
        return TenantSource("tenant_id")
    for column, parent in PARENTS.items():
        if column in columns:
            return TenantSource(column, parent)
    return None


@dataclass(frozen=True)
class Version:
    """The database's change counts: `serial` moves with every change, `tenants` says whose."""

    serial: int
    tenants: Mapping[int, int] = field(default_factory=dict)


def changed_tenants(before: Version | None, now: Version) -> frozenset[int] | None:
    """The tenants whose rows changed between two versions; None when it may be any (no earlier
    version, or a change no single tenant owns)."""
    if before is None:
        return None
    if now.serial == before.serial:
        return frozenset()
    changed = {tenant for tenant in now.tenants.keys() | before.tenants.keys()
               if now.tenants.get(tenant) != before.tenants.get(tenant)}
    return None if EVERY_TENANT in changed else frozenset(changed)
