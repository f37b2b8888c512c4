"""CDR ingest: the receiver app, idempotent storage, and the err-log-dir sweep (SQLite and PostgreSQL)."""
from __future__ import annotations

import base64
import io
import json
import logging
import os
import time
from wsgiref.util import setup_testing_defaults

import pytest

from fs_plugins.calllog import sweep as sweepmod
from fs_plugins.calllog.receiver import make_cdr_app
from fs_plugins.calllog.unassigned import unassigned_calls
from fs_plugins.config import Config
from fs_plugins.models import Tenant, User
from fs_plugins.models.calllog import CallEntry, CdrLeg

from test_calllog_classify import CDR_DIR, MANIFEST, recorded_bodies

CONFIG = Config(cdr_user="fs", cdr_password="s3cret")


def post(app, body: bytes, uuid: str | None = None, auth=("fs", "s3cret"), method="POST", path="/cdr",
         content_type="application/json", length: str | None = None) -> int:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update({
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": f"uuid={uuid}" if uuid else "",
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "wsgi.input": io.BytesIO(body),
    })
    if auth:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    statuses = []
    b"".join(app(environ, lambda status, headers: statuses.append(status)))
    return int(statuses[0][:3])


def uuid_of(body: bytes) -> str:
    return json.loads(body)["variables"]["uuid"]


def post_call(app, name: str) -> list[int]:
    return [post(app, body, uuid_of(body)) for body in recorded_bodies(name)]


@pytest.fixture
def acme(db):
    tenant = Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid")
    users = {ext: User.create(tenant=tenant, extension=ext, display_name=f"User {ext}", a1_hash="0" * 32)
             for ext in ("1001", "1002", "1003", "1004", "1005")}
    return tenant, users


def entries():
    return sorted((e.user.extension if e.user else None, e.kind, e.status) for e in CallEntry.select())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_recorded_call_posted_as_freeswitch_did_is_stored_and_logged(db, acme, name):
    app = make_cdr_app(CONFIG, db)
    assert post_call(app, name) == [200] * len(recorded_bodies(name))
    assert CdrLeg.select().count() == len(recorded_bodies(name))
    assert CallEntry.select().where(CallEntry.user.is_null(False)).count() >= 1


def test_an_internal_style_outgoing_call_shows_for_its_caller(db, acme):
    post_call(make_cdr_app(CONFIG, db), "outgoing_answered.json")
    assert entries() == [("1001", "made", "made")]
    entry = CallEntry.get()
    assert (entry.callee, entry.ring_seconds, entry.talk_seconds, entry.caller_name) == ("14155550123", 1, 3, "Alice Acme")


def test_a_transferred_call_is_one_entry_per_user_not_one_per_leg(db, acme):
    post_call(make_cdr_app(CONFIG, db), "incoming_transferred_after_answer.json")
    assert entries() == [("1002", "received", "received"), ("1005", "received", "transferred")]


def test_legs_posted_twice_are_stored_once_and_logged_once(db, acme):
    app = make_cdr_app(CONFIG, db)
    post_call(app, "incoming_forward_no_answer.json")
    assert post_call(app, "incoming_forward_no_answer.json") == [200, 200, 200]
    assert CdrLeg.select().count() == 3
    assert entries() == [("1003", "missed", "forwarded")]


def test_the_a_leg_arriving_before_its_b_legs_gives_the_same_entries(db, acme):
    app = make_cdr_app(CONFIG, db)
    for body in reversed(recorded_bodies("incoming_transferred_after_answer.json")):
        assert post(app, body, uuid_of(body)) == 200
    assert entries() == [("1002", "received", "received"), ("1005", "received", "transferred")]


def test_the_encode_values_form_is_stored_with_decoded_values(db, acme):
    post_call(make_cdr_app(CONFIG, db), "outgoing_answered_encode_values_true.json")
    assert entries() == [("1001", "made", "made")]


def test_legs_of_an_unknown_tenant_are_kept_but_shown_to_no_one(db, acme):
    app = make_cdr_app(CONFIG, db)
    bodies = [b.replace(b"acme.example", b"nobody.example") for b in recorded_bodies("incoming_answered.json")]
    assert [post(app, b, uuid_of(b)) for b in bodies] == [200, 200]
    assert CdrLeg.select().count() == 2
    assert CallEntry.select().count() == 0


