"""Call pickup: pickup groups (default: the tenant), whose ringing calls *8 and **EXT may take,
the choice among ringing legs (pure), the `pickup` flow on a fake channel and through the emulator
(`show channels`, then `intercept -bleg` of the chosen leg), and the schema upgrade that added
pickup groups."""
from __future__ import annotations

import pytest

from fs_plugins import db as dbmod
from fs_plugins.channel import RingingLeg, SessionInfo
from fs_plugins.commands.simulate import caller_from_args, run_simulation
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.featurecodes import app, rules
from fs_plugins.featurecodes.flow import REFUSED, pickup_flow
from fs_plugins.featurecodes.kinds import GROUP_PICKUP
from fs_plugins.models import Tenant
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.featurecodes import FeatureCode, PickupMember
from fs_plugins.sim.script import CallerScript
from tests import provision
from tests.fake_channel import FakeChannel
from tests.provision import OPERATOR
from tests.test_xml_curl import actions, dialplan_fields, post
from xml_curl.app import make_app

A = "acme.example"


@pytest.fixture
def acme(db):
    acme = provision.tenant("Acme", A, country="ES")
    globex = provision.tenant("Globex", "globex.example", country="ES")
    for ext in ("1001", "1002", "1003", "1004"):
        provision.user(acme, ext, f"User {ext}", password="password-" + ext)
    provision.user(globex, "1002", "Gina", password="password-g")
    return acme


def leg(uuid, presence, created=100):
    return RingingLeg(uuid, presence, created)


# --- the choice (pure) --------------------------------------------------------------------------

@pytest.mark.parametrize("legs, expected", [
    ([], None),
    ([leg("a", "1002@acme.example")], "a"),
    ([leg("a", "1002@acme.example", 200), leg("b", "1003@acme.example", 100)], "b"),  # ringing longest
    ([leg("a", "1001@acme.example")], None),  # the picker's own call
    ([leg("a", "1002@globex.example")], None),  # another tenant's user of the same extension
    ([leg("a", "1004@acme.example")], None),  # not in the picker's group
])
def test_pickup_takes_the_longest_ringing_call_of_a_user_the_picker_may_pick_up_from(legs, expected):
    allowed = frozenset({"1001@acme.example", "1002@acme.example", "1003@acme.example"})
    chosen = rules.pickup_choice(legs, allowed, "1001@acme.example")
    assert (chosen.uuid if chosen else None) == expected


def test_only_ringing_outbound_legs_are_read_from_show_channels():
    text = ('{"row_count": 3, "rows": ['
            '{"uuid": "u1", "direction": "outbound", "callstate": "RINGING", "presence_id": "1002@a", '
            '"created_epoch": "170"},'
            '{"uuid": "u2", "direction": "outbound", "callstate": "ACTIVE", "presence_id": "1003@a"},'
            '{"uuid": "u3", "direction": "inbound", "callstate": "RINGING", "presence_id": "1004@a"}]}')
    assert RingingLeg.from_show_channels(text) == [RingingLeg("u1", "1002@a", 170)]
    assert RingingLeg.from_show_channels('{"row_count": 0}') == []
    assert RingingLeg.from_show_channels("-ERR no reply") == []


# --- pickup groups (application layer) ----------------------------------------------------------

def test_by_default_every_user_of_the_tenant_may_pick_up_every_colleague(acme):
    assert app.pickup_allowed(A, "1001", GROUP_PICKUP) == {f"{e}@{A}" for e in ("1001", "1002", "1003", "1004")}


def test_a_pickup_group_limits_star_8_to_its_members_and_is_audited(acme):
    app.set_pickup_group(OPERATOR, A, "1001", "Ventas")
    app.set_pickup_group(OPERATOR, A, "1002", "Ventas")
    assert app.pickup_allowed(A, "1001", GROUP_PICKUP) == {f"1001@{A}", f"1002@{A}"}
    assert app.pickup_allowed(A, "1003", GROUP_PICKUP) == {f"1003@{A}", f"1004@{A}"}
    assert app.pickup_allowed(A, "1003", "1002") == {f"1002@{A}"}  # directed pickup: any colleague
    assert [(v.extension, v.group) for v in app.list_pickup(OPERATOR, A)][:2] == [("1001", "Ventas"),
                                                                                  ("1002", "Ventas")]
    assert AuditEntry.select().where(AuditEntry.action == "pickup.update").count() == 2
    app.set_pickup_group(OPERATOR, A, "1001", "")
    assert PickupMember.select().count() == 1


def test_directed_pickup_never_reaches_another_tenant_nor_a_missing_user(acme):
    assert app.pickup_allowed(A, "1001", "1009") == frozenset()
    assert app.pickup_allowed("globex.example", "1002", "1001") == frozenset()
    assert app.pickup_allowed(A, "1009", GROUP_PICKUP) == frozenset()


@pytest.mark.parametrize("group", ["x" * 33, "Ventas${x}", "Ven\ntas"])
def test_a_bad_group_name_is_refused_and_nothing_is_stored(acme, group):
    with pytest.raises(InvalidInput) as error:
        app.set_pickup_group(OPERATOR, A, "1001", group)
    assert error.value.field == "group" and PickupMember.select().count() == 0


