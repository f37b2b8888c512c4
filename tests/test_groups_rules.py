"""The pure decisions of call groups, with their boundaries: who rings, when to overflow, what
to announce, opening hours; the queue's line discipline; member busy state from channel events."""
from __future__ import annotations


import pytest

from fs_plugins.destinations import HANGUP, Destination
from fs_plugins.groups import rules
from fs_plugins.groups.busy import BusyTracker
from fs_plugins.groups.records import Group, Leg, Member
from fs_plugins.groups.stats import Row, summarise

D = "acme.example"
TEMPLATE = "sofia/gateway/carrier/{e164}"


def user(ext, **kw):
    return Member(key=f"{ext}@{D}", user_id=int(ext), extension=ext, **kw)


def group(**kw):
    base = dict(id=1, tenant_id=1, domain=D, country="ES", name="Sales", kind="simple",
                ring_mode="simultaneous", member_seconds=10, total_seconds=25,
                members=(user("1001"), user("1002"), user("1003")))
    base.update(kw)
    return Group(**base)


# -- who rings -------------------------------------------------------------------------------

def test_simultaneous_rings_every_member_for_the_whole_timeout():
    (step,) = rules.ring_plan(group(), TEMPLATE)
    assert [leg.dial for leg in step.legs] == [f"user/100{i}@{D}" for i in (1, 2, 3)] and step.seconds == 25


def test_consecutive_rings_each_member_for_its_seconds_and_cuts_the_last_at_the_timeout():
    steps = rules.ring_plan(group(ring_mode="consecutive"), TEMPLATE)
    assert [(s.legs[0].member, s.seconds) for s in steps] == [(f"1001@{D}", 10), (f"1002@{D}", 10), (f"1003@{D}", 5)]


def test_consecutive_stops_when_the_timeout_is_used_up_exactly():
    steps = rules.ring_plan(group(ring_mode="consecutive", total_seconds=20), TEMPLATE)
    assert len(steps) == 2


def test_no_members_or_no_time_means_no_ringing():
    assert rules.ring_plan(group(members=()), TEMPLATE) == ()
    assert rules.ring_plan(group(total_seconds=0), TEMPLATE) == ()


def test_a_member_in_dnd_is_skipped():
    assert rules.member_dial(group(), user("1001", dnd=True), TEMPLATE) is None


@pytest.mark.parametrize("forward, extension, allowed, expected", [
    (Destination("user", "9"), "1009", frozenset({"national"}), f"user/1009@{D}"),
    (Destination("number", "+34911234567"), None, frozenset({"national"}),
     # the member's busy lamp and busy state
     "[presence_id=1001@acme.example,pbx_leg_user=1001@acme.example]sofia/gateway/carrier/+34911234567"),
    (Destination("number", "+34911234567"), None, frozenset(), None),  # the user may not call it
    (Destination("voicemail", "1"), None, frozenset({"national"}), None),  # a machine must not take it
    (Destination("user", "9"), None, frozenset({"national"}), None),  # target user gone or disabled
])
def test_a_members_forward_always_is_honoured_within_its_restrictions(forward, extension, allowed, expected):
    member = user("1001", forward=forward, forward_extension=extension, allowed=allowed)
    assert rules.member_dial(group(), member, TEMPLATE) == expected


def test_external_members_ring_only_when_the_tenants_restrictions_allow():
    member = Member(key="+34600123456", number="+34600123456", allowed=frozenset({"mobile"}))
    assert rules.member_dial(group(), member, "gw/{digits}") == "gw/34600123456"
    barred = Member(key="+34600123456", number="+34600123456", allowed=frozenset({"national"}))
    assert rules.member_dial(group(), barred, TEMPLATE) is None
    premium = Member(key="+34803123456", number="+34803123456", allowed=frozenset({"national", "mobile"}))
    assert rules.member_dial(group(), premium, TEMPLATE) is None


# -- opening -----------------------------------------------------------------------------------