def test_a_call_for_an_extension_that_is_no_user_is_a_tenant_entry_only(db, acme):
    app = make_cdr_app(CONFIG, db)
    bodies = [b.replace(b"1004", b"1077") for b in recorded_bodies("incoming_dnd_busy.json")]
    post(app, bodies[0], uuid_of(bodies[0]))
    assert entries() == [(None, "missed", "dnd")]


@pytest.mark.parametrize("body, content_type", [
    (b"", "application/json"),
    (b"{truncated", "application/json"),
    (b'{"variables": {}}', "application/json"),
    (b"cdr=", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_refused_with_400_and_a_log_line(db, acme, caplog, body, content_type):
    app = make_cdr_app(CONFIG, db)
    with caplog.at_level(logging.WARNING, logger="fs_plugins.calllog.receiver"):
        assert post(app, body, content_type=content_type) in (400,)
    assert "CDR post" in caplog.text
    assert CdrLeg.select().count() == 0


def test_a_body_for_another_uuid_than_the_url_names_is_refused(db, acme):
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(make_cdr_app(CONFIG, db), body, uuid="00000000-0000-0000-0000-000000000000") == 400


def test_wrong_or_missing_credentials_are_refused_and_store_nothing(db, acme):
    app = make_cdr_app(CONFIG, db)
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(app, body, auth=None) == 401
    assert post(app, body, auth=("fs", "wrong")) == 401
    assert CdrLeg.select().count() == 0


def test_without_configured_credentials_no_auth_is_asked(db, acme):
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(make_cdr_app(Config(), db), body, auth=None) == 200


def test_other_methods_paths_and_lengths_are_refused(db, acme):
    app = make_cdr_app(CONFIG, db)
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(app, body, method="GET") == 405
    assert post(app, body, path="/cdr/../etc") == 404
    assert post(app, body, length="") == 411
    assert post(app, body, length=str(10**9)) == 413


def test_a_database_failure_is_not_acknowledged(db, acme, monkeypatch):
    from fs_plugins.calllog import receiver

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(receiver, "store_leg", broken)
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(make_cdr_app(CONFIG, db), body) == 500


def test_an_entry_is_only_written_when_its_leg_commits(db, acme, monkeypatch):
    from fs_plugins.calllog import store

    def failing(db_, call):
        raise RuntimeError("crash while classifying")

    monkeypatch.setattr(store, "entry_rows", failing)
    body = recorded_bodies("outgoing_call_barred.json")[0]
    assert post(make_cdr_app(CONFIG, db), body) == 500
    assert CdrLeg.select().count() == 0  # rolled back: FreeSWITCH will re-send or write the file


# --- sweep -------------------------------------------------------------------------------------

def write_err_log(folder, names, age: float = 60.0):
    """The files mod_json_cdr wrote, `age` seconds ago (the sweep leaves files younger than a few seconds)."""
    for name in names:
        for body in recorded_bodies(name):
            written(folder / f"{uuid_of(body)}.cdr.json", body, age)


def written(path, body: bytes, age: float = 60.0):
    path.write_bytes(body)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def nobodys_call(body: bytes) -> bytes:
    """The A leg of a call to a DID nobody owns: public context only, none of our variables."""
    document = json.loads(body)
    document["variables"] = {k: v for k, v in document["variables"].items() if not k.startswith("pbx_")}
    for step in document["callflow"]:
        step["caller_profile"]["context"] = "public"
    return json.dumps(document).encode()


def a_leg_of(name: str) -> bytes:
    return next(b for b in recorded_bodies(name)
                if not json.loads(b)["variables"].get("originating_leg_uuid"))


def test_the_sweep_imports_err_log_files_and_moves_them_away(db, acme, tmp_path):
    write_err_log(tmp_path, ["incoming_answered.json", "outgoing_caller_cancel.json"])
    written(tmp_path / "junk.cdr.json", b"not a cdr")
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.duplicates, result.rejected) == (4, 0, 1)
    assert list(tmp_path.glob("*.cdr.json")) == []
    assert len(list((tmp_path / "imported").iterdir())) == 4
    assert [p.name for p in (tmp_path / "rejected").iterdir()] == ["junk.cdr.json"]
    assert entries() == [("1001", "made", "cancelled"), ("1002", "received", "received")]


def test_running_the_sweep_twice_imports_nothing_twice(db, acme, tmp_path):
    write_err_log(tmp_path, ["incoming_answered.json"])
    sweepmod.sweep(db, tmp_path)
    write_err_log(tmp_path, ["incoming_answered.json"])  # FreeSWITCH wrote them again
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.duplicates) == (0, 2)
    assert CdrLeg.select().count() == 2 and CallEntry.select().count() == 1


def test_a_sweep_that_crashes_half_way_loses_and_duplicates_nothing(db, acme, tmp_path, monkeypatch):
    write_err_log(tmp_path, ["incoming_transferred_after_answer.json"])
    real_replace, calls = os.replace, []

    def crash_on_second_move(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError("killed")
        real_replace(src, dst)

    monkeypatch.setattr(sweepmod.os, "replace", crash_on_second_move)
    with pytest.raises(OSError):
        sweepmod.sweep(db, tmp_path)
    assert CdrLeg.select().count() == 2 and len(list(tmp_path.glob("*.cdr.json"))) == 2
    monkeypatch.setattr(sweepmod.os, "replace", real_replace)
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.duplicates) == (1, 1)
    assert CdrLeg.select().count() == 3
    assert entries() == [("1002", "received", "received"), ("1005", "received", "transferred")]


def test_the_cdr_sweep_command_reports_what_it_did(db_url, tmp_path, capsys):
    from fs_plugins.cli import main

    write_err_log(tmp_path, ["outgoing_call_barred.json"])
    assert main(["--database", db_url, "cdr", "sweep", str(tmp_path)]) == 0
    assert "imported 1, already stored 0, rejected 0, left for the next sweep 0" in capsys.readouterr().out
    assert main(["--database", db_url, "cdr", "sweep", str(tmp_path / "missing")]) == 2
    assert "DIR" in capsys.readouterr().err


def test_calllog_of_a_tenant_created_after_they_were_posted_appear_after_reclassify(db_url, capsys):
    from fs_plugins import db as dbmod
    from fs_plugins.cli import main

    database = dbmod.connect(db_url)
    post_call(make_cdr_app(Config(), database), "incoming_answered.json")
    assert CallEntry.select().count() == 0
    tenant = Tenant.create(name="Acme", domain="acme.example")
    User.create(tenant=tenant, extension="1002", display_name="Bob", a1_hash="0" * 32)
    assert main(["--database", db_url, "cdr", "reclassify", "--tenant", "acme.example"]) == 0
    assert "reclassified 1 calls" in capsys.readouterr().out
    assert entries() == [("1002", "received", "received")]
    database.close()


def test_freeswitch_posts_over_http_to_the_web_servers_cdr_mount_are_filed(db, acme):
    """The exact request line and headers mod_json_cdr sends (see the fixtures' `http` sections)."""
    import http.client
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from fs_plugins.models.base import database
    from fs_plugins.web import make_web_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, make_web_app(CONFIG), handler_class=Quiet)
    data = json.loads((CDR_DIR / "outgoing_answered_encode_values_true.json").read_text())
    legs = data["legs"]

    def serve():
        for _ in legs:
            server.handle_request()
        database.close()  # this thread's connection

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        for leg in legs:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
            conn.putrequest("POST", leg["http"]["path"], skip_host=True, skip_accept_encoding=True)
            for name, value in leg["http"]["headers"]:
                value = str(len(leg["body_raw"].encode())) if name == "Content-Length" else value
                conn.putheader(name, value)
            conn.putheader("Authorization", "Basic " + base64.b64encode(b"fs:s3cret").decode())
            conn.endheaders(leg["body_raw"].encode())
            assert conn.getresponse().status == 200
            conn.close()
    finally:
        thread.join(10)
        server.server_close()
    assert entries() == [("1001", "made", "made")]


