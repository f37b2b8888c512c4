"""The emulator against the calls a real FreeSWITCH 1.11 made through Centralita's own dialplan
(tests/fixtures/freeswitch/json_cdr_centralita): the same situation, run by `simulate`, posts
CDRs with the same causes, SIP dispositions, answers and transfer history."""
from __future__ import annotations

import re

import pytest

from fs_plugins.sim.script import CallerScript, Leg, Transfer
from tests.calllog_world import DOMAIN, World, a_leg, b_legs, recorded

A_KEYS = ("hangup_cause", "originate_disposition", "DIALSTATUS", "sip_hangup_disposition", "last_app")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("recorded")).setup()


def answered(variables: dict) -> bool:
    return variables.get("answer_epoch", "0") not in ("0", "")


def a_shape(variables: dict) -> dict:
    return {key: variables.get(key) for key in A_KEYS} | {"answered": answered(variables)}


def b_shape(variables: dict) -> tuple:
    return (variables.get("dialed_user"), variables["hangup_cause"], variables["sip_hangup_disposition"],
            answered(variables))


def emulated(sim) -> tuple[dict, list[dict]]:
    return sim.cdr["variables"], [body["variables"] for _, body in sim.b_legs]


def test_a_caller_hanging_up_while_a_user_rings_is_originator_cancel_as_recorded(world):
    sim = world.call(f"1001@{DOMAIN}", "1002", CallerScript(hangup_at=5, default_leg=Leg("no_answer")))
    a, bs = emulated(sim)
    legs = recorded("f1_caller_cancel_user.json")
    assert a_shape(a) == a_shape(a_leg(legs)["variables"])
    assert [b_shape(b) for b in bs] == [b_shape(leg["variables"]) for leg in b_legs(legs)]
    assert bs[0]["last_bridge_hangup_cause"] == "ORIGINATOR_CANCEL" and int(a["duration"]) == 5


def test_a_blind_transfer_after_answer_writes_freeswitchs_transfer_history(world):
    script = CallerScript(default_leg=Leg("answer", 1.0, 3.0), transfer=Transfer("blind", 3.0, "1003"))
    sim = world.call(f"1001@{DOMAIN}", "1002", script)
    a, bs = emulated(sim)
    legs = recorded("i1_blind_transfer.json")
    real = a_leg(legs)["variables"]
    assert a_shape(a) == a_shape(real)
    shape = r"\d{10}:[0-9a-f-]{36}:bl_xfer:1003/acme\.example/XML"
    assert re.fullmatch(shape, real["transfer_history"]) and re.fullmatch(shape, a["transfer_history"])
    assert sorted(b_shape(b) for b in bs) == sorted(b_shape(leg["variables"]) for leg in b_legs(legs))
    steps = [(step["caller_profile"]["destination_number"], step["times"]["transfer_time"] != "0")
             for step in sim.cdr["callflow"]]
    assert steps == [("1003", False), ("1002", True)]  # newest first; the older step says when it was left


def test_an_attended_transfer_bridges_the_caller_to_the_consulted_user_as_recorded(world):
    script = CallerScript(default_leg=Leg("answer", 1.0, 10.0), transfer=Transfer("attended", 3.0, "1003"))
    sim = world.call(f"1001@{DOMAIN}", "1002", script)
    a, bs = emulated(sim)
    legs = recorded("i2_attended_transfer.json")
    assert a_shape(a) == a_shape(a_leg(legs)["variables"])
    callee, consult = sorted(bs, key=lambda b: b["dialed_user"])
    assert re.fullmatch(rf"\d{{10}}:[0-9a-f-]{{36}}:uuid_br:{consult['uuid']}", a["transfer_history"])
    # The consultation call is the callee's own: it names the callee's leg, not the caller's.
    assert consult["originator"] == callee["uuid"] and callee["originator"] == sim.uuid
    assert consult["transfer_history"].endswith(f":uuid_br:{sim.uuid}")
    # (FreeSWITCH's att_xfer also rewrites dialed_user on the callee's leg: not compared)
    assert sorted(b_shape(b)[1:] for b in bs) == sorted(b_shape(leg["variables"])[1:] for leg in b_legs(legs))


def test_a_group_run_over_the_event_socket_posts_its_members_legs_as_recorded(world):
    script = CallerScript(legs={f"user/1003@{DOMAIN}": Leg("answer", 3.0, 3.0),
                                f"user/1006@{DOMAIN}": Leg("no_answer")}, hangup_at=60)
    sim = world.call("+34600000001", "+34910000004", script)
    a, bs = emulated(sim)
    legs = recorded("h_did_advanced_group.json")
    assert sorted(b_shape(b) for b in bs) == sorted(b_shape(leg["variables"]) for leg in b_legs(legs))
    assert all(b["originating_leg_uuid"] == sim.uuid for b in bs)


def test_a_dnd_voicemail_call_the_caller_ends_is_answered_and_ended_by_the_caller_as_recorded(world):
    sim = world.call(f"1001@{DOMAIN}", "1004", CallerScript(hangup_at=6))
    a, bs = emulated(sim)
    real = a_leg(recorded("e_dnd_voicemail.json"))["variables"]
    assert a_shape(a) == a_shape(real) and bs == []
    assert int(a["duration"]) == int(real["duration"]) == 6


def test_an_outgoing_call_to_a_busy_number_is_refused_as_recorded(world):
    sim = world.call(f"1001@{DOMAIN}", "910000099", CallerScript(default_leg=Leg("busy", 1.0)))
    a, bs = emulated(sim)
    legs = recorded("j1_outbound_busy.json")
    assert a_shape(a) == a_shape(a_leg(legs)["variables"])
    assert [b["hangup_cause"] for b in bs] == ["USER_BUSY"] and bs[0]["sip_hangup_disposition"] == "recv_refuse"


def test_a_simultaneous_ring_leg_that_must_confirm_is_dialled_without_crashing(world):
    sim = world.call(f"1001@{DOMAIN}", "1007", CallerScript(legs={f"user/1007@{DOMAIN}": Leg("no_answer")},
                                                            default_leg=Leg("answer", 2.0, 4.0)))
    dial = next(step for step in sim.steps if step.startswith("bridge "))
    assert "group_confirm_key=1" in dial and dial.endswith(": SUCCESS")
    assert {b["hangup_cause"] for _, b in [(u, body["variables"]) for u, body in sim.b_legs]} == {
        "NORMAL_CLEARING", "LOSE_RACE"}