@pytest.mark.parametrize("opening, schedule_open, closed_to, expected", [
    ("open", None, None, None),
    ("open", False, None, None),  # an always-open group ignores any schedule
    ("schedule", True, Destination("ivr", "2"), None),
    ("schedule", False, Destination("ivr", "2"), Destination("ivr", "2")),
    ("schedule", None, Destination("ivr", "2"), None),  # schedule missing: stay open
    ("closed", None, Destination("number", "+34911234567"), Destination("number", "+34911234567")),
    ("closed", None, None, HANGUP),
])
def test_opening_decides_whether_calls_go_to_the_closed_destination(opening, schedule_open, closed_to, expected):
    assert rules.closed_route(group(opening=opening, closed_destination=closed_to), schedule_open) == expected


def test_unanswered_and_overflowing_calls_fall_back_to_hang_up():
    assert rules.no_answer_route(group()) == HANGUP
    assert rules.overflow_route(group(no_answer=Destination("user", "3"))) == Destination("user", "3")
    assert rules.overflow_route(group(overflow=Destination("ivr", "1"))) == Destination("ivr", "1")


# -- queue decisions ---------------------------------------------------------------------------

@pytest.mark.parametrize("waited, offers, members, expected", [
    (59.9, 0, 3, rules.OFFER), (60, 0, 3, rules.OVERFLOW), (0, 0, 0, rules.WAIT),
    (0, 5, 3, rules.OFFER), (0, 6, 3, rules.OVERFLOW),
])
def test_a_queued_caller_overflows_at_max_wait_or_after_the_rounds(waited, offers, members, expected):
    the_group = group(kind="advanced", max_wait=60, rounds=2, ring_mode="consecutive")
    assert rules.queue_verdict(the_group, waited, offers, members) == expected


def test_simultaneous_queues_have_no_rounds_only_the_max_wait():
    assert rules.queue_verdict(group(kind="advanced", max_wait=60, rounds=1), 10, 50, 3) == rules.OFFER


def test_consecutive_offers_go_round_the_members():
    legs = tuple(Leg(k, k) for k in "abc")
    assert [leg.member for leg in rules.offer_order(legs, 4)] == ["b", "c", "a"]
    assert rules.offer_size(group(ring_mode="consecutive")) == 1 and rules.offer_size(group()) is None


@pytest.mark.parametrize("last, position, since, every, expected", [
    (None, 3, 0, 0, True), (3, 2, 0, 0, True), (2, 2, 59, 60, False), (2, 2, 60, 60, True), (2, 2, 999, 0, False),
])
def test_the_position_is_announced_when_it_changes_or_every_interval(last, position, since, every, expected):
    assert rules.announce(group(announce_every=every), last, position, since) is expected


# (the line itself: tests/test_groups_store.py, on this process's line and on the one nodes share)


# -- busy state from FreeSWITCH's channel events ---------------------------------------------------

def event(name, uuid, **variables):
    return {"Event-Name": name, "Unique-ID": uuid, **{f"variable_{k}": v for k, v in variables.items()}}


def test_a_user_is_busy_while_any_of_their_channels_lives():
    tracker = BusyTracker()
    tracker.on_event(event("CHANNEL_CREATE", "c1", pbx_user_id=f"1001@{D}"))  # their own call
    tracker.on_event(event("CHANNEL_CREATE", "c2", dialed_user="1001", dialed_domain=D))  # ringing them
    tracker.on_event(event("CHANNEL_ANSWER", "c2", dialed_user="1001", dialed_domain=D))
    assert tracker.busy(f"1001@{D}") and tracker.owner("c2") == f"1001@{D}"
    tracker.on_event(event("CHANNEL_HANGUP_COMPLETE", "c1"))
    assert tracker.busy(f"1001@{D}")
    tracker.on_event(event("CHANNEL_HANGUP_COMPLETE", "c2"))
    tracker.on_event(event("CHANNEL_HANGUP_COMPLETE", "c2"))  # repeated events change nothing
    assert not tracker.busy(f"1001@{D}") and not tracker.busy(f"1002@{D}")


