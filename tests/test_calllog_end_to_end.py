"""Every seed status, produced end to end: the real dialplan handler, the FreeSWITCH emulator, the
CDRs it posts to the receiver, and the call log they become (issue 13: what a real FreeSWITCH showed).
One row per situation: internal and DID calls, each kind of forward and of DND, simultaneous
ring, transfers, IVR and groups; each says every entry the call leaves, by extension (None: the
tenant), with its status, and for calls never answered the cause."""
from __future__ import annotations

import logging

import pytest

from fs_plugins.sim.script import CallerScript, Leg, Transfer
from tests.calllog_world import DOMAIN, World

U = {ext: f"user/{ext}@{DOMAIN}" for ext in ("1002", "1003", "1004", "1005", "1006", "1007", "1010", "1011",
                                             "1012", "1013", "1014", "1015")}
ME = f"1001@{DOMAIN}"
CARRIER = "+34600000001"
MOBILE = "sofia/gateway/carrier/+34600123456"


def legs(default="no_answer", **outcomes) -> CallerScript:
    return CallerScript(legs={U[ext]: Leg(*spec) if isinstance(spec, tuple) else Leg(spec)
                              for ext, spec in outcomes.items()}, default_leg=Leg(default, 1.0, 3.0))


def answer(**kw):
    return Leg("answer", 1.0, 3.0)


CASES = [
    # id, caller, dialled, script, {extension: (status, cause)}
    ("internal answered", ME, "1002", legs("answer"),
     {"1001": ("made", ""), "1002": ("received", "")}),
    ("internal rang out", ME, "1002", legs(**{"1002": "no_answer"}),
     {"1001": ("cancelled", "no_answer"), "1002": ("missed", "")}),
    ("internal busy", ME, "1002", legs(**{"1002": "busy"}),
     {"1001": ("cancelled", "busy"), "1002": ("missed", "")}),
    ("internal declined", ME, "1002", legs(**{"1002": "decline"}),
     {"1001": ("cancelled", "declined"), "1002": ("rejected", "")}),
    ("caller hangs up while it rings", ME, "1002", CallerScript(hangup_at=3),
     {"1001": ("cancelled", "caller_hung_up"), "1002": ("missed", "")}),
    ("wrong number", ME, "9999", legs("answer"), {"1001": ("wrong_number", "")}),
    ("restricted number", ME, "803123456", legs("answer"), {"1001": ("restricted", "")}),
    ("outgoing answered", ME, "910000099", legs("answer"), {"1001": ("made", "")}),
    ("DID to a user, answered", CARRIER, "+34910000002", legs("answer"), {"1002": ("received", "")}),
    ("DID to a user, missed", CARRIER, "+34910000002", legs("no_answer"), {"1002": ("missed", "")}),
    ("forward on no answer", ME, "1010", legs("answer", **{"1010": "no_answer"}),
     {"1001": ("made", ""), "1010": ("forwarded", ""), "1003": ("received", "")}),
    ("forward when busy", ME, "1011", legs("answer", **{"1011": "busy"}),
     {"1001": ("made", ""), "1011": ("forwarded", ""), "1003": ("received", "")}),
    ("forward always", ME, "1012", legs("answer"),
     {"1001": ("made", ""), "1012": ("forwarded", ""), "1003": ("received", "")}),
    ("forward when not registered", ME, "1013", legs("answer", **{"1013": "not_registered"}),
     {"1001": ("made", ""), "1013": ("forwarded", ""), "1003": ("received", "")}),
    ("DND, busy", ME, "1015", legs("answer"), {"1001": ("cancelled", "busy"), "1015": ("dnd", "")}),
    ("DND, forward busy", ME, "1014", legs("answer"),
     {"1001": ("made", ""), "1014": ("dnd", ""), "1003": ("received", "")}),
    ("DND, voicemail", ME, "1004", CallerScript(hangup_at=6),
     {"1001": ("cancelled", "voicemail"), "1004": ("dnd", "")}),
    ("DID to a user in DND, voicemail", CARRIER, "+34910000002", legs("answer"), None),  # replaced below
    ("simultaneous ring, another user answers", ME, "1005", legs(**{"1006": ("answer", 2.0, 3.0)}),
     {"1001": ("made", ""), "1005": ("missed", ""), "1006": ("received", "")}),
    ("simultaneous ring, the user's own mobile answers", CARRIER, "+34910000002", None, None),  # replaced below
    ("blind transfer after answer", ME, "1002",
     CallerScript(default_leg=Leg("answer", 1.0, 3.0), transfer=Transfer("blind", 3.0, "1003")),
     {"1001": ("transferred", ""), "1002": ("transferred", ""), "1003": ("received", "")}),
    ("attended transfer after answer", ME, "1002",
     CallerScript(default_leg=Leg("answer", 1.0, 10.0), transfer=Transfer("attended", 3.0, "1003")),
     {"1001": ("transferred", ""), "1002": ("transferred", ""), "1003": ("received", "")}),
    ("IVR, then a user", CARRIER, "+34910000001", CallerScript(digits=["2"], default_leg=Leg("answer", 1.0, 3.0)),
     {"1003": ("received", "")}),
    ("simple group answered", ME, "600", legs(**{"1003": ("answer", 2.0, 3.0)}),
     {"1001": ("made", ""), "1003": ("received", "")}),
    ("simple group nobody answers", ME, "600", CallerScript(hangup_at=8),
     {"1001": ("cancelled", "caller_hung_up"), None: ("missed", "")}),
]
CASES = [case for case in CASES if case[4] is not None]
CASES.append(("simultaneous ring, the user's own mobile answers", ME, "1007",
              CallerScript(legs={U["1007"]: Leg("no_answer"), MOBILE: Leg("answer", 2.0, 3.0)}),
              {"1001": ("made", ""), "1007": ("received", "")}))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("e2e")).setup()


