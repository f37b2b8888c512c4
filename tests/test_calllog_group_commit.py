"""Group commit (fs_plugins/calllog/group_commit.py): under serve's pooled database, legs posted at
the same moment share one transaction, and each post is still answered only after its commit."""
from __future__ import annotations

import contextlib

import gevent
import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.calllog import group_commit, store
from fs_plugins.calllog.receiver import make_cdr_app
from fs_plugins.dbpool import DatabaseUnavailable, release
from fs_plugins.models import Tenant, User
from fs_plugins.models.calllog import CallEntry, CdrLeg

from test_calllog_classify import MANIFEST, recorded_bodies, variant
from test_calllog_ingest import CONFIG, acme, post, uuid_of  # noqa: F401 (acme: a fixture)


@pytest.fixture
def pooled(db_url):
    database = dbmod.connect(db_url, pool=dbmod.PoolSettings(size=4))
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
    release(database)
    yield database
    release(database)
    database.close_all()


@pytest.fixture
def commits(pooled, monkeypatch):
    seen = []
    real = pooled.commit

    def counted():
        seen.append(1)
        return real()

    monkeypatch.setattr(pooled, "commit", counted)
    return seen


def calls(count: int) -> list[bytes]:
    """The legs of `count` answered incoming calls (B legs first, as FreeSWITCH posts them)."""
    return [body for n in range(count)
            for body in variant(recorded_bodies("incoming_answered.json"), {}, seed=500 + 10 * n)]


def post_together(app, bodies: list[bytes]) -> list[int]:
    """Each body from its own greenlet, all at once (as mod_json_cdr's threads post)."""
    posts = [gevent.spawn(post, app, body, uuid_of(body)) for body in bodies]
    gevent.joinall(posts, raise_error=True)
    return [g.value for g in posts]


def test_legs_posted_together_are_filed_in_fewer_transactions_with_every_entry(pooled, commits):
    bodies = calls(4)
    assert post_together(make_cdr_app(CONFIG, pooled), bodies) == [200] * len(bodies)
    assert CdrLeg.select().count() == len(bodies)
    assert sorted((e.user.extension, e.kind) for e in CallEntry.select()) == [("1002", "received")] * 4
    assert 1 <= len(commits) < len(bodies)


def test_the_legs_of_one_call_are_filed_by_one_filer_and_never_wait_on_each_other(pooled, monkeypatch):
    """A call's legs arrive together; in two filers the second waited on the call's lock for the
    first's whole transaction. Each leg here comes while its call's first leg is being filed."""
    filed_by: dict[str, set] = {}
    real = group_commit.GroupCommit._file

    def slow_filing(self, batch):
        for facts, _ in batch:
            filed_by.setdefault(facts.call_id, set()).add(gevent.getcurrent())
        gevent.sleep(0.02)  # before its transaction: tests run unpatched, greenlets share peewee's state
        return real(self, batch)

    monkeypatch.setattr(group_commit.GroupCommit, "_file", slow_filing)
    app = make_cdr_app(CONFIG, pooled)
    posts = []
    for n in range(6):
        for body in variant(recorded_bodies("incoming_answered.json"), {}, seed=700 + 10 * n):
            posts.append(gevent.spawn(post, app, body, uuid_of(body)))
            gevent.sleep(0.005)  # the first leg is being filed when the second comes
    gevent.joinall(posts, raise_error=True)
    assert [g.value for g in posts] == [200] * len(posts)
    assert len(filed_by) == 6
    assert all(len(filers) == 1 for filers in filed_by.values()), filed_by
    assert CdrLeg.select().count() == len(posts)


def test_after_a_batch_whose_connection_was_lost_the_next_post_is_stored(pooled, monkeypatch):
    """A reset or a stall cut short leaves the filer's connection closed: the next batch must not
    use it again (it answered 503 to every post of that filer's calls while they kept coming)."""
    real, lost = group_commit.store_leg, []

    def losing_the_connection_once(db, facts):
        if not lost:
            lost.append(facts.uuid)
            db.connection().close()
            raise DatabaseUnavailable("connection already closed")
        return real(db, facts)

    monkeypatch.setattr(group_commit, "store_leg", losing_the_connection_once)
    app = make_cdr_app(CONFIG, pooled)
    body = calls(1)[0]
    assert post(app, body, uuid_of(body)) == 503
    assert post(app, body, uuid_of(body)) == 200  # FreeSWITCH's retry
    assert CdrLeg.select().count() == 1


def test_a_re_post_in_the_same_batch_is_stored_once(pooled):
    body = calls(1)[0]
    assert post_together(make_cdr_app(CONFIG, pooled), [body, body]) == [200, 200]
    assert CdrLeg.select().count() == 1


