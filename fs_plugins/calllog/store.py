"""Filing CDR legs: idempotent on the leg's uuid, and the call's log entries rebuilt from its legs.

`store_leg` runs in one transaction: insert the leg (a leg already stored is a no-op, so
FreeSWITCH's re-posts and a re-run sweep change nothing), then, if it was new, re-classify the
whole call from all its stored legs and replace the call's entries. Legs arrive in any order (B
legs usually before A): a call gets entries once its A leg is stored, and every later leg refines
them. Two legs of one call posted at the same moment are serialised (PostgreSQL: an advisory lock
on the call id; SQLite: one writer at a time), so neither classifies without the other.

Matching to people (calllog/entries.py): an entry's user "ext@domain" is Tenant.domain + User.extension.
A leg whose tenant we do not know is still stored (FreeSWITCH was told "200", so it must not be
lost; create the tenant, then `centralita cdr reclassify`) but produces no entry, so it shows
in no one's log. A received entry whose extension is no user becomes a tenant entry (no user,
only in the tenant admin's log) when the call has no other entry; otherwise it is dropped. An
entry the classifier made for the tenant itself (no user: a group call nobody answered) is kept.

Hot path: raw SQL, no query builder (DESIGN.md rule 3).
"""
from __future__ import annotations

import logging
from itertools import chain

import peewee

from fs_plugins import channel_vars
from fs_plugins.prepared import on_server
from fs_plugins.prepared import statement as sql_for  # the call log's name for it
from fs_plugins.calllog.classify import Call, classify
from fs_plugins.calllog.entries import Unmatched, entry_rows, looked_up, looked_up_params, lookup, matched
from fs_plugins.calllog.parse import LegFacts
from fs_plugins.dbpool import few_trips, last_statement, run_in_transaction

log = logging.getLogger(__name__)

LEG_COLUMNS = "uuid, call_id, tenant_domain, received_at, facts"


def store_leg(db: peewee.Database, facts: LegFacts) -> bool:
    """File one leg and refresh its call's entries; True when the leg was new. Commits (on serve's
    PostgreSQL, BEGIN and COMMIT ride on the first and last statements: dbpool.few_trips)."""
    with few_trips(db):
        return file_leg(db, facts, last=True)


def file_leg(db: peewee.Database, facts: LegFacts, last: bool = False) -> bool:
    """store_leg inside the caller's transaction (group commit files several legs in one). `last`:
    nothing follows in the transaction (its COMMIT may go with the last statement)."""
    text = facts.to_json()
    values = (facts.uuid, facts.call_id, facts.var(channel_vars.TENANT)[:253] or None, text)
    if isinstance(db, peewee.PostgresqlDatabase):
        return _file_leg_postgresql(db, facts, values, last)
    cursor = run_in_transaction(db, _INSERT_LEG_SQLITE, values)
    if cursor.rowcount == 0:
        log.info("CDR leg %s already stored; ignored", facts.uuid)
        return False
    # An A leg is its own call (its call_id is its uuid): no need to look its root up.
    refresh_call(db, facts.call_id, find_root=not facts.is_a_leg, last=last, known={text: facts})
    return True


def _file_leg_postgresql(db: peewee.Database, facts: LegFacts, values: tuple, last: bool) -> bool:
    """file_leg on PostgreSQL: the call's lock, the insert and the call's other legs in one round
    trip (_LOCK_CALL, _FILE_LEG_POSTGRESQL), then the entries with their users looked up (with the
    COMMIT when `last`): two round trips."""
    rows = db.execute_sql(on_server(db, _LOCK_CALL, _FILE_LEG_POSTGRESQL),
                          (facts.call_id, *values, facts.call_id, facts.call_id)).fetchall()
    if not any(new for new, _, _ in rows):
        log.info("CDR leg %s already stored; ignored", facts.uuid)
        return False
    call_id = rows[0][1]
    # The statement's snapshot predates its own insert: the new leg is not among the rows read, but
    # always belongs to the call (its call_id is the root, or a B leg of the root).
    call = classify([LegFacts.from_json(text) for new, _, text in rows if not new] + [facts])
    if call is not None:
        _replace_entries_looked_up(db, {call_id: entry_rows(db, call)}, last)
    return True


