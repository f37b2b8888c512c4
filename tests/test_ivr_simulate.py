"""`centralita simulate` through a menu built with the IVR service: the dialplan, the `ivr` session
and the destination it hands the call to, as one emulated call."""
from __future__ import annotations

from fs_plugins.application import AppContext
from fs_plugins import demo
from fs_plugins.commands.simulate import run_simulation
from fs_plugins.config import Config
from fs_plugins.models.core import Tenant
from fs_plugins.sim.dialplan import Caller
from fs_plugins.sim.script import CallerScript, Leg
from tests import provision

DOMAIN = demo.DEMO_DOMAIN


def caller():
    return Caller("1001", "Ana", DOMAIN, {"pbx_tenant": DOMAIN, "pbx_user_id": f"1001@{DOMAIN}",
                                          "user_context": DOMAIN})


def test_a_caller_who_never_chooses_reaches_the_exit_destination_after_the_last_loop(db):
    demo.create_demo(AppContext.operator())
    tenant = Tenant.get(Tenant.domain == DOMAIN)
    provision.menu(tenant, "Front", options={"1": "user:1002"}, short_number="5900", loops=2,
                   exit="user:1003")
    sim = run_simulation(Config(), db, caller(), "5900", CallerScript(default_leg=Leg("answer", talk=1)))
    session = sim.sessions[0]
    assert session.collected == ["", ""] and session.transfer[0].startswith("pbx-user-")
    assert any(step.startswith(f"bridge user/1003@{DOMAIN}: SUCCESS") for step in sim.steps)


def test_a_menu_option_to_another_menu_runs_both_in_one_session(db):
    demo.create_demo(AppContext.operator())
    tenant = Tenant.get(Tenant.domain == DOMAIN)
    provision.menu(tenant, "Sales", options={"1": "user:1002"})
    provision.menu(tenant, "Front", options={"2": "ivr:Sales"}, short_number="5900")
    sim = run_simulation(Config(), db, caller(), "5900", CallerScript(digits=["2", "1"], default_leg=Leg("answer")))
    assert len(sim.sessions) == 1 and sim.sessions[0].collected == ["2", "1"]
    assert any(step.startswith(f"bridge user/1002@{DOMAIN}: SUCCESS") for step in sim.steps)
