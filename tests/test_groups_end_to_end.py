"""A group created through groups.app is reached by its short number and by a DID through the
xml_curl dialplan; the default registry runs it from the database over TCP and records the call;
a schedule a group uses cannot be removed."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.esl.server import EslServer
from fs_plugins.models.groups import GroupCall
from fs_plugins.models.schedule import Schedule
from fs_plugins.schedule.settings import remove_schedule
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript, Leg
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.test_xml_curl import actions, app, dialplan_fields, pbx, post  # noqa: F401  (fixtures)
from tests import provision
from tests.flows import installed_flows


def test_the_short_number_of_a_group_hands_the_call_to_the_group_session(app, pbx):
    acme, _ = pbx
    row = provision.group(acme, "Sales", short_number="600")
    steps = actions(post(app, dialplan_fields(destination="600")))
    assert ("set", "pbx_flow=group") in steps and ("set", f"pbx_flow_object={row.id}") in steps
    assert ("socket", "127.0.0.1:18084 async full") in steps and steps[-1][0] == "hangup"


def test_a_did_routed_to_a_group_enters_the_tenant_at_the_groups_routing_extension(app, pbx):
    acme, _ = pbx
    row = provision.group(acme, "Sales")
    provision.number(acme, "+15550001999", "group:Sales")
    steps = actions(post(app, dialplan_fields(context="public", destination="+15550001999")))
    assert ("transfer", f"pbx-group-{row.id} XML acme.example") in steps
    steps = actions(post(app, dialplan_fields(destination=f"pbx-group-{row.id}")))
    assert ("set", "pbx_flow=group") in steps


def test_the_installed_flows_run_a_stored_group_and_records_who_answered(pbx, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # no FreeSWITCH event socket here
    acme, _ = pbx
    row = provision.group(acme, "Sales", ("1001", "1002"), ring_mode="consecutive", member_seconds="5")
    server = EslServer(Config(esl_port=0), installed_flows())
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "group", "pbx_flow_object": str(row.id),
                                     "pbx_tenant": "acme.example"})
        script = CallerScript(legs={"user/1002@acme.example": Leg("answer", 1, 4)})
        report = Emulator(server.address, setup, script, idle_timeout=2).run()
    finally:
        server.stop(timeout=1)
    assert report.bridges[-1] == ("user/1002@acme.example", "SUCCESS")
    call = GroupCall.get()
    # 5 s ringing 1001, then 1002 answers after 1 s (FreeSWITCH's bridge timing)
    assert call.outcome == "answered" and call.member_user.extension == "1002" and call.wait_seconds == 6


def test_a_schedule_used_by_a_group_cannot_be_removed(pbx):
    acme, _ = pbx
    schedule = Schedule.create(tenant=acme, name="Office")
    provision.group(acme, "Sales", opening="schedule", schedule="Office", closed_destination="hangup")
    with pytest.raises(InvalidInput) as refused:
        remove_schedule(schedule)
    assert "Sales" in str(refused.value)
