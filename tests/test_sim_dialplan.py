"""`centralita simulate`: an emulated call through the real dialplan handler and the real ESL flows."""
from __future__ import annotations

import pytest

from fs_plugins.application import AppContext
from fs_plugins import demo
from fs_plugins.cli import main
from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.models.core import ShortNumber, Tenant, User
from fs_plugins.models.ivr import IvrMenu, IvrOption
from fs_plugins.commands.simulate import run_simulation
from fs_plugins.sim.dialplan import Caller, bridge_outcome, parse_actions
from fs_plugins.sim.script import CallerScript, Leg
from tests import provision

DOMAIN = demo.DEMO_DOMAIN


@pytest.fixture
def tenant(db):
    demo.create_demo(AppContext.operator())
    return Tenant.get(Tenant.domain == DOMAIN)


def user_caller(extension="1001"):
    return Caller(extension, "Ana", DOMAIN, {"pbx_tenant": DOMAIN, "pbx_user_id": f"{extension}@{DOMAIN}",
                                             "user_context": DOMAIN})


def simulate(db, caller, destination, script=None):
    return run_simulation(Config(), db, caller, destination, script or CallerScript(default_leg=Leg("answer")))


def test_a_user_calling_a_colleague_is_bridged_through_the_real_dialplan(db, tenant):
    sim = simulate(db, user_caller(), "1002")
    assert any(step.startswith(f"bridge user/1002@{DOMAIN}: SUCCESS") for step in sim.steps)
    form = sim.requests[0]
    assert (form["section"], form["Hunt-Context"], form["Caller-Caller-ID-Number"], form["variable_pbx_user_id"]) == (
        "dialplan", DOMAIN, "1001", f"1001@{DOMAIN}")


def test_a_colleague_who_does_not_answer_is_reported(db, tenant):
    sim = simulate(db, user_caller(), "1002", CallerScript(default_leg=Leg("no_answer")))
    assert any("NO_ANSWER" in step for step in sim.steps)


def test_a_menu_choice_leads_the_call_from_the_esl_flow_back_to_the_dialplan(db, tenant):
    reception = User.get(User.tenant == tenant, User.extension == "1003")
    menu = IvrMenu.create(tenant=tenant, name="main")
    IvrOption.create(menu=menu, key="2", destination=Destination("user", str(reception.id)))
    ShortNumber.create(tenant=tenant, number="5000", destination=Destination("ivr", str(menu.id)))
    sim = simulate(db, user_caller(), "5000", CallerScript(digits=["2"], default_leg=Leg("answer")))
    session = sim.sessions[0]
    assert session.collected == ["2"] and session.transfer[1] == DOMAIN
    assert sim.requests[1]["Hunt-Destination-Number"] == session.transfer[0]
    assert "Hunt-Transfer-Source" in sim.requests[1]
    assert any(step.startswith(f"bridge user/1003@{DOMAIN}: SUCCESS") for step in sim.steps)
    variables = sim.cdr["variables"]
    assert (variables["uuid"], variables["hangup_cause"], variables["pbx_call_type"]) == (
        sim.uuid, "NORMAL_CLEARING", "internal")
    assert int(variables["billsec"]) > 0 and variables["transfer_history"].endswith(f"/{DOMAIN}/XML")


def test_the_xml_curl_answer_is_read_like_freeswitch_reads_it():
    doc = (b'<document type="freeswitch/xml"><section name="dialplan"><context name="a"><extension name="x">'
           b'<condition><action application="set" data="a=b"/><action application="answer"/></condition>'
           b'</extension></context></section></document>')
    assert parse_actions(doc, "a") == [("set", "a=b"), ("answer", "")]
    not_found = b'<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>'
    assert parse_actions(not_found, "a") == [("hangup", "NO_ROUTE_DESTINATION")]


def test_bridge_outcomes_in_the_dialplan_follow_the_script():
    script = CallerScript(legs={"user/1@a": Leg("busy"), "user/2@a": Leg("answer")})
    assert bridge_outcome("{x=1}user/1@a", script) == ("USER_BUSY", "USER_BUSY")
    assert bridge_outcome("user/1@a|[leg_timeout=5]user/2@a", script) == ("SUCCESS", "NORMAL_CLEARING")


