"""Feature codes as pure decisions: which feature a dialled number asks for, which tables are
consistent, and the dialplan each code gets (fs_plugins/featurecodes/rules.py)."""
from __future__ import annotations

import pytest

from fs_plugins.featurecodes import rules
from fs_plugins.featurecodes.kinds import FEATURES
from fs_plugins.featurecodes.rules import CodeCall, Match, Target, UNKNOWN

DEFAULTS = rules.table({})
CALL = CodeCall("acme.example", "1001", "127.0.0.1:8084")


@pytest.mark.parametrize("dialled, expected", [
    ("1002", None),  # no code: routing goes on
    ("+34911234567", None),
    ("*78", Match("dnd_on")),
    ("*79", Match("dnd_off")),
    ("*76", Match("dnd_toggle")),
    ("*73", Match("forward_always_off")),
    ("*72600123456", Match("forward_always_on", "600123456")),
    ("*72+34600123456", Match("forward_always_on", "+34600123456")),
    ("*721002", Match("forward_always_on", "1002")),
    ("*72", Match("forward_always_on", "", valid=False)),  # the number is missing
    ("*72*5", Match("forward_always_on", "*5", valid=False)),
    ("*7", Match(UNKNOWN, valid=False)),
    ("*99999", Match(UNKNOWN, valid=False)),
    ("#", Match(UNKNOWN, valid=False)),
    ("*97", Match("voicemail")),
    ("*801002", Match("intercom", "1002")),
    ("*80", Match("intercom", "", valid=False)),
    ("*80123456789", Match("intercom", "123456789", valid=False)),  # longer than an extension
    ("*81600", Match("paging", "600")),  # a call group's short number
    ("*81", Match("paging", "", valid=False)),
])
def test_a_dialled_number_asks_for_the_feature_of_its_code(dialled, expected):
    assert rules.match(DEFAULTS, dialled) == expected


def test_the_default_table_is_consistent_and_every_feature_has_a_code():
    assert rules.problems(DEFAULTS) == []
    assert set(DEFAULTS) == {feature.name for feature in FEATURES} and all(DEFAULTS.values())


def test_a_changed_code_replaces_the_default_and_an_empty_one_turns_the_feature_off():
    codes = rules.table({"dnd_on": "*4", "dnd_off": ""})
    assert rules.match(codes, "*4") == Match("dnd_on")
    assert rules.match(codes, "*78") == Match(UNKNOWN, valid=False)
    assert rules.match(codes, "*79") == Match(UNKNOWN, valid=False)


def test_the_longest_code_that_takes_a_number_wins():
    codes = rules.table({"intercom": "*8", "forward_busy_on": "*83"})  # inconsistent, but matched predictably
    assert rules.match(codes, "*831002") == Match("forward_busy_on", "1002")


@pytest.mark.parametrize("overrides, feature, why", [
    ({"dnd_on": "*79"}, "dnd_off", "already the code of dnd_on"),
    ({"dnd_on": "78"}, "dnd_on", "must be * or #"),
    ({"dnd_on": "*78${x}"}, "dnd_on", "must be * or #"),
    ({"dnd_on": "*7,8"}, "dnd_on", "must be * or #"),
    ({"dnd_on": "*123456789"}, "dnd_on", "must be * or #"),
    ({"intercom": "*7"}, "intercom", "cannot also start *78"),
])
def test_an_inconsistent_table_names_the_feature_and_why(overrides, feature, why):
    found = rules.problems(rules.table(overrides))
    assert any(name == feature and why in text for name, text in found), found


@pytest.mark.parametrize("overrides", [{}, {"pickup_direct": "*88"}])
def test_a_busy_lamp_key_on_a_ringing_colleague_picks_the_call_up_whatever_the_tenants_code(overrides):
    # mod_sofia's dialog-info gives an early dialog the remote target sip:**EXT@domain, which the
    # phone dials when the lamp's key is pressed
    codes = rules.table(overrides)
    assert rules.match(codes, "**1002") == Match("pickup_direct", "1002")
    actions = [a.as_tuple() for a in rules.code_actions(rules.match(codes, "**1002"), CALL)]
    assert ("set", "pbx_flow=pickup") in actions and ("set", "pbx_flow_object=1002") in actions
    assert rules.match(codes, "**1234567") != Match("pickup_direct", "1234567")  # no extension is that long


def test_a_tenant_that_turned_directed_pickup_off_has_no_pickup_from_busy_lamps_either():
    assert rules.match(rules.table({"pickup_direct": ""}), "**1002") == Match(UNKNOWN, valid=False)