def file_legs(db: peewee.Database, batch: list[LegFacts], last: bool = False) -> list[bool]:
    """file_leg for each leg of `batch`, inside the caller's transaction; whether each was new.

    On PostgreSQL every statement is a round trip, so the batch is filed in three whatever its
    size, each prepared: the calls' locks and every insert, the legs of every call touched, and
    every call's entries replaced with their users looked up (_replace_entries_looked_up, the
    statement a leg filed alone ends with; a call that reached a menu or group adds its queries,
    see entries.entry_rows). The entries are
    the ones filing the legs one by one would leave: each call is classified once, from all its
    legs, after all were inserted. SQLite files a batch the same way, in five statements and its
    COMMIT (no locks: one writer at a time): its statements run in-process, but leg by leg a batch of
    16 was ~90 statements, each through peewee and the pool, and a call of three legs was classified
    and its entries replaced three times. `last`: as for file_leg."""
    postgresql = isinstance(db, peewee.PostgresqlDatabase)
    values = [(f.uuid, f.call_id, f.var(channel_vars.TENANT)[:253] or None, f.to_json()) for f in batch]
    known = {row[3]: facts for row, facts in zip(values, batch)}
    flat = tuple(chain.from_iterable(values))  # C's loop: a generator's was ~100 bytecodes a batch
    if postgresql:
        insert = db.execute_sql(on_server(db, _GENERIC_PLANS, _insert_locked_legs(len(batch))),
                                (*flat, [facts.call_id for facts in batch]))
    else:
        insert = run_in_transaction(db, _insert_legs_sqlite(len(batch)), flat)
    inserted = {row[0] for row in insert.fetchall()}
    outcomes = []
    for facts in batch:
        outcomes.append(facts.uuid in inserted)
        inserted.discard(facts.uuid)  # the same leg twice in one batch: stored once, new once
        if not outcomes[-1]:
            log.info("CDR leg %s already stored; ignored", facts.uuid)
    asked = sorted({facts.call_id for facts, new in zip(batch, outcomes) if new})
    if not asked:
        return outcomes
    legs: dict[str, list[LegFacts]] = {}
    legs_sql = on_server(db, _legs_of_root_calls(len(asked))) if postgresql else _legs_of_root_calls_sqlite(len(asked))
    for root, text in run_in_transaction(db, legs_sql, asked).fetchall():
        legs.setdefault(root, []).append(_leg(text, known))
    calls = {call_id: call for call_id, call in ((c, classify(found)) for c, found in sorted(legs.items()))
             if call is not None}
    if not calls:
        return outcomes
    unmatched = {call_id: entry_rows(db, call) for call_id, call in calls.items()}
    if postgresql:
        _replace_entries_looked_up(db, unmatched, last)
    else:
        found = lookup(db, list(chain.from_iterable(unmatched.values())))
        _replace_entries_of(db, {call_id: matched(db, rows, found) for call_id, rows in unmatched.items()}, last)
    return outcomes


def _insert_locked_legs(count: int) -> str:
    """Every call's lock (in the order of their keys, so two batches never wait on each other in a
    cycle; one statement, so taken before any row is inserted), then the legs; returns the new uuids."""
    rows = ", ".join(["(%s, %s, %s, %s)"] * count)
    return (f"INSERT INTO cdr_leg ({LEG_COLUMNS}) SELECT v.uuid, v.call_id, v.tenant_domain, CURRENT_TIMESTAMP,"
            f" v.facts FROM (VALUES {rows}) AS v(uuid, call_id, tenant_domain, facts),"
            " (SELECT count(*) FROM (SELECT k, pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtext(id) AS k"
            " FROM unnest(%s::text[]) AS id ORDER BY 1) AS keys) AS taken) AS locked"
            " ON CONFLICT (uuid) DO NOTHING RETURNING uuid")