@pytest.mark.parametrize("argv, field", [
    (["--from", "nobody", "--to", "1002"], "--from"),
    (["--from", "1001@x.example", "--to", "1002", "--digits", "1,x"], "--digits"),
    (["--from", "1001@x.example", "--to", "1002", "--dtmf", "soon:1"], "--dtmf"),
    (["--from", "1001@x.example", "--to", "1002", "--leg", "user/1=maybe"], "--leg"),
    (["--from", "1001@x.example", "--to", "1002", "--transfer", "sideways:3:1003"], "--transfer"),
    (["--from", "1001@x.example", "--to", "1002", "--transfer", "blind:soon:1003"], "--transfer"),
])
def test_bad_options_are_refused_naming_the_option(tmp_path, capsys, argv, field):
    assert main(["--data-dir", str(tmp_path), "simulate", *argv]) == 2
    assert field in capsys.readouterr().err


def test_an_unknown_caller_is_not_found(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "simulate", "--from", "1001@nowhere.example", "--to", "1002"]) == 1
    assert "no user 1001" in capsys.readouterr().err


def test_a_did_routed_to_a_message_answers_plays_it_and_hangs_up(db, tenant, tmp_path):
    from fs_plugins.models.audio import AudioFile
    from fs_plugins.models.core import Number

    wav = tmp_path / "welcome.wav"
    wav.write_bytes(b"RIFF")
    audio = AudioFile.create(tenant=tenant, name="welcome", path=str(wav), sample_rate=8000, duration_ms=2000)
    Number.create(tenant=tenant, e164="+34910000009", destination=Destination("message", str(audio.id)))
    sim = simulate(db, Caller("+14155550123"), "+34910000009")
    session = sim.sessions[-1]
    assert session.played == [str(wav)] and session.hangup_cause == "NORMAL_CLEARING"
    assert sim.requests[0]["Hunt-Context"] == "public" and sim.hangup_cause == "NORMAL_CLEARING"


def test_the_call_log_receives_the_b_leg_and_the_a_leg_like_from_freeswitch(db, tenant):
    from fs_plugins.sim import cdr
    from fs_plugins.web import make_web_app

    sim = simulate(db, user_caller(), "1002")
    [(b_uuid, b_leg)] = sim.b_legs
    assert b_leg["variables"]["originating_leg_uuid"] == sim.uuid and b_leg["variables"]["dialed_user"] == "1002"
    assert "app_log" not in b_leg and b_leg["channel_data"]["direction"] == "outbound"
    app = make_web_app(Config())
    assert [cdr.post(app, body, uuid) for uuid, body in [*sim.b_legs, (sim.uuid, sim.cdr)]] == ["200 OK", "200 OK"]


def test_a_group_whose_no_answer_destination_is_itself_ends_at_the_hop_limit(db, tenant):
    from fs_plugins.models.groups import CallGroup

    sales = provision.group(tenant, "Sales", ("1002",), short_number="600", total_seconds="5")
    # Stored before such a destination was refused (or written directly): the flows must still end it.
    CallGroup.update(no_answer_destination=Destination("group", str(sales.id))).where(CallGroup.id == sales.id).execute()
    sim = simulate(db, user_caller(), "600", CallerScript(default_leg=Leg("no_answer")))
    assert sim.hangup_cause == "EXCHANGE_ROUTING_ERROR"
    assert not any("dialplan fetches (routing loop?)" in step for step in sim.steps)  # not the emulator's guard
    hops = [int(form.get("variable_pbx_hops", 0)) for form in sim.requests]
    assert hops == sorted(hops) and hops[-1] == 9 and len(sim.sessions) == 9


def test_a_group_cannot_be_set_to_route_to_itself(db, tenant):
    from fs_plugins.errors import InvalidInput
    from fs_plugins.groups import app as groups

    provision.group(tenant, "Sales")
    for setting in ("no_answer_destination", "closed_destination", "overflow_destination"):
        with pytest.raises(InvalidInput) as refused:
            groups.change_group(provision.OPERATOR, tenant.domain, "Sales", **{setting: "group:Sales"})
        assert refused.value.field == setting and "itself" in refused.value.message
    assert groups.get_group(provision.OPERATOR, tenant.domain, "Sales").no_answer_destination is None