@pytest.mark.parametrize("overrides, feature", [
    ({"pickup_direct": "*88", "dnd_on": "**5"}, "dnd_on"),
    ({"pickup_direct": "*88", "intercom": "**"}, "intercom"),
])
def test_only_directed_pickup_may_have_a_code_starting_with_two_stars(overrides, feature):
    assert [name for name, _ in rules.reserved(rules.table(overrides))] == [feature]
    assert "codes starting with ** are for call pickup" in rules.reserved(rules.table(overrides))[0][1]
    assert rules.reserved(rules.table({})) == []


def test_a_code_without_argument_may_start_one_with_an_argument():
    assert rules.problems(rules.table({"dnd_on": "*6", "intercom": "*60"})) == []


def test_a_settings_code_hands_the_call_to_the_featurecode_flow_with_its_argument():
    actions = [a.as_tuple() for a in rules.code_actions(Match("forward_always_on", "600123456"), CALL)]
    assert actions == [("set", "pbx_feature_argument=600123456"), ("set", "pbx_flow=featurecode"),
                       ("set", "pbx_flow_object=forward_always_on"), ("set", "pbx_tenant=acme.example"),
                       ("socket", "127.0.0.1:8084 async full"), ("hangup", "DESTINATION_OUT_OF_ORDER")]


def test_a_bad_code_is_answered_with_the_invalid_entry_prompt_and_changes_nothing():
    actions = [a.as_tuple() for a in rules.code_actions(Match(UNKNOWN, valid=False), CALL)]
    assert ("playback", rules.REFUSED_PROMPT) in actions and ("set", "pbx_flow=featurecode") in actions
    assert not any(app == "socket" for app, _ in actions)


def test_a_caller_who_is_no_user_of_the_tenant_has_no_codes():
    actions = [a.as_tuple() for a in rules.code_actions(Match("dnd_on"), CodeCall("acme.example", "", "x:1"))]
    assert actions == [("hangup", "UNALLOCATED_NUMBER")]


def test_voicemail_codes_open_the_callers_box_or_ask_for_one():
    own = [a.as_tuple() for a in rules.code_actions(Match("voicemail"), CALL)]
    anyone = [a.as_tuple() for a in rules.code_actions(Match("voicemail_any"), CALL)]
    assert ("voicemail", "check default acme.example 1001") in own
    assert ("voicemail", "check default acme.example") in anyone


def test_intercom_rings_the_user_with_the_auto_answer_headers_of_the_common_phones():
    call = CodeCall("acme.example", "1001", "x:1", Target("1002"))
    actions = [a.as_tuple() for a in rules.code_actions(Match("intercom", "1002"), call)]
    bridge = dict(actions)["bridge"]
    assert bridge.endswith("]user/1002@acme.example")
    assert "sip_h_Call-Info=<sip:acme.example>;answer-after=0" in bridge
    assert "sip_h_Alert-Info=<http://www.notused.com>;info=alert-autoanswer;delay=0" in bridge
    assert ("set", "pbx_target_user=1002@acme.example") in actions


@pytest.mark.parametrize("target, expected", [
    (None, ("playback", rules.REFUSED_PROMPT)),  # no such user
    (Target("1001"), ("playback", rules.REFUSED_PROMPT)),  # oneself
    (Target("1002", dnd=True), ("hangup", "USER_BUSY")),
])
def test_intercom_to_nobody_oneself_or_a_user_in_dnd_does_not_ring(target, expected):
    call = CodeCall("acme.example", "1001", "x:1", target)
    actions = [a.as_tuple() for a in rules.code_actions(Match("intercom", "1002"), call)]
    assert expected in actions and not any(app == "bridge" for app, _ in actions)


def test_pickup_codes_hand_the_call_to_the_pickup_flow_with_the_extension_or_the_group():
    group = [a.as_tuple() for a in rules.code_actions(rules.match(DEFAULTS, "*8"), CALL)]
    direct = [a.as_tuple() for a in rules.code_actions(rules.match(DEFAULTS, "**1002"), CALL)]
    assert ("set", "pbx_flow=pickup") in group and ("set", "pbx_flow_object=group") in group
    assert ("set", "pbx_flow_object=1002") in direct and ("socket", "127.0.0.1:8084 async full") in direct
    assert rules.match(DEFAULTS, "**") == Match("pickup_direct", "", valid=False)
