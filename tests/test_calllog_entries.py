"""calllog/entries.py: which of a call's entries become call_entry rows, and for whom. The rule runs
in Python on SQLite (`matched`) and inside the inserting statement on PostgreSQL (`looked_up`):
both must keep the same entries, in the same order, for the same people."""
from __future__ import annotations

import random

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.calllog import store
from fs_plugins.calllog.classify import Call, Entry, Status
from fs_plugins.calllog.entries import Unmatched, entry_rows, looked_up, looked_up_params, matched
from fs_plugins.dbpool import release
from fs_plugins.prepared import on_server
from fs_plugins.models import Tenant, User
from fs_plugins.models.calllog import CallEntry

ACME, OTHER = "acme.example", "other.example"

# (call tenant, its entries as (user "ext@domain" or None for the tenant's own, kind)), and the
# entries kept as (domain, extension or None).
CASES = {
    "known users all kept": (ACME, [("1001@acme.example", "made"), ("1002@acme.example", "received")],
                             [(ACME, "1001"), (ACME, "1002")]),
    "an unknown user beside a known one is dropped": (ACME, [("1001@acme.example", "made"),
                                                             ("9999@acme.example", "received")], [(ACME, "1001")]),
    "an unknown user alone becomes the tenant's": (ACME, [("9999@acme.example", "received")], [(ACME, None)]),
    "only the first of several unknown users": (ACME, [("9998@acme.example", "missed"),
                                                       ("9999@acme.example", "received")], [(ACME, None)]),
    "an unknown user's made call is nobody's": (ACME, [("9999@acme.example", "made")], []),
    "a made call of an unknown user keeps the received one out too": (
        ACME, [("9999@acme.example", "made"), ("9998@acme.example", "received")], []),
    "the tenant's own entry is kept": (ACME, [(None, "missed")], [(ACME, None)]),
    "an unknown tenant's entries are nobody's": ("nowhere.example", [("1001@nowhere.example", "received"),
                                                                     (None, "missed")], []),
    "a call naming no tenant is nobody's": ("", [(None, "missed"), ("1001", "received")], []),
    "another tenant's user is kept": (ACME, [("2001@other.example", "made"), ("9999@acme.example", "received")],
                                      [(OTHER, "2001")]),
    "the first entry of a known tenant becomes the tenant's": (
        ACME, [("1001@nowhere.example", "received"), ("9999@other.example", "missed"),
               ("9998@acme.example", "received")], [(OTHER, None)]),
    "an extension without a domain is the call's tenant's": (ACME, [("1002", "received")], [(ACME, "1002")]),
}


@pytest.fixture
def people(db):
    _create_people()


@pytest.fixture
def pg_people(pg_db):
    _create_people()


def _create_people():
    acme = Tenant.create(name="Acme", domain=ACME, timezone="Europe/Madrid")
    other = Tenant.create(name="Other", domain=OTHER, timezone="Europe/Madrid")
    for tenant, extension in ((acme, "1001"), (acme, "1002"), (other, "2001")):
        User.create(tenant=tenant, extension=extension, display_name=extension, a1_hash="0" * 32)
    Tenant.create(name="Blank", domain="", timezone="Europe/Madrid")  # never matched: an empty domain is no one's


def unmatched(call_id: str, tenant: str, entries: list) -> list[Unmatched]:
    rows = []
    for n, (user, kind) in enumerate(entries):
        extension, _, domain = (user or "").partition("@")
        rows.append(Unmatched(domain or tenant, extension or None, user is None, kind == "made", call_id, kind,
                              "answered", "internal", 1_700_000_000 + n, "Caller", "1001", "1002", "", n, 0, ""))
    return rows


