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

A row that belongs to one user (the user's own, and those of a table with a `user_id`: call
handling, simultaneous ring, the voicemail box…) is that user's change as well (`Scope`). A row of
a table no user's directory row reads (APART_FROM_USERS: the contacts) is the tenant's change but
no user's, on both engines: the tenant's values are dropped, its users' kept rows are not. Under
PostgreSQL the cache drops for it only that user's kept rows (a REGISTER's directory row) and the
values read from any of the tenant's rows (dialplan answers), not every REGISTER of the tenant: an
admin renaming users all day would otherwise make each of the tenant's phones cost a round trip.

SQLite (xml_curl/sqlitetriggers.py) stamps each changed tenant's row of a table with a sequence
(per tenant only; the row of minus its id for APART_FROM_USERS); PostgreSQL (xml_curl/pgchanges.py)
sends the tenant's id, and the user's after a colon (a colon alone for APART_FROM_USERS), as the
notification's payload. Either way the cache sees a `Version`: a serial that moves
with any change, and the scopes seen changing, in order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

# Written all day long and read by no cached lookup: a trigger there would only empty the cache.
# Contacts are watched: the dialplan keeps the caller names it read (xml_curl/plans.py).
UNWATCHED = frozenset({"api_key", "audit_entry", "auth_failure", "call_entry", "cdr_leg", "group_call", "login",
                       "node", "member_channel", "queue_entry", "queue_offer", "password_reset", "recording",
                       "session", "schema_version", "centralita_cache_epoch"})
# Tables no user's directory row reads (it is read from the user's row, its voicemail box and its
# tenant's row: xml_curl/lookups.py) but the dialplan's caller names do. A change there is
# (tenant, None): the tenant's values are dropped, not its users' rows. A contact import commits
# every thousand lines; as the tenant's change it sent every REGISTER of the tenant back to the
# database after each commit (benches/b8_faults.py, import + CDR storm).
APART_FROM_USERS = frozenset({"contact", "contact_number"})
# A table without tenant_id: the column pointing at a parent row that has one.
PARENTS = {"user_id": "user", "group_id": "call_group", "menu_id": "ivr_menu", "schedule_id": "schedule"}
EVERY_TENANT = 0  # the count of changes no single tenant owns (tenant ids start at 1)


# Whose rows changed: a tenant's id (any of its rows), (tenant id, user id) for one user's rows, or
# (tenant id, None) for rows of the tenant's that no user's kept row reads (APART_FROM_USERS).
Scope = Union[int, tuple[int, Optional[int]]]


@dataclass(frozen=True)
class TenantSource:
    """Where a table's rows name their tenant: `column` of the row itself, or (with `parent`) the
    tenant_id of the `parent` row that `column` points at. None (see tenant_source): every tenant.
    `user`: the column naming the one user a row belongs to (NULL: the tenant's, as a general box).
    `apart`: a table of APART_FROM_USERS (its changes are (tenant, None))."""

    column: str
    parent: str | None = None
    user: str | None = None
    apart: bool = False


def tenant_source(table: str, columns: set[str]) -> TenantSource | None:
    if table == "tenant":
        return None  # a domain or a suspension changes lookups by domain and the tenant list
    if table == "user":
        return TenantSource("tenant_id", user="id")
    if table in APART_FROM_USERS and "tenant_id" in columns:
        return TenantSource("tenant_id", apart=True)
    if "tenant_id" in columns:
        return TenantSource("tenant_id", user="user_id" if "user_id" in columns else None)
    for column, parent in PARENTS.items():
        if column in columns:
            return TenantSource(column, parent, user=column if parent == "user" else None)
    return None


@dataclass(frozen=True)
class Version:
    """The database's changes: `serial` moves with every change; `log` holds the scopes seen
    changing since the serial was `base`, in order (the watch's own list, only ever appended to,
    then replaced by a new one from a later base)."""

    serial: int
    log: Sequence[Scope] = ()
    base: int = 0


def changed_scopes(before: Version | None, now: Version) -> frozenset[Scope] | None:
    """The scopes whose rows changed between two versions; None when it may be any (no earlier
    version, changes no longer known, or a change no single tenant owns)."""
    if before is None:
        return None
    if now.serial == before.serial:
        return frozenset()
    if before.serial < now.base:  # from before the watch's list started again: not known
        return None
    changed = set(now.log[before.serial - now.base:now.serial - now.base])
    return None if EVERY_TENANT in changed else frozenset(changed)


def parse_scope(payload: str) -> Scope:
    """A notification's payload, "TENANT", "TENANT:USER" or "TENANT:" (no user's: APART_FROM_USERS);
    anything else (someone else's NOTIFY on the channel, a tenant not found) is every tenant's change."""
    tenant, colon, user = payload.partition(":")
    try:
        scope: Scope = (int(tenant), int(user) if user else None) if colon else int(tenant)
    except ValueError:
        return EVERY_TENANT
    return EVERY_TENANT if (scope if isinstance(scope, int) else scope[0]) == EVERY_TENANT else scope
