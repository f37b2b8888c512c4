"""A classified call's log entries matched to people: which become call_entry rows, for whom.

An entry's user "ext@domain" is Tenant.domain + User.extension. Kept: an entry whose tenant and
user are both known, and the tenant's own entries (no user: a group call nobody answered). A call
none of whose entries is kept, but one of which has a known tenant, none of those a made call's,
keeps the first of those, as the tenant's (no user: only in the tenant admin's log). Everything
else is dropped (store.py's module doc says why).

The rule runs in two places, which tests/test_calllog*.py hold to the same call log on both
engines: `kept` in Python (SQLite, where statements run in-process), and `looked_up` in SQL
(PostgreSQL, a leg filed alone or a batch: the lookup rides in the statement that inserts the
entries, not a round trip of its own before it).
"""
from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import peewee

from fs_plugins import plugins
from fs_plugins.calllog.classify import MADE, Call
from fs_plugins.destinations import Destination
from fs_plugins.models.core import Tenant
from fs_plugins.dbpool import run_in_transaction
from fs_plugins.prepared import get_or_none, on_server


class Unmatched(NamedTuple):
    """One entry of a call, its user not looked up yet; from `call_id` on, its call_entry columns."""

    domain: str  # the user's tenant ("" when no leg names one: never looked up)
    extension: str | None  # None: the tenant's own entry
    own: bool
    made: bool
    call_id: str
    kind: str
    status: str
    direction: str
    started_at: int
    caller_name: str
    caller_number: str
    callee: str
    answered_by: str
    ring_seconds: int
    talk_seconds: int
    cause: str


COLUMNS = 12  # of call_entry's, at the end of an Unmatched: call_id … cause


def entry_rows(db: peewee.Database, call: Call) -> list[Unmatched]:
    """The call's entries, to be matched (`matched`, or `looked_up`). The callee of a call that
    reached a menu or group names it, as the menu of the tenant of the first kept entry."""
    started = call.start_us // 1_000_000
    rows = [
        Unmatched(*_split_user(entry.user, call.tenant), entry.user is None, entry.kind == MADE, call.call_id,
                  entry.kind, entry.status.code, call.direction, started, call.caller_name[:120],
                  call.caller_number[:64], call.callee[:64], call.answered_by[:120], entry.ring_seconds,
                  entry.talk_seconds, entry.cause)
        for entry in call.entries
    ]
    kind = plugins.installed().destination_kinds.get(call.flow[0]) if call.flow and rows else None
    if kind is None:
        return rows
    tenant = _tenant_of_first_kept(db, rows)
    name = kind.describe(tenant, Destination(*call.flow)).partition(":")[2] if tenant is not None else ""
    callee = f"{call.callee} ({name})" if name and call.callee else (call.callee or name)
    return [row._replace(callee=callee[:64]) for row in rows]


def _tenant_of_first_kept(db: peewee.Database, rows: list[Unmatched]) -> Tenant | None:
    """The tenant whose menu or group the callee names (any, or None, when no entry is kept: then
    no row shows the callee). Entries of one domain (the usual call): that domain's tenant, one
    query; the users' lookup, to know which entry is kept first, only when the call spans tenants
    (it was made for every such call: a round trip more, and Tenant by id after it)."""
    domains = {row.domain for row in rows}
    if len(domains) == 1:
        domain = domains.pop()
        return get_or_none(Tenant, domain=domain) if domain else None
    found = kept(rows, lookup(db, rows))
    return get_or_none(Tenant, id=found[0][0]) if found else None


def matched(db: peewee.Database, rows: list[Unmatched], found: dict | None = None) -> list[tuple]:
    """The call_entry rows (tenant_id, user_id, call_id … cause) of one call's entries (`found`:
    what `lookup` answered for them, with other calls' entries)."""
    found = lookup(db, rows) if found is None else found
    return [(tenant_id, user_id, *row[-COLUMNS:]) for tenant_id, user_id, row in kept(rows, found)]


def kept(rows: list[Unmatched], found: dict) -> list[tuple[int, int | None, Unmatched]]:
    """(tenant id, user id or None, entry) of one call's entries that are kept (module doc)."""
    resolved = []
    for row in rows:
        tenant_id, user_id = found.get((row.domain, row.extension), (None, None))
        if tenant_id is not None:
            resolved.append((tenant_id, user_id, row))
    known = [item for item in resolved if item[1] is not None or item[2].own]
    if not known and resolved and not any(row.made for _, _, row in resolved):
        tenant_id, _, row = resolved[0]
        known = [(tenant_id, None, row)]
    return known


def lookup(db: peewee.Database, rows: list[Unmatched]) -> dict[tuple, tuple[int, int | None]]:
    """(tenant id, user id or None) of each known (domain, extension or None), in one query."""
    keys = sorted({(row.domain, row.extension) for row in rows if row.domain}, key=lambda key: (key[0], key[1] or ""))
    if not keys:
        return {}
    found = run_in_transaction(db, on_server(db, (
        "SELECT x.column1, x.column2, t.id, u.id FROM (VALUES " + ", ".join(["(?, ?)"] * len(keys)) + ") AS x"
        ' JOIN tenant t ON t.domain = x.column1 LEFT JOIN "user" u ON u.tenant_id = t.id AND u.extension = x.column2'
    )), tuple(chain.from_iterable(keys))).fetchall()
    return {(domain, extension): (tenant_id, user_id) for domain, extension, tenant_id, user_id in found}