_INSERT_LEG_SQLITE = (f"INSERT INTO cdr_leg ({LEG_COLUMNS}) VALUES (?, ?, ?, CURRENT_TIMESTAMP, ?)"
                      " ON CONFLICT (uuid) DO NOTHING")


def _insert_legs_sqlite(count: int) -> str:
    """The legs inserted (a leg already stored is skipped); returns the new uuids (SQLite 3.35+)."""
    rows = ", ".join(["(?, ?, ?, CURRENT_TIMESTAMP, ?)"] * count)
    return f"INSERT INTO cdr_leg ({LEG_COLUMNS}) VALUES {rows} ON CONFLICT (uuid) DO NOTHING RETURNING uuid"


def _legs_of_root_calls_sqlite(count: int) -> str:
    """_legs_of_root_calls for SQLite: rows (the call's id, facts), every call once. Written with IN
    lists, not joins to the calls: joined, SQLite (3.38+) built a Bloom filter over the whole of
    cdr_leg's call_id index for the consultation legs (EXPLAIN QUERY PLAN on B5's 1,000,000 calls:
    BLOOM FILTER ON b); this way every step is an index search, and a consultation leg's call is
    its B leg's, read through the uuid index."""
    return (f"WITH asked(id) AS (VALUES {', '.join(['(?)'] * count)}),"
            " root(id) AS (SELECT COALESCE((SELECT call_id FROM cdr_leg WHERE uuid = asked.id), asked.id) FROM asked)"
            " SELECT call_id, facts FROM cdr_leg WHERE call_id IN (SELECT id FROM root)"
            " UNION ALL SELECT (SELECT b.call_id FROM cdr_leg b WHERE b.uuid = l.call_id), l.facts FROM cdr_leg l"
            " WHERE l.call_id IN (SELECT uuid FROM cdr_leg WHERE call_id IN (SELECT id FROM root) AND uuid <> call_id)")


def _legs_of_root_calls(count: int) -> str:
    """LEGS_OF_ROOT_CALL for several legs' call ids at once (PostgreSQL, which plans the joins on
    the indexes): rows (the call's id, facts), every call once."""
    return (f"WITH asked(id) AS (VALUES {', '.join(['(%s)'] * count)}),"
            " root(id) AS (SELECT DISTINCT COALESCE((SELECT call_id FROM cdr_leg WHERE uuid = asked.id), asked.id)"
            " FROM asked)"
            " SELECT root.id, l.facts FROM root JOIN cdr_leg l ON l.call_id = root.id"
            " UNION ALL SELECT root.id, l.facts FROM root JOIN cdr_leg b ON b.call_id = root.id AND b.uuid <> b.call_id"
            " JOIN cdr_leg l ON l.call_id = b.uuid")


def refresh_call(db: peewee.Database, call_id: str, find_root: bool = False, last: bool = False,
                 known: dict[str, LegFacts] | None = None) -> Call | None:
    """Re-classify one call from its stored legs and replace its entries (caller holds the transaction).
    `find_root`: `call_id` is a B leg's, and the call is the one it belongs to (LEGS_OF_ROOT_CALL).
    `last`: nothing follows in the transaction (see file_leg). `known`: legs in memory by their
    stored text (the one just inserted), not decoded again."""
    if find_root:
        rows = run_in_transaction(db, sql_for(db, LEGS_OF_ROOT_CALL), (call_id, call_id)).fetchall()
        call_id = rows[0][0] if rows else call_id
    else:
        rows = run_in_transaction(db, sql_for(db, LEGS_OF_CALL), (call_id, call_id)).fetchall()
    call = classify([_leg(row[-1], known) for row in rows])
    if call is None:
        return None
    rows = entry_rows(db, call)
    if isinstance(db, peewee.PostgresqlDatabase):
        _replace_entries_looked_up(db, {call_id: rows}, last)
    else:
        _replace_entries(db, call_id, matched(db, rows), last)
    return call


def _leg(text: str, known: dict[str, LegFacts] | None) -> LegFacts:
    """The stored leg: the one in memory when it is the text just written (decoding it again was
    ~a tenth of filing an A leg: LegFacts.from_json(leg.to_json()) == leg), else decoded."""
    found = known.get(text) if known else None
    return found if found is not None else LegFacts.from_json(text)