# --- the flow -----------------------------------------------------------------------------------

def info(target=GROUP_PICKUP, caller="1001@acme.example"):
    return SessionInfo("call-1", tenant=A, flow="pickup", flow_object=target, variables={"pbx_user_id": caller})


def test_the_flow_intercepts_the_chosen_leg():
    channel = FakeChannel(info(), ringing=[leg("b-2", f"1002@{A}")])
    pickup_flow(lambda tenant, picker, target: frozenset({f"1002@{A}"}))(channel, channel.info)
    assert ("intercept", "-bleg b-2") in channel.commands and channel.hung_up == "NORMAL_CLEARING"
    # first the ringing leg is told who takes it, so its CDR says who answered (calllog.classify)
    assert channel.commands.index(("uuid_setvar", f"b-2 pbx_picked_up_by 1001@{A}")) \
        < channel.commands.index(("intercept", "-bleg b-2"))


def test_with_nothing_to_pick_up_the_caller_hears_so_and_nothing_is_intercepted():
    channel = FakeChannel(info(), ringing=[leg("b-2", f"1004@{A}")])
    pickup_flow(lambda tenant, picker, target: frozenset({f"1002@{A}"}))(channel, channel.info)
    assert REFUSED in channel.played and not any(c == "intercept" for c, _ in channel.commands)


def test_dialplan_hands_star_8_and_directed_pickup_to_the_pickup_flow(acme, db):
    xml = make_app(Config(), db)
    group = actions(post(xml, dialplan_fields(destination="*8", variable_pbx_user_id=f"1001@{A}")))
    direct = actions(post(xml, dialplan_fields(destination="**1002", variable_pbx_user_id=f"1001@{A}")))
    assert ("set", "pbx_flow=pickup") in group and ("set", "pbx_flow_object=group") in group
    assert ("set", "pbx_flow_object=1002") in direct


def test_the_emulator_runs_a_directed_pickup_with_intercept(acme, db):
    ringing = [{"uuid": "leg-1003", "direction": "outbound", "callstate": "RINGING", "presence_id": f"1003@{A}",
                "created_epoch": "100"},
               {"uuid": "leg-1002", "direction": "outbound", "callstate": "EARLY", "presence_id": f"1002@{A}",
                "created_epoch": "200"}]
    sim = run_simulation(Config(), db, caller_from_args(f"1001@{A}", db), "**1002", CallerScript(ringing=ringing))
    assert any("intercepts the call ringing 1002@acme.example (leg-1002)" in step for step in sim.steps), sim.steps
    assert ringing[1]["variables"] == {"pbx_picked_up_by": f"1001@{A}"} and "variables" not in ringing[0]


def test_a_busy_lamp_key_picks_up_with_the_dialog_target_freeswitch_gives_whatever_the_tenants_code(acme, db):
    # mod_sofia's dialog-info for a ringing 1002 carries <target uri="sip:**1002@acme.example"/>;
    # the phone dials it when its lamp key is pressed, even though Acme moved directed pickup to *88
    app.set_code(OPERATOR, A, "pickup_direct", "*88")
    ringing = [{"uuid": "leg-1002", "direction": "outbound", "callstate": "EARLY", "presence_id": f"1002@{A}",
                "created_epoch": "200"},
               {"uuid": "leg-g", "direction": "outbound", "callstate": "RINGING", "presence_id": "1002@globex.example",
                "created_epoch": "100"}]
    sim = run_simulation(Config(), db, caller_from_args(f"1001@{A}", db), "**1002", CallerScript(ringing=ringing))
    assert any("intercepts the call ringing 1002@acme.example (leg-1002)" in step for step in sim.steps), sim.steps
    # a Globex phone's lamp on Globex's 1002 never takes Acme's 1002's call
    provision.user(Tenant.get(Tenant.domain == "globex.example"), "1003", "Gil", password="password-g3")
    sim = run_simulation(Config(), db, caller_from_args("1003@globex.example", db), "**1002",
                         CallerScript(ringing=ringing[:1]))
    assert not any("intercept" in step for step in sim.steps), sim.steps


def test_the_emulator_says_so_when_nothing_rings(acme, db):
    sim = run_simulation(Config(), db, caller_from_args(f"1001@{A}", db), "*8", CallerScript())
    assert any("ivr-that_was_an_invalid_entry.wav" in step for step in sim.steps), sim.steps
    assert not any("intercept" in step for step in sim.steps)


# --- the schema ---------------------------------------------------------------------------------

def test_a_database_from_before_pickup_groups_is_upgraded_keeping_its_codes(db):
    provision.tenant("Acme", A, country="ES")
    app.set_code(OPERATOR, A, "dnd_on", "*4")
    db.drop_tables([PickupMember])
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'featurecodes'")
    assert ("featurecodes", 1, 2) in dbmod.upgrade(db)
    assert [(row.feature, row.code) for row in FeatureCode.select()] == [("dnd_on", "*4")]
    assert PickupMember.select().count() == 0 and dbmod.schema_versions(db)["featurecodes"] == 2