@pytest.mark.parametrize("situation, caller, dialled, script, expected", CASES, ids=[c[0] for c in CASES])
def test_each_situation_leaves_the_seed_status_in_every_users_log(world, situation, caller, dialled, script,
                                                                  expected):
    sim = world.call(caller, dialled, script)
    got = {ext: (status, cause) for ext, (status, cause, _) in world.entries(sim.uuid).items()}
    assert got == expected, "\n".join(sim.steps)


def test_every_seed_status_is_produced_by_some_situation():
    from fs_plugins.calllog.classify import Status

    produced = {status for *_, expected in CASES for status, _ in expected.values()}
    assert produced == {status.code for status in Status}


def test_the_callee_is_the_number_dialled_with_the_menu_or_group_it_reached(world):
    menu = world.call(CARRIER, "+34910000001", CallerScript(digits=["2"], default_leg=Leg("answer", 1.0, 3.0)))
    assert {callee for *_, callee in world.entries(menu.uuid).values()} == {"+34910000001 (Principal)"}
    group = world.call(ME, "600", legs(**{"1003": ("answer", 2.0, 3.0)}))
    assert {callee for *_, callee in world.entries(group.uuid).values()} == {"600 (Ventas)"}
    queue = world.call(CARRIER, "+34910000004", legs(**{"1003": ("answer", 2.0, 3.0)}))
    assert {callee for *_, callee in world.entries(queue.uuid).values()} == {"+34910000004 (Cola)"}


def test_a_queued_caller_waits_while_hearing_the_position_too(world, caplog):
    """Issue 13 [10]: "you are number 1" is part of the wait, in the group's statistics and in the
    call log's wait before answer alike (the emulator's virtual time: 2 s prompt, 2 s say)."""
    caplog.set_level(logging.INFO, logger="fs_plugins.groups.wiring")  # simulate logs the record it would write
    sim = world.call(ME, "603", legs(**{"1003": "no_answer", "1006": ("answer", 2.0, 3.0)}))
    assert "ivr/ivr-you_are_number.wav" in sim.sessions[0].played, "\n".join(sim.steps)
    # 1003 rings out (5 s), the position (4 s), one ringback cycle (6 s), 1006 answers after 2 s
    (record,) = [r.args for r in caplog.records if r.msg.startswith("simulated group call")]
    assert record[1] == 5 + 4 + 6 + 2, "\n".join(sim.steps)
    (ring,) = world.database().execute_sql(
        "SELECT e.ring_seconds FROM call_entry e JOIN \"user\" u ON u.id = e.user_id"
        " WHERE e.call_id = ? AND u.extension = '1006'", (sim.uuid,)).fetchone()
    assert 17 <= ring <= 18  # the log counts from the call's start (answer and command delays)