def _replace_entries(db: peewee.Database, call_id: str, rows: list[tuple], last: bool = False) -> None:
    """The call's entries become `rows` (SQLite: statements run in-process, a round trip costs nothing;
    PostgreSQL: _replace_entries_looked_up)."""
    delete = sql_for(db, "DELETE FROM call_entry WHERE call_id = ?")
    if not rows:
        _execute(db, delete, (call_id,), last)
        return
    run_in_transaction(db, delete, (call_id,))
    insert = INSERT_ENTRY + ", ".join([ENTRY_VALUES] * len(rows))
    _execute(db, sql_for(db, insert), tuple(chain.from_iterable(rows)), last)


def _execute(db: peewee.Database, sql: str, params, last: bool):
    """The statement; `last`: the transaction's last one, which may carry its COMMIT (dbpool.few_trips)."""
    return last_statement(db, sql, params) if last else run_in_transaction(db, sql, params)


def _replace_entries_looked_up(db: peewee.Database, calls: dict[str, list[Unmatched]], last: bool = False) -> None:
    """Each call's entries (entries.entry_rows) replaced, matched to their users in the same
    statement, prepared on serve's connection (PostgreSQL; entries.looked_up: one text for any
    number of calls and entries)."""
    rows = list(chain.from_iterable(calls.values()))
    _execute(db, on_server(db, looked_up()), looked_up_params(list(calls), rows), last)


def _replace_entries_of(db: peewee.Database, calls: dict[str, list[tuple]], last: bool = False) -> None:
    """_replace_entries for several calls, in two statements (SQLite)."""
    rows = list(chain.from_iterable(calls.values()))
    delete = f"DELETE FROM call_entry WHERE call_id IN ({', '.join(['?'] * len(calls))})"
    if not rows:
        _execute(db, delete, tuple(calls), last)
        return
    run_in_transaction(db, delete, tuple(calls))
    _execute(db, INSERT_ENTRY + ", ".join([ENTRY_VALUES] * len(rows)), tuple(chain.from_iterable(rows)), last)


# A call's legs, and those of the consultation calls its B legs made. Two index lookups joined by
# UNION ALL (no row can be in both: the second half's legs name a B leg as their call): written
# as `call_id = ? OR call_id IN (…)`, PostgreSQL scans the whole table (21 ms per leg at 100,000
# legs, against 0.08 ms; SQLite plans both forms on the index).
LEGS_OF_CALL = ("SELECT facts FROM cdr_leg WHERE call_id = ? UNION ALL SELECT facts FROM cdr_leg WHERE call_id IN"
                " (SELECT uuid FROM cdr_leg WHERE call_id = ? AND uuid <> call_id)")
# The same for the call a leg's call_id belongs to, found in the same statement (one round trip): a
# leg originated by a B leg (att_xfer's consultation call names the callee's leg, recorded in
# json_cdr_centralita i2) belongs to that B leg's call. Rows are (the call's id, facts). The root is
# compared as a scalar subquery, not joined: SQLite (3.38+) joined to the one-row CTE built a Bloom
# filter over the whole of cdr_leg for every leg (12–100 ms a leg at 100,000 legs: B5 ingested
# 17 legs/s); so each branch is LEGS_OF_CALL's plain index lookups (0.03 ms), on PostgreSQL too.
_ROOT = "(SELECT id FROM root)"
LEGS_OF_ROOT_CALL = (
    "WITH root(id) AS (SELECT COALESCE((SELECT call_id FROM cdr_leg WHERE uuid = ?), ?))"
    f" SELECT {_ROOT}, facts FROM cdr_leg WHERE call_id = {_ROOT}"
    f" UNION ALL SELECT {_ROOT}, facts FROM cdr_leg WHERE call_id IN"
    f" (SELECT uuid FROM cdr_leg WHERE call_id = {_ROOT} AND uuid <> call_id)")