def test_channels_of_nobody_we_know_are_ignored():
    tracker = BusyTracker()
    tracker.on_event(event("CHANNEL_CREATE", "x"))
    tracker.on_event({"Event-Name": "CHANNEL_CREATE"})
    assert tracker.owner("x") == ""


# -- statistics ----------------------------------------------------------------------------------

def test_statistics_boundaries_answered_exactly_at_the_service_level_counts_as_served():
    figures = summarise([Row("answered", 20, "1001", 30), Row("answered", 20.5, "1002", 10)], 20)
    assert figures.service_level == 0.5 and figures.members["1001"].talk_seconds == 30


def test_statistics_without_offered_calls_have_no_service_level():
    figures = summarise([Row("closed", 0)], 20)
    assert figures.offered == 0 and figures.service_level is None and figures.closed == 1


def test_the_tracker_remembers_when_each_channel_answered_even_after_it_hung_up():
    ticks = iter([5.0, 9.0])
    tracker = BusyTracker(clock=lambda: next(ticks))
    tracker.on_event(event("CHANNEL_CREATE", "b1", dialed_user="1002", dialed_domain=D))
    tracker.on_event(event("CHANNEL_ANSWER", "b1", dialed_user="1002", dialed_domain=D))
    tracker.on_event(event("CHANNEL_ANSWER", "b1"))  # repeated: the first moment stays
    tracker.on_event(event("CHANNEL_HANGUP_COMPLETE", "b1"))
    assert tracker.answered_at("b1") == 5.0 and tracker.answered_at("nope") is None


def test_a_member_calling_their_own_group_is_not_rung():
    (step,) = rules.ring_plan(group(), TEMPLATE, caller=f"1002@{D}")
    assert [leg.member for leg in step.legs] == [f"1001@{D}", f"1003@{D}"]


def test_calllog_already_up_when_the_feed_subscribes_are_read_from_show_channels():
    from fs_plugins.groups.busy import existing_channels

    reply = ('{"row_count":3,"rows":[{"uuid":"u1","presence_id":"1001@acme.example"},'
             '{"uuid":"u2","presence_id":""},{"uuid":"u3"}]}')
    tracker = BusyTracker()
    tracker.seed(existing_channels(reply))
    assert tracker.busy(f"1001@{D}") and tracker.owner("u2") == ""
    tracker.on_event(event("CHANNEL_HANGUP_COMPLETE", "u1"))
    assert not tracker.busy(f"1001@{D}")
    assert existing_channels("-ERR show Command not found!\n") == {} and existing_channels("[]") == {}


def test_a_callback_calls_the_member_first_showing_the_callers_number():
    from fs_plugins.groups.callback import caller_dial, fs_originate

    sent = []

    class Api:
        def api(self, command):
            sent.append(command)
            return "+OK 1234"

    the_group = group(allowed=frozenset({"mobile"}))
    dial = caller_dial(the_group, "600 123 456", None, TEMPLATE)
    assert dial == "sofia/gateway/carrier/+34600123456"
    assert fs_originate(lambda timeout, member_dial: Api())(f"user/1001@{D}", dial, the_group, 10)
    assert sent == ["originate {originate_timeout=10,pbx_tenant=acme.example,pbx_flow=group,pbx_flow_object=1,"
                    "ignore_early_media=true,origination_caller_id_number=+34600123456}user/1001@acme.example "
                    "&bridge(sofia/gateway/carrier/+34600123456)"]
    assert caller_dial(the_group, "", None, TEMPLATE) is None  # anonymous: cannot be called back
    assert caller_dial(the_group, "+34911234567", None, TEMPLATE) is None  # a landline the tenant may not call
    assert caller_dial(the_group, "x", "1005", TEMPLATE) == f"user/1005@{D}"


def test_a_paused_member_is_skipped_like_one_in_dnd():
    assert rules.member_dial(group(), user("1001", paused=True), TEMPLATE) is None