def test_legs_of_one_call_posted_at_the_same_moment_are_classified_together(db, acme):
    import threading

    from fs_plugins.models.base import database
    from test_calllog_classify import variant

    app = make_cdr_app(CONFIG)
    results = []
    for round_ in range(4):
        bodies = variant(recorded_bodies("incoming_answered.json"), {}, seed=1000 + 10 * round_)
        barrier = threading.Barrier(len(bodies))

        def send(body):
            barrier.wait()
            results.append(post(app, body, uuid_of(body)))
            database.close()  # this thread's connection

        threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    assert results == [200] * 8
    assert entries() == [("1002", "received", "received")] * 4


def test_a_cdr_of_a_number_nobody_owns_is_stored_unassigned_and_the_sweep_goes_on(db, acme, tmp_path):
    orphan = nobodys_call(a_leg_of("incoming_answered.json"))
    written(tmp_path / f"{uuid_of(orphan)}.cdr.json", orphan)
    write_err_log(tmp_path, ["outgoing_call_barred.json"])
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.rejected, result.waiting) == (2, 0, 0)
    assert entries() == [("1001", "made", "restricted")]
    orphans = unassigned_calls(db)
    assert [(c.call_id, c.tenant, c.legs) for c in orphans] == [(uuid_of(orphan), "", 1)]
    assert "names no tenant" in orphans[0].reason


