"""dbpool.few_trips: on serve's PostgreSQL a transaction's BEGIN travels with its first statement and
its COMMIT with the statement given to last_statement, and it is still one transaction: all of it
or nothing. CDR filing uses it (calllog/store.py): a leg is 3 round trips instead of 6, with the
same call log."""
from __future__ import annotations

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.calllog import store
from fs_plugins.calllog.entries import looked_up
from fs_plugins.calllog.parse import parse_body
from fs_plugins.dbpool import few_trips, last_statement, release
from fs_plugins.models import Tenant, User
from fs_plugins.models.calllog import CallEntry, CdrLeg
from fs_plugins.prepared import on_server

from test_calllog_classify import MANIFEST, recorded_bodies
from test_calllog_group_commit import logged

pytestmark = pytest.mark.postgres


@pytest.fixture
def pooled(pg_url):
    database = dbmod.connect(pg_url, pool=dbmod.PoolSettings(size=4))
    database.execute_sql("CREATE TABLE probe (n integer NOT NULL)")
    release(database)
    yield database
    release(database)
    database.close_all()


@pytest.fixture
def sent(pooled, monkeypatch):
    """Every statement text sent to the server, BEGIN and COMMIT included (each is a round trip)."""
    texts = []
    execute = peewee.Database.execute_sql
    begin, commit = peewee.PostgresqlDatabase.begin, peewee.Database.commit

    def noted(text, self, run, *args):
        if self is pooled:
            texts.append(text)
        return run(self, *args)

    monkeypatch.setattr(peewee.Database, "execute_sql", lambda self, sql, params=None:
                        noted(sql, self, execute, sql, params))
    monkeypatch.setattr(peewee.PostgresqlDatabase, "begin", lambda self, *a: noted("BEGIN", self, begin, *a))
    monkeypatch.setattr(peewee.Database, "commit", lambda self: noted("COMMIT", self, commit))
    return texts


def probe(direct_url: str) -> list[int]:
    """What another connection sees: only committed rows."""
    other = dbmod.open_database(direct_url)
    try:
        return [row[0] for row in other.execute_sql("SELECT n FROM probe ORDER BY n").fetchall()]
    finally:
        other.close()


def test_begin_and_commit_ride_on_the_first_and_last_statements(pooled, sent, pg_url):
    with few_trips(pooled):
        pooled.execute_sql("INSERT INTO probe VALUES (1)")
        assert probe(pg_url) == []  # inside a transaction: nobody else sees it yet
        last_statement(pooled, "INSERT INTO probe VALUES (2)")
    assert sent == ["BEGIN; INSERT INTO probe VALUES (1)", "INSERT INTO probe VALUES (2); COMMIT"]
    assert probe(pg_url) == [1, 2]
    assert not pooled.in_transaction()


def test_a_failing_last_statement_leaves_nothing_and_the_next_transaction_is_whole(pooled, pg_url):
    with pytest.raises(peewee.IntegrityError):
        with few_trips(pooled):
            pooled.execute_sql("INSERT INTO probe VALUES (1)")
            last_statement(pooled, "INSERT INTO probe VALUES (NULL)")
    assert probe(pg_url) == []
    with few_trips(pooled):
        pooled.execute_sql("INSERT INTO probe VALUES (3)")
        last_statement(pooled, "INSERT INTO probe VALUES (4)")
    assert probe(pg_url) == [3, 4]


def test_an_error_after_the_first_statement_rolls_it_back(pooled, pg_url):
    with pytest.raises(ZeroDivisionError):
        with few_trips(pooled):
            pooled.execute_sql("INSERT INTO probe VALUES (1)")
            1 / 0
    assert probe(pg_url) == []


def test_a_block_that_runs_nothing_sends_nothing(pooled, sent):
    with few_trips(pooled):
        pass
    with pytest.raises(ZeroDivisionError):
        with few_trips(pooled):
            1 / 0
    assert sent == []


def test_a_statement_after_the_committing_one_is_refused_not_run_outside_the_transaction(pooled, pg_url):
    with pytest.raises(RuntimeError, match="after the one that committed"):
        with few_trips(pooled):
            last_statement(pooled, "INSERT INTO probe VALUES (1)")
            pooled.execute_sql("INSERT INTO probe VALUES (2)")
    assert probe(pg_url) == [1]


def test_inside_a_transaction_already_open_nothing_commits_early(pooled, pg_url):
    with pytest.raises(ZeroDivisionError):
        with pooled.atomic():
            with few_trips(pooled):
                pooled.execute_sql("INSERT INTO probe VALUES (1)")
                last_statement(pooled, "INSERT INTO probe VALUES (2)")
            1 / 0
    assert probe(pg_url) == []