def test_one_failing_leg_costs_only_its_own_post(pooled, monkeypatch):
    bodies = calls(3)
    bad = uuid_of(bodies[2])
    real = store.classify

    def failing_for_one(legs):
        if any(leg.uuid == bad for leg in legs):
            raise RuntimeError("crash while classifying")
        return real(legs)

    monkeypatch.setattr(store, "classify", failing_for_one)
    statuses = post_together(make_cdr_app(CONFIG, pooled), bodies)
    assert statuses == [500 if uuid_of(body) == bad else 200 for body in bodies]
    assert {leg.uuid for leg in CdrLeg.select()} == {uuid_of(body) for body in bodies} - {bad}


def test_nothing_is_acknowledged_when_the_batch_does_not_commit(pooled, monkeypatch):
    def failing_commit():
        raise peewee.OperationalError("disk I/O error")

    bodies = calls(2)
    with refused_commits(pooled, monkeypatch):
        assert post_together(make_cdr_app(CONFIG, pooled), bodies) == [503] * len(bodies)
    release(pooled)
    assert CdrLeg.select().count() == 0


@contextlib.contextmanager
def refused_commits(db, monkeypatch):
    """Every commit of `db` fails with an I/O error while inside; on PostgreSQL by a trigger and its
    function, both dropped on the way out however the block ends (a failed assertion included), so
    no later statement of the test or its teardown meets them."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        def failing_commit():
            raise peewee.OperationalError("disk I/O error")

        with monkeypatch.context() as patched:
            patched.setattr(db, "commit", failing_commit)
            yield
        return
    # The COMMIT travels with the batch's last statement (dbpool.few_trips): the server refuses it.
    db.execute_sql(REFUSE_COMMITS)
    release(db)
    try:
        yield
    finally:
        release(db)
        db.execute_sql("DROP TRIGGER IF EXISTS refuse_commit ON cdr_leg")
        db.execute_sql("DROP FUNCTION IF EXISTS refuse_commit()")
        release(db)


# A check deferred to COMMIT that always fails, with an I/O error's SQLSTATE (an OperationalError).
REFUSE_COMMITS = """
CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'disk I/O error' USING ERRCODE = '58030'; END $$;
CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON cdr_leg DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION refuse_commit()
"""


def test_refused_commits_leave_neither_trigger_nor_function_behind_even_when_the_block_fails(pooled, monkeypatch):
    with pytest.raises(AssertionError):
        with refused_commits(pooled, monkeypatch):
            raise AssertionError("a check inside failed")
    if isinstance(pooled, peewee.PostgresqlDatabase):
        left = pooled.execute_sql("SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'refuse_commit'),"
                                  " (SELECT count(*) FROM pg_proc WHERE proname = 'refuse_commit')").fetchone()
        assert left == (0, 0)
    release(pooled)
    bodies = calls(1)
    assert post_together(make_cdr_app(CONFIG, pooled), bodies) == [200] * len(bodies)


def test_an_unavailable_database_answers_every_post_of_the_batch_503(pooled, monkeypatch):
    def unavailable(db, facts):
        raise DatabaseUnavailable("no answer within 5.0 s")

    monkeypatch.setattr(group_commit, "file_legs", unavailable)
    monkeypatch.setattr(group_commit, "store_leg", unavailable)
    bodies = calls(2)
    assert post_together(make_cdr_app(CONFIG, pooled), bodies) == [503] * len(bodies)


@pytest.mark.parametrize("query", ["LEGS_OF_CALL", "LEGS_OF_ROOT_CALL"])
def test_a_call_s_legs_are_found_through_the_call_id_index_on_every_engine(db, query):
    """Filing a leg reads its call's legs; a plan that scans cdr_leg makes ingest slow down as the
    call log grows (PostgreSQL did, for the `call_id = ? OR call_id IN (…)` form)."""
    sql = store.sql_for(db, getattr(store, query))
    if isinstance(db, peewee.PostgresqlDatabase):
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")  # a tiny table: would be scanned anyway
            plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", ("x", "x")).fetchall())
        assert "Seq Scan" not in plan, plan
    else:
        plan = "\n".join(str(row[-1]) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", ("x", "x")).fetchall())
        assert "SCAN cdr_leg" not in plan.replace("SEARCH cdr_leg", ""), plan


def logged() -> list[tuple]:
    """Every call_entry row but its id, sorted."""
    columns = [c for c in CallEntry._meta.sorted_field_names if c != "id"]
    return sorted(tuple(getattr(e, c + "_id" if c in ("tenant", "user") else c) for c in columns)
                  for e in CallEntry.select())


def test_a_batch_leaves_the_entries_filing_its_legs_one_by_one_leaves(db, acme, monkeypatch):
    """Every recorded call (transfers' consultation legs, legs of unknown users, re-posts) filed
    in one batch, then again leg by leg: the same call log; on PostgreSQL in three statements, on
    SQLite in five (leg by leg it was about five a leg)."""
    from fs_plugins.calllog.parse import parse_body

    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    legs.append(legs[0])  # the same leg twice in one batch: stored once, new once
    statements = []
    execute = type(db).execute_sql
    monkeypatch.setattr(type(db), "execute_sql", lambda self, sql, params=None, *a, **k:
                        statements.append(sql) or execute(self, sql, params, *a, **k))
    with db.atomic():
        new = store.file_legs(db, sorted(legs, key=lambda leg: leg.call_id))
    monkeypatch.undo()
    assert sum(new) == len(legs) - 1
    assert len(statements) <= (3 if isinstance(db, peewee.PostgresqlDatabase) else 5), statements
    batched = logged()
    assert len(batched) >= len(MANIFEST)
    CallEntry.delete().execute()
    CdrLeg.delete().execute()
    assert [store.store_leg(db, leg) for leg in legs] == [True] * (len(legs) - 1) + [False]
    assert logged() == batched


def test_the_filer_keeps_its_connection_between_batches_and_hands_it_back_when_idle(pooled, monkeypatch):
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.3)
    checkouts = []
    real = pooled.connect
    monkeypatch.setattr(pooled, "connect", lambda *a, **k: checkouts.append(1) or real(*a, **k))
    app = make_cdr_app(CONFIG, pooled)
    legs = len(calls(1))
    first, second, third = (calls(3)[n * legs:(n + 1) * legs] for n in range(3))
    assert post_together(app, first) == [200] * legs
    assert post_together(app, second) == [200] * legs  # well within IDLE_SECONDS: the same connection
    assert len(checkouts) == 1
    assert len(pooled._in_use) == 1
    gevent.sleep(0.6)
    assert len(pooled._in_use) == 0  # idle: back in the pool
    assert post_together(app, third) == [200] * legs
    assert len(checkouts) == 2
    assert CdrLeg.select().count() == 3 * legs


def test_batches_of_every_size_leave_only_fixed_shape_statements_prepared(pooled):
    """Only statements whose shape is bounded by the batch size stay prepared, however many batches
    come; the entries' replacement, whatever the (calls, entries) of a batch, is one of them: one
    text (arrays of its columns), planned once, where a text per shape was planned every batch."""
    if not isinstance(pooled, peewee.PostgresqlDatabase):
        pytest.skip("statements are prepared on PostgreSQL only")
    from fs_plugins.calllog.parse import parse_body
    from fs_plugins.dbpool import few_trips

    def file_batches(seed: int) -> dict[str, str]:
        for size in range(1, 7):
            legs = [parse_body(body) for n in range(size)
                    for body in variant(recorded_bodies("incoming_answered.json"), {}, seed=seed + 10 * n)]
            with few_trips(pooled):
                assert all(store.file_legs(pooled, sorted(legs, key=lambda leg: leg.call_id), last=True))
            seed += 1000
        return dict(pooled.execute_sql("SELECT name, statement FROM pg_prepared_statements").fetchall())

    first = file_batches(seed=10_000)
    assert len([text for text in first.values() if "call_entry" in text]) == 1, first
    assert file_batches(seed=90_000) == first  # new calls of the same sizes: nothing more prepared
    assert CallEntry.select().count() > 0


def test_a_batch_the_server_cancelled_keeps_its_connection(pooled, monkeypatch):
    """statement_timeout cancels a statement and leaves the connection healthy: the filer's next
    batch runs on it (a new one for every failed batch added a backend start under overload)."""
    if not isinstance(pooled, peewee.PostgresqlDatabase):
        pytest.skip("statement_timeout is PostgreSQL's")
    real, backends = group_commit.store_leg, []

    def slow_once(db, facts):
        backends.append(db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
        if len(backends) == 1:
            db.execute_sql("SELECT pg_sleep(%s)", (3 * db.statement_timeout_ms / 1000,))
        return real(db, facts)

    monkeypatch.setattr(group_commit, "store_leg", slow_once)
    app = make_cdr_app(CONFIG, pooled)
    body = calls(1)[0]
    assert post(app, body, uuid_of(body)) == 503
    assert post(app, body, uuid_of(body)) == 200  # FreeSWITCH's retry
    assert backends[0] == backends[1]
    assert CdrLeg.select().count() == 1