def test_the_csv_export_carries_the_cause_of_a_call_never_answered(world, capsys):
    sim = world.call(ME, "1002", legs(**{"1002": "busy"}))
    out = world.data_dir / "calls.csv"
    world.cli(f"calls export --tenant {DOMAIN} --user 1001 --output {out}")
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    (row,) = [r for r in rows if r["call_id"] == sim.uuid]
    assert (row["status"], row["cause"]) == ("Cancelado", "busy")


def test_a_call_log_stored_before_the_cause_column_upgrades_in_place_keeping_its_entries(db):
    from fs_plugins import db as dbmod
    from tests import provision

    acme = provision.tenant("Acme", DOMAIN)
    db.execute_sql("ALTER TABLE call_entry DROP COLUMN cause")  # as version 1 of the "calls" component made it
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'calls'")
    db.execute_sql("INSERT INTO call_entry (tenant_id, call_id, kind, status, direction, started_at, caller_name,"
                   " caller_number, callee, answered_by, ring_seconds, talk_seconds)"
                   f" VALUES ({acme.id}, 'old', 'made', 'made', 'internal', 1, '', '', '1002', '', 0, 0)")
    assert ("calls", 1, 4) in dbmod.upgrade(db)
    assert db.execute_sql("SELECT call_id, cause FROM call_entry").fetchall() == [("old", "")]
    assert dbmod.upgrade(db) == []


def test_a_call_log_of_schema_3_drops_its_index_by_kind_which_every_posted_cdr_wrote(db):
    """A user's page by kind reads the user's index (models/calllog.py); the one by kind is not made, nor kept."""
    from fs_plugins import db as dbmod

    def indexes():
        return {index.name for index in db.get_indexes("call_entry")}

    assert "call_entry_user_id_kind_started_at" not in indexes()
    assert {"call_entry_user_id_started_at", "call_entry_tenant_id_started_at", "call_entry_call_id"} <= indexes()
    db.execute_sql("CREATE INDEX call_entry_user_id_kind_started_at ON call_entry (user_id, kind, started_at)")
    db.execute_sql("UPDATE schema_version SET version = 3 WHERE component = 'calls'")
    assert ("calls", 3, 4) in dbmod.upgrade(db)
    assert "call_entry_user_id_kind_started_at" not in indexes()
    assert dbmod.upgrade(db) == []


def test_the_recorded_attended_transfer_gives_the_consulted_user_a_received_entry(world):
    """Posted in FreeSWITCH's own order, the consultation leg (naming the callee's leg) joins the call."""
    import json

    from fs_plugins.calllog.parse import parse_body
    from fs_plugins.calllog.store import store_leg
    from tests.calllog_world import recorded

    db = world.database()
    legs = recorded("i2_attended_transfer.json")
    a_uuid = next(leg["variables"]["uuid"] for leg in legs if leg["variables"]["direction"] == "inbound")
    for order in (legs, list(reversed(legs))):
        for leg in legs:
            db.execute_sql("DELETE FROM cdr_leg WHERE uuid = ?", (leg["variables"]["uuid"],))
        db.execute_sql("DELETE FROM call_entry WHERE call_id = ?", (a_uuid,))
        for leg in order:
            store_leg(db, parse_body(json.dumps(leg).encode()))
        got = {ext: status for ext, (status, _, _) in world.entries(a_uuid).items()}
        assert got == {"1001": "transferred", "1002": "transferred", "1003": "received"}