def test_a_leg_is_filed_in_three_round_trips_with_the_call_log_of_a_plain_connection(pooled, sent, pg_url):
    """Every recorded call, leg by leg and in one batch, through serve's pooled PostgreSQL: the
    entries a plain connection files (tests/test_calllog_group_commit.py compares those with SQLite's
    rules), and each new leg costs at most 3 statements, BEGIN and COMMIT carried."""
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
    release(pooled)
    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    plain = dbmod.connect(pg_url)  # binds the models to it: the reference run
    try:
        for leg in legs:
            assert store.store_leg(plain, leg)
        expected = logged()
        CallEntry.delete().execute()
        CdrLeg.delete().execute()
    finally:
        plain.close()
        dbmod.bind(pooled)

    per_leg = round_trips_of_each_leg_filed_alone(pooled, legs, sent)
    assert logged() == expected
    assert all(trip[0].startswith("BEGIN; ") for trip in per_leg), per_leg
    # The call's lock, the insert and the call's legs together; the users; the entries with COMMIT.
    # A B leg posted before its A leg gives no entries yet: nothing to carry its COMMIT (2 + 1 trips).
    assert all(len(trip) <= 3 and "BEGIN" not in trip for trip in per_leg), per_leg
    with_entries = [trip for trip in per_leg if trip[-1].endswith("; COMMIT")]
    assert len(with_entries) >= len(MANIFEST), per_leg

    CallEntry.delete().execute()
    CdrLeg.delete().execute()
    with few_trips(pooled):
        store.file_legs(pooled, sorted(legs, key=lambda leg: leg.call_id), last=True)
    release(pooled)
    assert logged() == expected


def test_the_entries_users_are_looked_up_by_the_statement_that_inserts_them(pooled, sent):
    """A leg filed alone is two round trips (its lock, insert and call's legs; the entries with
    their users and the COMMIT): the users' lookup was one more (calllog/entries.py). A batch
    too: three round trips (it was four, the lookup its own)."""
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
    release(pooled)
    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    per_leg = round_trips_of_each_leg_filed_alone(pooled, legs, sent)
    assert all(len(trip) <= 2 for trip in per_leg), per_leg
    replacing = on_server(pooled, looked_up()).names[0]  # prepared: its name, not its text
    assert sum(trip[-1].endswith("; COMMIT") and replacing in trip[-1] for trip in per_leg) >= len(MANIFEST)
    filed_one_by_one = logged()

    CallEntry.delete().execute()
    CdrLeg.delete().execute()
    release(pooled)
    del sent[:]
    with few_trips(pooled):
        store.file_legs(pooled, sorted(legs, key=lambda leg: leg.call_id), last=True)
    assert len(sent) == 3, sent
    release(pooled)
    assert logged() == filed_one_by_one


def test_release_given_the_models_proxy_hands_the_connection_back(pooled):
    """fs_plugins/audio/phone.py and api/audio.py release `models.database` (the proxy) while a
    recording call waits for FreeSWITCH; that must return the pooled connection, not do nothing."""
    from fs_plugins.models import database as proxy

    assert proxy.obj is pooled
    pooled.execute_sql("SELECT 1")
    assert not pooled.is_closed()
    release(proxy)
    assert pooled.is_closed()


def round_trips_of_each_leg_filed_alone(pooled, legs, sent) -> list[list[str]]:
    """What each leg sent, in round trips, filed on its own (as a post with nothing queued)."""
    per_leg = []
    for leg in legs:
        del sent[:]
        assert store.store_leg(pooled, leg)
        release(pooled)
        per_leg.append(list(sent))
    return per_leg



def test_cdr_filing_runs_its_prepared_statements_on_their_generic_plans_only_in_its_transaction(pooled):
    """Left to choose, PostgreSQL planned the entries' statement afresh for every leg (its custom
    plans, knowing the arrays' lengths, looked cheaper than the generic one): a filing transaction
    asks for generic plans, planned once per connection, and the setting ends with it."""
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
    release(pooled)
    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    for leg in legs[:len(legs) // 2]:
        assert store.store_leg(pooled, leg)
    with few_trips(pooled):
        store.file_legs(pooled, sorted(legs[len(legs) // 2:], key=lambda leg: leg.call_id), last=True)
    replacing = on_server(pooled, looked_up()).names[0]
    plans = dict((name, (generic, custom)) for name, generic, custom in pooled.execute_sql(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements").fetchall())
    assert plans[replacing][0] > 5 and plans[replacing][1] == 0, plans[replacing]  # auto: five custom first
    asking = on_server(pooled, store._LOCK_CALL).names[0]  # planned before it asks: a SELECT of two functions
    assert not [name for name, (_, custom) in plans.items() if custom and name != asking], plans
    assert pooled.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "auto"
    release(pooled)


def test_cdr_filing_on_a_new_database_reads_neither_table_whole(pooled):
    """A connection keeps its generic plans, and on a new database (a new install; B8's fresh one)
    they are made while cdr_leg and call_entry are nearly empty, where reading a whole table is the
    cheapest plan: every later leg then read both tables whole as they grew (B8's setup: ~1 ms of
    PostgreSQL's CPU a CDR). A leg filed alone and a batch, planned on the empty tables, scan neither."""
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
    release(pooled)
    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    half = len(legs) // 2

    def scans_of(filing) -> dict[str, int]:
        """Sequential scans of the two tables by `filing`, counted inside its own transaction (the
        backend's counts not yet reported, which nothing reports inside a transaction)."""
        counts = ("SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
                  " AND relname IN ('cdr_leg', 'call_entry')")
        with pooled.atomic():
            before = dict(pooled.execute_sql(counts).fetchall())
            filing()
            after = dict(pooled.execute_sql(counts).fetchall())
        release(pooled)
        return {table: after[table] - before[table] for table in after}

    assert scans_of(lambda: [store.file_leg(pooled, leg) for leg in legs[:half]]) == {"cdr_leg": 0, "call_entry": 0}
    assert scans_of(lambda: store.file_legs(pooled, legs[half:])) == {"cdr_leg": 0, "call_entry": 0}
    assert CdrLeg.select().count() == len({leg.uuid for leg in legs})