def filed(db, calls: dict[str, list[Unmatched]]) -> list[tuple]:
    """(call id, domain, extension or None, kind) of the entries filed, in the order inserted."""
    with db.atomic():
        if isinstance(db, peewee.PostgresqlDatabase):
            store._replace_entries_looked_up(db, calls)
        else:
            for call_id, rows in calls.items():
                store._replace_entries(db, call_id, matched(db, rows))
    return [(e.call_id, e.tenant.domain, e.user.extension if e.user else None, e.kind)
            for e in CallEntry.select().order_by(CallEntry.id)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_entries_kept_and_their_people(db, people, case):
    tenant, entries, expected = CASES[case]
    rows = unmatched("call-1", tenant, entries)
    kinds = {(row.domain, row.extension): row.kind for row in rows}
    kept = [("call-1", domain, extension, kinds.get((domain, extension)) or next(
        row.kind for row in rows if row.domain == domain)) for domain, extension in expected]
    assert filed(db, {"call-1": rows}) == kept


@pytest.mark.postgres
def test_every_case_in_one_statement_keeps_each_calls_own(pg_db, pg_people):
    """On PostgreSQL a batch's calls are judged together: each call's rule sees only its entries.
    (PostgreSQL only: on SQLite `filed` runs the calls one by one either way.)"""
    calls = {f"call-{n:02d}": unmatched(f"call-{n:02d}", *CASES[case][:2]) for n, case in enumerate(sorted(CASES))}
    together = filed(pg_db, calls)
    one_by_one = []
    for call_id, rows in calls.items():
        CallEntry.delete().execute()
        one_by_one += filed(pg_db, {call_id: rows})
    assert together == one_by_one
    assert len({call_id for call_id, *_ in together}) == sum(1 for case in CASES.values() if case[2])


_FILED = ("SELECT tenant_id, user_id, call_id, kind, status, direction, started_at, caller_name, caller_number,"
          " callee, answered_by, ring_seconds, talk_seconds, cause FROM call_entry ORDER BY id")


@pytest.mark.postgres
def test_the_python_and_sql_rules_file_the_same_rows_for_random_calls(pg_db, pg_people):
    """`matched` (Python) and `looked_up` (SQL) are two writings of one rule: on seeded random
    batches (known, unknown and other tenants' users, empty and missing domains, own and made
    entries) both file the same rows in the same order, beyond the cases CASES names."""
    rnd = random.Random(20261204)
    domains = [ACME, OTHER, "nowhere.example", "", None]
    extensions = ["1001", "1002", "2001", "9999", None]
    for batch in range(400):
        calls = random_batch(rnd, batch, domains, extensions, most_calls=3, entries=(1, 4))
        by_python = [row for rows in calls.values() for row in matched(pg_db, rows)]
        with pg_db.atomic():
            CallEntry.delete().execute()
            store._replace_entries_looked_up(pg_db, calls)
        assert pg_db.execute_sql(_FILED).fetchall() == by_python, calls


@pytest.mark.postgres
def test_the_sql_rule_types_its_values_so_it_stays_right_prepared(pg_url):
    """`looked_up` runs prepared on serve's connection: its parameters take the types its text gives
    them (untyped, they would be text), and it files what `matched` files."""
    database = dbmod.connect(pg_url, pool=dbmod.PoolSettings(size=1))
    try:
        _create_people()
        rows = unmatched("call-1", ACME, [("9999@acme.example", "received"), ("9998@acme.example", "missed")])
        rows += unmatched("call-2", ACME, [("1001@acme.example", "made"), (None, "missed")])
        with database.atomic():
            database.execute_sql(on_server(database, looked_up()), looked_up_params(["call-1", "call-2"], rows))
        assert any("INSERT INTO call_entry" in text for text, in database.execute_sql(
            "SELECT statement FROM pg_prepared_statements").fetchall())
        assert database.execute_sql(_FILED).fetchall() == matched(database, rows[:2]) + matched(database, rows[2:])
    finally:
        release(database)
        database.close_all()


@pytest.mark.postgres
def test_the_sql_rule_keeps_any_text_as_it_came(pg_db, pg_people):
    """`looked_up`'s columns travel as one array literal each, not as psycopg2's ARRAY[…] of one
    constant per element, which the server parsed and evaluated on every execution: quotes,
    backslashes, braces, commas, spaces and the word NULL in a value are stored as they came, an
    empty text stays empty, not NULL."""
    odd = 'O"Brien \\ {x}, NULL \' ñ'
    rows = [row._replace(caller_name=odd, caller_number="NULL", callee="", answered_by="a,b}")
            for row in unmatched("call-1", ACME, [("1001@acme.example", "made"), ("1002@acme.example", "received")])]
    sent = pg_db.connection().cursor().mogrify(looked_up().replace("?", "%s"),
                                               looked_up_params(["call-1"], rows)).decode()
    assert "ARRAY[" not in sent and sent.count("{") > len(Unmatched._fields), sent
    with pg_db.atomic():
        store._replace_entries_looked_up(pg_db, {"call-1": rows})
    assert pg_db.execute_sql(_FILED).fetchall() == matched(pg_db, rows)
    assert {(e.caller_name, e.caller_number, e.callee, e.answered_by) for e in CallEntry.select()} == {
        (odd, "NULL", "", "a,b}")}


def flow_call(call_id: str, group, entries: list) -> Call:
    return Call(call_id=call_id, tenant=ACME, direction="internal", status=Status.RECEIVED, start_us=1_700_000_000_000_000,
                caller_name="Caller", caller_number="1001", callee="600", answered_by="",
                entries=tuple(Entry(user, kind, Status.RECEIVED, 1, 2) for user, kind in entries),
                flow=("group", str(group.id)))


def test_the_callee_names_the_group_of_the_first_kept_entrys_tenant_in_two_queries(db, people, monkeypatch):
    """A call of one tenant's users names its group with that tenant's row and the group's (two
    queries); the users' lookup (a third, then the tenant by id) only for a call spanning tenants."""
    from fs_plugins.models.groups import CallGroup

    ventas = CallGroup.create(tenant=Tenant.get(domain=ACME), name="Ventas")
    otros = CallGroup.create(tenant=Tenant.get(domain=OTHER), name="Otros")
    statements = []
    execute = type(db).execute_sql
    monkeypatch.setattr(type(db), "execute_sql", lambda self, sql, params=None, *a, **k:
                        statements.append(sql) or execute(self, sql, params, *a, **k))
    one_tenant = entry_rows(db, flow_call("call-1", ventas, [("1002@acme.example", "received")]))
    assert len(statements) == 2, statements
    spanning = entry_rows(db, flow_call("call-2", otros, [("2001@other.example", "made"),
                                                          ("1001@acme.example", "received")]))
    assert len(statements) == 5, statements
    monkeypatch.undo()
    assert {row.callee for row in one_tenant} == {"600 (Ventas)"}
    assert {row.callee for row in spanning} == {"600 (Otros)"}
    assert [callee for *_, callee in filed_callees(db, {"call-1": one_tenant, "call-2": spanning})] == [
        "600 (Ventas)", "600 (Otros)", "600 (Otros)"]


def filed_callees(db, calls) -> list[tuple]:
    filed(db, calls)
    return [(e.call_id, e.callee) for e in CallEntry.select().order_by(CallEntry.id)]


def random_batch(rnd: random.Random, batch: int, domains: list, extensions: list, most_calls: int = 16,
                 entries: tuple[int, int] = (0, 5)) -> dict[str, list]:
    """1 to `most_calls` calls of `entries` (fewest, most) unmatched entries each, of the given domains
    and extensions: known, unknown and other tenants' users, own and made entries."""
    calls = {}
    for c in range(rnd.randint(1, most_calls)):
        call_id = f"call-{batch}-{c}"
        calls[call_id] = []
        for n in range(rnd.randint(*entries)):
            extension = rnd.choice(extensions)
            made = rnd.random() < 0.3
            calls[call_id].append(Unmatched(
                rnd.choice(domains), extension, extension is None and rnd.random() < 0.7, made, call_id,
                "made" if made else rnd.choice(["received", "missed"]), "answered", "internal",
                1_700_000_000 + n, "Caller", "1001", "1002", "", n, rnd.randint(0, 9), ""))
    return calls


@pytest.mark.postgres
def test_python_and_sql_rules_agree_on_random_batches(pg_db, pg_people):
    """As above, with batches of up to 16 calls and the SQLite batch path's single lookup."""
    from fs_plugins.calllog.entries import lookup
    rnd = random.Random(4242)
    domains = [ACME, OTHER, "nowhere.example", "", "ACME.example"]
    extensions = ["1001", "1002", "2001", "9999", None, ""]
    for batch in range(300):
        calls = random_batch(rnd, batch, domains, extensions)
        found = lookup(pg_db, [row for rows in calls.values() for row in rows])
        by_python = [row for rows in calls.values() for row in matched(pg_db, rows, found)]
        with pg_db.atomic():
            CallEntry.delete().execute()
            store._replace_entries_looked_up(pg_db, calls)
        assert pg_db.execute_sql(_FILED).fetchall() == by_python, calls


@pytest.mark.postgres
def test_python_and_sql_rules_agree_prepared_with_generic_plans(pg_url):
    """The same on serve's pooled connection: prepared, generic plans forced as file_legs does."""
    from fs_plugins.calllog.entries import lookup
    from fs_plugins.dbpool import few_trips
    database = dbmod.connect(pg_url, pool=dbmod.PoolSettings(size=1))
    try:
        _create_people()
        rnd = random.Random(99)
        domains = [ACME, OTHER, "nowhere.example", ""]
        extensions = ["1001", "1002", "2001", "9999", None]
        for batch in range(300):
            calls = random_batch(rnd, batch, domains, extensions)
            found = lookup(database, [row for rows in calls.values() for row in rows])
            by_python = [row for rows in calls.values() for row in matched(database, rows, found)]
            database.execute_sql("DELETE FROM call_entry")
            with few_trips(database):
                database.execute_sql(on_server(database, store._GENERIC_PLANS))
                store._replace_entries_looked_up(database, calls, last=True)
            assert database.execute_sql(_FILED).fetchall() == by_python, calls
        plans = database.execute_sql("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                                     " WHERE position('call_entry' in statement) > 0").fetchall()
        assert plans and plans[0][1] > 100, plans
    finally:
        release(database)
        database.close_all()


def test_the_sql_rule_looks_each_entrys_tenant_and_user_up_by_index(pg_db):
    """On many tenants and users (B5's set: 1,000 and 100,000) the entries' statement, on the generic
    plan serve runs it with, probes the tenant's and the user's unique indexes for each entry; joined,
    its plan read the whole tenant table and every user of each entry's tenant."""
    tenants = 1000  # as many as B5's set: fewer fit so few pages that reading them all is as cheap
    Tenant.insert_many([{"name": f"T{n}", "domain": f"t{n}.example", "timezone": "Europe/Madrid"}
                        for n in range(tenants)]).execute()
    ids = [row[0] for row in pg_db.execute_sql("SELECT id FROM tenant ORDER BY id").fetchall()]
    User.insert_many([{"tenant": tenant_id, "extension": str(1000 + n), "display_name": "x", "a1_hash": "0" * 32}
                      for tenant_id in ids for n in range(10)]).execute()
    pg_db.execute_sql('ANALYZE tenant; ANALYZE "user"')
    sql = looked_up().replace("?", "%s")
    count = sql.count("%s")
    with pg_db.atomic():
        pg_db.execute_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        pg_db.execute_sql("PREPARE entries_plan AS " + sql % tuple(f"${n + 1}" for n in range(count)))
        try:
            plan = "\n".join(row[0] for row in pg_db.execute_sql(
                f"EXPLAIN EXECUTE entries_plan({', '.join(['NULL'] * count)})").fetchall())
        finally:
            pg_db.execute_sql("DEALLOCATE entries_plan")
    assert "Seq Scan on tenant" not in plan and 'Seq Scan on "user"' not in plan, plan
    assert "Index Scan using tenant_domain on tenant" in plan, plan
    assert 'Index Scan using user_tenant_id_extension on "user"' in plan, plan


def test_every_kind_of_value_is_written_into_an_array_literal_as_before():
    """entries._array tests a value's exact class first (str, int): a bool is still t/f, never 1/0,
    and subclasses (an IntEnum, a str subclass) are written as their values, as isinstance had them."""
    import enum

    from fs_plugins.calllog.entries import _array

    class Level(enum.IntEnum):
        HIGH = 3

    class Text(str):
        pass

    assert _array([True, False, None, 0, -7, Level.HIGH, "", 'O"Brien \\ {x}', Text("t,u")]) == \
        '{t,f,NULL,0,-7,3,"","O\\"Brien \\\\ {x}","t,u"}'
    assert _array(()) == "{}"