def reclassify(db: peewee.Database, tenant: str | None = None, batch: int = 500) -> int:
    """Rebuild the entries of every stored call (or of the calls with a leg of `tenant`); returns
    how many calls were looked at. For after a rule change, or after creating a tenant whose
    calls were posted before it existed. Walks the calls in batches, one transaction each."""
    where = "call_id > ?" + (" AND tenant_domain = ?" if tenant else "")
    sql = sql_for(db, f"SELECT DISTINCT call_id FROM cdr_leg WHERE {where} ORDER BY call_id LIMIT {int(batch)}")
    last, count = "", 0
    while True:
        ids = [row[0] for row in db.execute_sql(sql, (last, tenant) if tenant else (last,)).fetchall()]
        for call_id in ids:
            with db.atomic():
                _lock_call(db, call_id)
                refresh_call(db, call_id)
        count += len(ids)
        if len(ids) < batch:
            return count
        last = ids[-1]


def _lock_call(db: peewee.Database, call_id: str) -> None:
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql(_LOCK_CALL, (call_id,))


# The call's lock, and this transaction's prepared statements run on their generic plan, planned
# once per connection. Left to choose (plan_cache_mode auto), PostgreSQL planned the entries'
# statement (entries.looked_up) afresh at every execution: its custom plans, knowing the arrays'
# lengths, looked cheaper than the generic one, which estimates ten entries (backend CPU of that
# statement for one call of two entries, 20,000 calls: ~600 us planned each time, ~330 us generic).
# Planned without sequential scans: that plan is kept for the connection's life (until the table is
# analysed), and on a new database (a new install; B8's fresh one) it is made while cdr_leg and
# call_entry are nearly empty, where reading the whole table is the cheapest plan. Every statement
# here looks rows up by key, so the scans then read the whole table on every leg as it grows: in
# B8's setup, PostgreSQL's backends spent 934 us of CPU a CDR at 300 CDR/s (benches/b8_backend.py),
# the entries' DELETE a sequential scan of call_entry (perf: ExecEvalScalarArrayOp, heapgetpage).
_NO_SCANS = "set_config('enable_seqscan', 'off', true)"
_LOCK_CALL = ("SELECT pg_advisory_xact_lock(hashtext(%s)), set_config('plan_cache_mode', 'force_generic_plan', true),"
              f" {_NO_SCANS}")
# The same settings, alone: a batch's locks are taken by its insert (_insert_locked_legs).
_GENERIC_PLANS = f"SELECT set_config('plan_cache_mode', 'force_generic_plan', true), {_NO_SCANS}"
# file_leg on PostgreSQL, sent after _LOCK_CALL in one round trip (its own statement, so that its
# snapshot is taken once the lock is held and shows every leg committed before): the insert and
# LEGS_OF_ROOT_CALL's rows. Rows: (new, the call's id, facts): (true, id, NULL) when the leg was
# inserted, then (false, id, facts) for each other leg of the call.
_FILE_LEG_POSTGRESQL = (
    f"WITH ins AS (INSERT INTO cdr_leg ({LEG_COLUMNS}) VALUES (%s, %s, %s, CURRENT_TIMESTAMP, %s)"
    " ON CONFLICT (uuid) DO NOTHING RETURNING uuid, call_id),"
    " root(id) AS (SELECT COALESCE((SELECT call_id FROM cdr_leg WHERE uuid = %s), %s))"
    f" SELECT true, {_ROOT}, NULL FROM ins"
    f" UNION ALL SELECT false, {_ROOT}, facts FROM cdr_leg WHERE call_id = {_ROOT}"
    f" UNION ALL SELECT false, {_ROOT}, facts FROM cdr_leg WHERE call_id IN"
    f" (SELECT uuid FROM cdr_leg WHERE call_id = {_ROOT} AND uuid <> call_id"
    f" UNION ALL SELECT uuid FROM ins WHERE call_id = {_ROOT} AND uuid <> call_id)")
INSERT_ENTRY = (
    "INSERT INTO call_entry (tenant_id, user_id, call_id, kind, status, direction, started_at,"
    " caller_name, caller_number, callee, answered_by, ring_seconds, talk_seconds, cause) VALUES "
)
ENTRY_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
