"""Per-user call handling where the bridge outcome matters, run by the emulator through the real
dialplan handler: the phone is busy, does not answer, or is not registered, and the call follows
the user's forwards the way FreeSWITCH's continue_on_fail / transfer_on_fail would take it."""
from __future__ import annotations

import pytest

from fs_plugins.application import AppContext
from fs_plugins import demo
from fs_plugins.callhandling import app as callhandling
from fs_plugins.commands.simulate import run_simulation
from fs_plugins.config import Config
from fs_plugins.models.core import Tenant, User
from fs_plugins.sim.dialplan import Caller
from fs_plugins.sim.script import CallerScript, Leg
from xml_curl.dialplan import MAX_HOPS
from tests.provision import OPERATOR, who

DOMAIN = demo.DEMO_DOMAIN
ANA, BRUNO, RECEPTION = f"user/1001@{DOMAIN}", f"user/1002@{DOMAIN}", f"user/1003@{DOMAIN}"
MOBILE = "sofia/gateway/carrier/+34600123456"


@pytest.fixture
def ana(db):
    demo.create_demo(AppContext.operator())
    tenant = Tenant.get(Tenant.domain == DOMAIN)
    return User.get(User.tenant == tenant, User.extension == "1001")


def call_the_did(db, legs: dict[str, str]):
    """The carrier calls the demo DID (routed to Ana, 1001); each dial string gets an outcome."""
    script = CallerScript(legs={dial: Leg(outcome, ring=1.0, talk=3.0) for dial, outcome in legs.items()},
                          default_leg=Leg("no_answer"))
    return run_simulation(Config(), db, Caller("+34915550000"), demo.DEMO_DID.lstrip("+"), script)


def bridged(sim) -> list[tuple[str, str]]:
    """(dial string, outcome) of every bridge the emulator ran, in order."""
    out = []
    for step in sim.steps:
        if step.startswith("bridge "):
            dial, _, status = step[len("bridge "):].rpartition(": ")
            out.append((dial, status))
    return out


def test_a_busy_phone_follows_the_busy_forward_to_a_colleague(db, ana):
    callhandling.set_forward(*who(ana), "busy", "user:1003")
    sim = call_the_did(db, {ANA: "busy", RECEPTION: "answer"})
    assert bridged(sim) == [(ANA, "USER_BUSY"), (RECEPTION, "SUCCESS")]
    assert any(step.startswith("transfer_on_fail: USER_BUSY") for step in sim.steps)
    assert sim.cdr["variables"]["pbx_forwarded"] == "busy"


def test_a_phone_that_does_not_answer_follows_the_no_answer_forward_inline(db, ana):
    callhandling.set_forward(*who(ana), "no-answer", "number:+34600123456", seconds=10)
    sim = call_the_did(db, {ANA: "no_answer", MOBILE: "answer"})
    mobile = f"[presence_id=1001@{DOMAIN},pbx_leg_user=1001@{DOMAIN}]{MOBILE}"
    assert bridged(sim) == [(ANA, "NO_ANSWER"), (mobile, "SUCCESS")]
    assert sim.cdr["variables"]["pbx_forwarded"] == "no_answer"


def test_an_unregistered_phone_without_its_own_forward_uses_the_no_answer_forward(db, ana):
    callhandling.set_forward(*who(ana), "no-answer", "user:1002")
    sim = call_the_did(db, {ANA: "not_registered", BRUNO: "answer"})
    assert bridged(sim)[0] == (ANA, "USER_NOT_REGISTERED")
    assert bridged(sim)[-1] == (BRUNO, "SUCCESS")


def test_a_busy_phone_without_a_busy_forward_stays_busy(db, ana):
    callhandling.set_forward(*who(ana), "no-answer", "user:1002")
    sim = call_the_did(db, {ANA: "busy"})
    assert bridged(sim) == [(ANA, "USER_BUSY")]
    assert sim.hangup_cause == "USER_BUSY"


def test_a_forward_loop_between_two_busy_users_ends(db, ana):
    bruno = User.get(User.extension == "1002")
    callhandling.set_forward(*who(ana), "busy", "user:1002")
    callhandling.set_forward(*who(bruno), "busy", "user:1001")
    sim = call_the_did(db, {ANA: "busy", BRUNO: "busy"})
    assert sim.hangup_cause == "EXCHANGE_ROUTING_ERROR"  # the Router's hop limit, not the emulator's cap
    assert 2 <= len(bridged(sim)) <= MAX_HOPS + 1