def test_a_post_of_a_cdr_of_a_number_nobody_owns_is_acknowledged(db, acme):
    orphan = nobodys_call(a_leg_of("incoming_answered.json"))
    assert post(make_cdr_app(CONFIG, db), orphan, uuid_of(orphan)) == 200
    assert CdrLeg.select().count() == 1 and CallEntry.select().count() == 0


def test_a_file_younger_than_a_few_seconds_is_left_for_the_next_sweep(db, acme, tmp_path):
    body = a_leg_of("outgoing_call_barred.json")
    fresh = written(tmp_path / f"{uuid_of(body)}.cdr.json", body[: len(body) // 2], age=0)  # still being written
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.rejected, result.waiting) == (0, 0, 1)
    assert fresh.exists() and not (tmp_path / "rejected").exists()
    written(fresh, body)  # FreeSWITCH finished writing it
    assert sweepmod.sweep(db, tmp_path).imported == 1
    assert entries() == [("1001", "made", "restricted")]


def test_a_directory_named_like_a_cdr_or_a_failing_store_stops_nothing(db, acme, tmp_path, monkeypatch, caplog):
    (tmp_path / "0-directory.cdr.json").mkdir()
    write_err_log(tmp_path, ["incoming_answered.json", "outgoing_call_barred.json"])
    real_store, seen = sweepmod.store_leg, []

    def store_failing_once(database, facts):
        seen.append(facts.uuid)
        if len(seen) == 1:
            raise RuntimeError("a bug in one CDR")
        return real_store(database, facts)

    monkeypatch.setattr(sweepmod, "store_leg", store_failing_once)
    result = sweepmod.sweep(db, tmp_path)
    assert (result.imported, result.waiting, result.skipped) == (2, 1, 1)
    assert "0-directory.cdr.json is not a file" in caplog.text
    assert (tmp_path / f"{seen[0]}.cdr.json").exists()  # kept for the next sweep, not lost
    assert sweepmod.sweep(db, tmp_path).imported == 1
    assert CdrLeg.select().count() == 3


def test_the_calls_unassigned_command_lists_them_with_the_reason(db_url, tmp_path, capsys):
    from fs_plugins import db as dbmod
    from fs_plugins.cli import main

    database = dbmod.connect(db_url)
    orphan = nobodys_call(a_leg_of("incoming_answered.json"))
    post(make_cdr_app(Config(), database), orphan, uuid_of(orphan))
    stranger = [b.replace(b"acme.example", b"later.example") for b in recorded_bodies("incoming_rejected.json")]
    for body in stranger:
        post(make_cdr_app(Config(), database), body, uuid_of(body))
    database.close()
    assert main(["--database", db_url, "calls", "unassigned"]) == 0
    out = capsys.readouterr().out
    assert uuid_of(orphan) in out and "names no tenant" in out
    assert "tenant later.example does not exist" in out and "2 unassigned calls" in out, out
    assert main(["--database", db_url, "calls", "unassigned", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err


@pytest.mark.postgres
def test_a_leg_is_filed_on_postgresql_in_at_most_four_statements(db, acme, monkeypatch):
    """Every statement is a round trip to the server under a CDR storm: the call's lock rides on the
    insert, the users are looked up together, the entries replaced in one statement."""
    import peewee

    from fs_plugins.calllog import store
    from fs_plugins.calllog.parse import parse_body

    if not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("SQLite's statements are calls into the process, not round trips")
    statements = []
    execute = type(db).execute_sql
    monkeypatch.setattr(type(db), "execute_sql",
                        lambda self, sql, params=None, *a, **k: statements.append(sql) or execute(self, sql, params, *a, **k))
    for name in ("incoming_answered.json", "incoming_forward_no_answer.json", "outgoing_call_barred.json"):
        for body in recorded_bodies(name):
            statements.clear()
            assert store.store_leg(db, parse_body(body))
            assert len(statements) <= 4, statements
    assert entries()  # the calls were classified


def test_finding_a_legs_call_reads_the_legs_through_their_indexes_only(db):
    """With the statistics of a busy log (ANALYZE over thousands of one-leg calls), SQLite planned
    the lookup of a B leg's call with a Bloom filter built over the whole of cdr_leg, for every leg
    posted: 12–100 ms a leg at 100,000 legs (B5 filed 17 legs/s). Every read must be an index search."""
    import peewee

    from fs_plugins.calllog import store

    if not isinstance(db, peewee.SqliteDatabase):
        pytest.skip("the plan in question is SQLite's (PostgreSQL's is checked by the round-trip test above)")
    rows = [(f"leg-{n:05d}", f"leg-{n:05d}", "acme.example", "2026-01-01", "{}") for n in range(3000)]
    with db.atomic():
        for row in rows:
            db.execute_sql("INSERT INTO cdr_leg (uuid, call_id, tenant_domain, received_at, facts)"
                           " VALUES (?, ?, ?, ?, ?)", row)
    db.execute_sql("ANALYZE")
    for sql in (store.LEGS_OF_ROOT_CALL, store.LEGS_OF_CALL):
        plan = [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, ("leg-00001", "leg-00001")).fetchall()]
        reads = [step for step in plan if "cdr_leg" in step or "BLOOM" in step or step.startswith("SCAN")]
        assert reads and all(step.startswith("SEARCH cdr_leg USING") or step.startswith("SCAN CONSTANT ROW")
                             or step == "SCAN root" for step in reads), plan


def test_a_stored_leg_reads_back_equal_to_the_leg_filed():
    """store.py files the leg just inserted from memory instead of decoding its stored text again:
    the same as decoding it, for every recorded leg."""
    from fs_plugins.calllog.parse import LegFacts, parse_body

    legs = [parse_body(body) for name in sorted(MANIFEST) for body in recorded_bodies(name)]
    assert legs and all(LegFacts.from_json(leg.to_json()) == leg for leg in legs)


@pytest.mark.parametrize("query, expected", [
    ("uuid={u}", 200), ("uuid={u}&x=1", 200), ("x=1&uuid={u}", 200), ("uuid={e}", 200),
    ("uuid=other-{u}", 400), ("uuid=", 200), ("", 200)])
def test_the_uuid_of_the_query_string_is_read_as_parse_qs_reads_it(db, acme, query, expected):
    body = recorded_bodies("outgoing_answered.json")[0]
    uuid = uuid_of(body)
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update({"REQUEST_METHOD": "POST", "PATH_INFO": "/cdr", "CONTENT_TYPE": "application/json",
                    "QUERY_STRING": query.format(u=uuid, e=uuid.replace("-", "%2D")),
                    "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
                    "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"fs:s3cret").decode()})
    statuses = []
    b"".join(make_cdr_app(CONFIG, db)(environ, lambda status, headers: statuses.append(status)))
    assert int(statuses[0][:3]) == expected


def test_every_order_of_an_attended_transfers_legs_files_the_same_call_log(db, acme):
    # The consultation leg names the B leg as its call; filed alone last, the B leg must still find
    # it (on PostgreSQL one statement inserted the leg and read the call's legs, and that read did
    # not see the leg being inserted: the consulted user's entry was missing).
    import itertools

    from fs_plugins.calllog.parse import parse_body
    from fs_plugins.calllog.store import store_leg
    from tests.calllog_world import recorded

    legs = [parse_body(json.dumps(leg).encode()) for leg in recorded("i2_attended_transfer.json")]
    logs = set()
    for order in itertools.permutations(legs):
        CallEntry.delete().execute()
        CdrLeg.delete().execute()
        for leg in order:
            assert store_leg(db, leg)
        logs.add(tuple(sorted((e.user.extension if e.user else None, e.kind, e.status) for e in CallEntry.select())))
    assert len(logs) == 1
    assert ("1003", "received", "received") in logs.pop()
