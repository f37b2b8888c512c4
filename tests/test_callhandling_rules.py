"""Pure call-handling decisions: number categories, restrictions, and the action lists (no database)."""
import pytest

from fs_plugins.callhandling import numbers, rules
from fs_plugins.callhandling.records import OutboundData, RingLeg, Settings, UserCallData, combine_allowed
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.actions import Action, hangup

CALL = rules.Call("acme.example", "ES", 7, "1002", 0, "sofia/gateway/carrier/{e164}", "ivr/confirm.wav")


def render(destination):
    return [Action("rendered", str(destination))]


@pytest.mark.parametrize("number,country,expected", [
    ("+34911234567", "ES", ("national",)),
    ("+34600123456", "ES", ("mobile",)),
    ("+34902123456", "ES", ("special",)),
    ("+34803123456", "ES", ("premium",)),
    ("+34900123456", "ES", ()),  # toll-free: always allowed
    ("+442079460000", "ES", ("international",)),
    ("+34803123456", "US", ("premium", "international")),
    ("+19005550199", "US", ("premium",)),
    ("+14165550123", "US", ("national",)),  # Canada shares +1: dialled and paid like a national call
])
def test_numbers_fall_into_cost_categories(number, country, expected):
    assert numbers.categories(number, country) == expected


def test_the_block_reason_is_the_first_category_not_allowed():
    assert numbers.blocked_reason("+34803123456", "US", frozenset({"international"})) == "premium"
    assert numbers.blocked_reason("+34803123456", "US", frozenset({"premium"})) == "international"
    assert numbers.blocked_reason("+34900123456", "ES", frozenset()) is None


@pytest.mark.parametrize("dialled,result", [
    ("911 23 45 67", ("+34911234567", None)), ("0034911234567", ("+34911234567", None)),
    ("12", (None, "UNALLOCATED_NUMBER")), ("hello", (None, "INVALID_NUMBER_FORMAT")),
])
def test_dialled_numbers_are_normalised_with_the_tenant_country(dialled, result):
    assert numbers.normalise(dialled, "ES") == result


def test_allowed_lists_parse_strictly_on_input_and_leniently_from_the_database():
    assert numbers.parse_allowed("National, mobile") == {"national", "mobile"}
    assert numbers.parse_allowed("none") == frozenset() and numbers.parse_allowed("all") == set(numbers.CATEGORIES)
    with pytest.raises(InvalidInput, match="--allow"):
        numbers.parse_allowed("national,everything")
    assert numbers.stored_allowed("national,${x},premium") == {"national", "premium"}
    assert numbers.stored_allowed(None) == numbers.DEFAULT_ALLOWED


def test_a_user_row_only_narrows_the_tenant_and_a_missing_one_follows_it():
    assert combine_allowed(None, None) == numbers.DEFAULT_ALLOWED
    assert combine_allowed(frozenset(numbers.CATEGORIES), None) == set(numbers.CATEGORIES)
    assert combine_allowed(frozenset({"national"}), frozenset({"national", "premium"})) == {"national"}


def test_legs_that_would_start_after_the_ring_time_or_may_not_be_called_are_left_out():
    legs = (RingLeg(Destination("number", "+34600123456"), delay=20),
            RingLeg(Destination("number", "+34803123456")),
            RingLeg(Destination("user", "9"), delay=3, extension="1003"))
    data = UserCallData(Settings(no_answer_seconds=20), legs)
    assert rules.ring_legs(CALL, data) == ["[leg_delay_start=3]user/1003@acme.example"]


def test_an_unsafe_confirmation_prompt_is_never_put_into_a_leg():
    call = rules.Call("acme.example", "ES", 7, "1002", 0, "sofia/gateway/carrier/{e164}", "a,b]${x}")
    data = UserCallData(Settings(), (RingLeg(Destination("number", "+34600123456"), confirm=True),))
    assert rules.ring_legs(call, data) == [
        "[pbx_ring_of=1002@acme.example,presence_id=1002@acme.example,pbx_leg_user=1002@acme.example]"
        "sofia/gateway/carrier/+34600123456"]


def test_forwards_mark_the_reason_and_count_a_hop_before_going_anywhere():
    data = UserCallData(Settings(forward_always=Destination("ivr", "3")))
    assert rules.user_call(CALL, data, render)[:2] == [
        Action("set", "pbx_forwarded=always"), Action("set", "pbx_hops=1")]
    assert rules.user_call(CALL, data, render)[-1] == Action("rendered", "ivr:3")


def test_a_failover_for_a_cause_we_never_hand_over_does_nothing_but_fail():
    assert rules.failover(CALL, UserCallData(), "NORMAL_CLEARING", render) == [hangup("NORMAL_TEMPORARY_FAILURE")]


def test_calllog_passing_through_keep_the_callers_number_and_users_present_a_did():
    data = OutboundData(caller_id="+34910000000")
    through = rules.outbound_call("ES", "600123456", data, False, "gw/{digits}")
    assert through == [Action("set", "hangup_after_bridge=true"), Action("bridge", "gw/34600123456")]
    mine = rules.outbound_call("ES", "600123456", data, True, "gw/{digits}")
    assert mine[0] == Action("set", "effective_caller_id_number=+34910000000")


def test_the_markers_written_are_the_ones_the_call_log_knows():
    from fs_plugins import channel_vars
    import inspect
    source = inspect.getsource(rules)
    used = {"always", "no_answer", "busy", "not_registered", "dnd"}
    assert used <= set(channel_vars.FORWARD_REASONS) and all(f'"{reason}"' in source for reason in used)
    assert set(numbers.CATEGORIES) <= set(channel_vars.BLOCK_REASONS)
