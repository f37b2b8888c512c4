"""Call recording in the dialplan the xml_curl handler serves (XPath on the XML), from the recorded
INVITE of user 1001 re-aimed: each policy's actions before the bridge, the tenant's folder and the
call's uuid in the file name, on-demand keys, groups, the announcement, and no tenant's policy
reaching another tenant's calls."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.recording import app as recording
from tests import provision
from tests.provision import OPERATOR
from tests.test_xml_curl import actions, dialplan_fields, post
from xml_curl.app import make_app

FOLDER = "/srv/rec"
STEREO = [("set", "RECORD_STEREO=true"), ("set", "RECORD_BRIDGE_REQ=true"), ("set", "RECORD_MIN_SEC=2")]


@pytest.fixture
def world(db):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    globex = provision.tenant("Globex", "globex.example", "Europe/Madrid", "en", "ES")
    for ext in ("1001", "1002", "1003"):
        provision.user(acme, ext, f"User {ext}", password=f"acme-{ext}-pw")
    provision.user(globex, "1002", "Gina", password="globex-1002-pw")
    provision.group(acme, "Ventas", members=("1002", "1003"))
    provision.number(acme, "+34910000001", "group:Ventas")
    return acme, globex, make_app(Config(recordings_dir=FOLDER), db)


def dial(app, destination, context="acme.example", caller="1001@acme.example", **extra):
    return actions(post(app, dialplan_fields(context=context, destination=destination,
                                             variable_pbx_user_id=caller, **extra)))


def recorded_steps(tenant_id: int) -> list:
    return STEREO + [("set", f"pbx_recording={tenant_id}/${{uuid}}.wav"),
                     ("record_session", f"{FOLDER}/{tenant_id}/${{uuid}}.wav")]


def before_bridge(steps: list) -> list:
    return steps[:[application for application, _ in steps].index("bridge")]


def test_nobody_is_recorded_without_a_policy(world):
    acme, _, app = world
    steps = dial(app, "1002")
    assert not [s for s in steps if s[0] in ("record_session", "bind_meta_app") or "RECORD_" in s[1]]


@pytest.mark.parametrize("mode", ["inbound", "all"])
def test_a_user_who_records_what_they_receive_has_the_call_recorded_before_the_bridge(world, mode):
    acme, _, app = world
    recording.set_policy(OPERATOR, "acme.example", mode, user="1002")
    steps = dial(app, "1002")
    head = before_bridge(steps)
    start = head.index(STEREO[0])
    assert head[start:start + len(recorded_steps(acme.id))] == recorded_steps(acme.id)
    assert ("bridge", "user/1002@acme.example") in steps


@pytest.mark.parametrize("mode", ["outbound", "never", "on_demand"])
def test_a_callee_whose_policy_does_not_record_received_calls_is_not_recorded_from_the_start(world, mode):
    _, _, app = world
    recording.set_policy(OPERATOR, "acme.example", mode, user="1002")
    assert "record_session" not in [application for application, _ in dial(app, "1002")]


def test_the_calling_users_outbound_policy_records_calls_to_colleagues_and_to_numbers(world):
    acme, _, app = world
    recording.set_policy(OPERATOR, "acme.example", "outbound", user="1001")
    assert ("record_session", f"{FOLDER}/{acme.id}/${{uuid}}.wav") in dial(app, "1002")
    to_number = dial(app, "+34600111222")
    assert ("record_session", f"{FOLDER}/{acme.id}/${{uuid}}.wav") in to_number
    assert to_number[-1][0] == "bridge"


def test_a_barred_number_is_not_recorded(world):
    _, _, app = world
    recording.set_policy(OPERATOR, "acme.example", "all", user="1001")
    steps = dial(app, "+34806000000")  # premium: barred by default
    assert steps[-1][0] == "hangup" and "record_session" not in [a for a, _ in steps]


def test_on_demand_binds_star_two_on_the_users_leg_and_toggles(world):
    acme, _, app = world
    recording.set_policy(OPERATOR, "acme.example", "on_demand", user="1002")
    steps = before_bridge(dial(app, "1002"))
    assert ("set", "RECORD_TOGGLE_ON_REPEAT=true") in steps and ("set", "RECORD_APPEND=true") in steps
    assert ("bind_meta_app", f"2 b a record_session::{FOLDER}/{acme.id}/${{uuid}}.wav") in steps
    recording.set_policy(OPERATOR, "acme.example", "on_demand", user="1001")
    assert ("bind_meta_app", f"2 ab a record_session::{FOLDER}/{acme.id}/${{uuid}}.wav") in dial(app, "1002")


def test_the_announcement_plays_before_a_recorded_call_when_the_tenant_asks(world):
    acme, _, app = world
    recording.set_policy(OPERATOR, "acme.example", "inbound", user="1002")
    recording.set_settings(OPERATOR, "acme.example", announce=True)
    steps = dial(app, "1002")
    at = steps.index(("playback", "misc/call_monitoring_blurb.wav"))
    assert steps[at + 1] == ("record_session", f"{FOLDER}/{acme.id}/${{uuid}}.wav")


def test_a_group_that_records_records_its_calls_before_the_flow_bridges_a_member(world):
    acme, _, app = world
    recording.set_policy(OPERATOR, "acme.example", "inbound", group="Ventas")
    steps = dial(app, "pbx-group-" + str(provision.group_id(acme, "Ventas")), caller="")
    socket = [application for application, _ in steps].index("socket")
    assert ("record_session", f"{FOLDER}/{acme.id}/${{uuid}}.wav") in steps[:socket]


def test_another_tenants_policy_never_reaches_a_tenants_calls(world):
    acme, globex, app = world
    recording.set_policy(OPERATOR, "globex.example", "all", user="1002")
    assert "record_session" not in [a for a, _ in dial(app, "1002")]
    steps = dial(app, "1002", context="globex.example", caller="1001@globex.example")
    assert ("record_session", f"{FOLDER}/{globex.id}/${{uuid}}.wav") in steps


def test_a_policy_change_is_served_at_once(world):
    _, _, app = world
    assert "record_session" not in [a for a, _ in dial(app, "1002")]
    recording.set_policy(OPERATOR, "acme.example", "all", user="1002")
    assert "record_session" in [a for a, _ in dial(app, "1002")]
    recording.set_policy(OPERATOR, "acme.example", "never", user="1002")
    assert "record_session" not in [a for a, _ in dial(app, "1002")]


@pytest.mark.parametrize("folder", ["/srv/my recordings", "/srv/${x}", "/srv/a::b", "/srv/{a}"])
def test_a_recordings_folder_freeswitch_would_misread_is_refused_at_start(db, folder):
    with pytest.raises(InvalidInput) as refused:
        make_app(Config(recordings_dir=folder), db)
    assert refused.value.field == "recordings_dir"