def looked_up() -> str:
    """The entries of some calls replaced by what `kept` keeps of `rows`, in one statement
    (PostgreSQL), written with `?`; its parameters: `looked_up_params`. The tenant of an empty domain
    is never looked up (`lookup` skips it), whatever the table holds. An entry not kept for itself
    is kept for the tenant when no entry of its call with a known tenant is kept, nor a made call's,
    nor before it: NOT EXISTS, planned in 0.18-0.34 ms against 0.32-0.42 ms for the same rule by
    window functions (EXPLAIN ANALYZE, 1 and 8 calls of B5's).

    One text for any number of calls and entries: each column of the entries is one array
    parameter (unnest), so serve's PostgreSQL prepares it once per connection (on_server) and then
    only executes it. Written with a VALUES row per entry, its text changed with every count: it was
    parsed and planned on every leg and batch, and a batch looked its users up in a statement of
    its own (a round trip) rather than plan that lookup each time."""
    return _LOOKED_UP


def looked_up_params(call_ids: list[str], rows: list[Unmatched]) -> tuple:
    """`looked_up`'s parameters: the calls whose entries go, then each column of `rows` (numbered
    `n` in the order `matched` would insert them) as an array literal (`_array`)."""
    columns = list(zip(*rows)) if rows else [()] * len(Unmatched._fields)
    return tuple(_array(column) for column in (call_ids, range(len(rows)), *columns))


def _array(values) -> str:
    """`values` as one PostgreSQL array literal ('{"a",NULL,"b"}'), which the statement casts to its
    column's array type. psycopg2 sends a list as ARRAY['a', NULL, 'b']: an expression of one
    constant per element, which the server parsed and evaluated on every execution (backend CPU of
    the statement for one call of two entries, B5's set, 1,500 executions, three interleaved runs:
    217-254 us as lists, 187-212 us as literals)."""
    return "{" + ",".join([_element(value) for value in values]) + "}"


def _element(value) -> str:
    # The exact types entries hold first, by their class: each element of a call's eighteen columns
    # is a call of this on every leg filed on PostgreSQL (isinstance, three times for a str, cost
    # more than the rest); bool before int, as isinstance needs, for anything else.
    kind = value.__class__
    if kind is str:
        return _quoted(value)
    if kind is int:
        return str(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    return _quoted(str(value))


def _quoted(text: str) -> str:
    """An array element's text in double quotes, its backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Each entry's tenant and user are looked up one by one (LATERAL, OFFSET 0 so that PostgreSQL does not
# flatten them back into joins): its generic plan, which estimates ten entries, joined the whole
# tenant table (a hash of its 1,000 rows on B5's set) and read each entry's user among all of its
# tenant's (user_tenant_id, ~100 rows, the extension as a filter); looked up, each is one probe of
# tenant_domain and of user_tenant_id_extension (a handful of tenants fit a page: PostgreSQL
# reads that page instead, as cheaply). Backend CPU of the statement for one call of two
# entries (400 executions, /proc/<pid>/schedstat): 294-356 -> 224-255 us on B5's 1,000,000 calls
# (1,000 tenants, 100,000 users), 267 -> 193 us on 20 tenants of 10 users.
# Each array cast to its column's type: a prepared statement's parameters take the types written
# here (an untyped one would be text: `v.own` fails as OR's argument, started_at inserted as text).
_TYPES = {"n": "integer", "own": "boolean", "made": "boolean", "started_at": "bigint", "ring_seconds": "integer",
          "talk_seconds": "integer"}
_INSERTED = ", ".join(Unmatched._fields[-COLUMNS:])
_ARRAYS = ", ".join(f"?::{_TYPES.get(name, 'text')}[]" for name in ("n", *Unmatched._fields))
_LOOKED_UP = (
    "WITH gone AS (DELETE FROM call_entry WHERE call_id = ANY(?::text[])),"
    f" v(n, {', '.join(Unmatched._fields)}) AS (SELECT * FROM unnest({_ARRAYS})),"
    " resolved AS (SELECT v.*, t.id AS tenant_id, u.id AS user_id, (u.id IS NOT NULL OR v.own) AS known"
    " FROM v CROSS JOIN LATERAL (SELECT id FROM tenant WHERE domain = v.domain AND v.domain <> '' OFFSET 0) t"
    ' LEFT JOIN LATERAL (SELECT id FROM "user" WHERE tenant_id = t.id AND extension = v.extension OFFSET 0) u ON true)'
    f" INSERT INTO call_entry (tenant_id, user_id, {_INSERTED}) SELECT tenant_id, user_id, {_INSERTED}"
    " FROM resolved r WHERE known OR NOT EXISTS (SELECT 1 FROM resolved o WHERE o.call_id = r.call_id"
    " AND (o.known OR o.made OR o.n < r.n)) ORDER BY n"
)


def _split_user(user: str | None, tenant: str) -> tuple[str, str | None]:
    if not user:
        return tenant, None
    extension, _, domain = user.partition("@")
    return (domain or tenant), extension
