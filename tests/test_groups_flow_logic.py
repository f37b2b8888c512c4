"""A group's call on an in-memory Channel (tests/fake_channel.py): who rings, in which order, where
unanswered, closed and overflowing calls go, a queued caller's line, and what is recorded. Concurrent
callers, callbacks and hang-ups in the middle of a command stay with the emulator
(tests/test_groups_flow.py)."""
from __future__ import annotations

import pytest

from fs_plugins.channel import ANSWERED, BridgeOutcome, CallGone, SessionInfo
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.groups.flow import GroupServices, group_flow
from fs_plugins.schedule.rules import Schedule
from tests.fake_channel import FakeChannel
from tests.test_groups_flow import DOMAIN, U1, U2, U3, group, member

PICKED_UP = BridgeOutcome(ANSWERED, "NORMAL_CLEARING", "SUCCESS", other_uuid="b-leg", ring_seconds=2.0)


def ring(the_group, answered_by: str | None = None, group_id: str = "7") -> tuple[FakeChannel, list]:
    records = []

    def load(tenant, wanted):
        if tenant != DOMAIN or wanted != str(the_group.id):
            raise NotFound("group", "no such group")
        return the_group

    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", group_id),
                          bridges={answered_by: PICKED_UP} if answered_by else {})
    group_flow(GroupServices(load=load, record=records.append))(channel, channel.info)
    return channel, records


def test_a_simultaneous_group_rings_every_member_at_once_and_the_answerer_takes_the_call():
    call, records = ring(group(), answered_by=U2)
    assert call._args("bridge") == [f"{U1},{U2},{U3}"] and call.hung_up == "NORMAL_CLEARING"
    assert [(r.outcome, r.wait_seconds) for r in records] == [("answered", 2.0)]


def test_a_consecutive_group_rings_one_member_after_the_other_and_records_who_answered():
    call, records = ring(group(ring_mode="consecutive"), answered_by=U3)
    assert call._args("bridge") == [U1, U2, U3]
    assert records[0].outcome == "answered" and records[0].member == f"1003@{DOMAIN}"
    assert records[0].wait_seconds == 10 + 10 + 2.0  # two members rang out, the third answered after 2 s


def test_callers_hear_ringback_while_members_ring_and_the_call_is_never_answered_by_the_group():
    call, _ = ring(group(), answered_by=U1)
    assert call._args("set")[0].startswith("ringback=") and not call.answered


def test_nobody_answering_sends_the_call_to_the_no_answer_destination():
    call, records = ring(group(no_answer=Destination("voicemail", "")))
    assert call.transferred == ("pbx-voicemail-", DOMAIN) and records[0].outcome == "no_answer"


def test_without_a_no_answer_destination_the_call_is_hung_up():
    call, _ = ring(group(members=(member("1001"),)))
    assert call.hung_up == "NORMAL_CLEARING" and call.transferred is None


def test_members_in_dnd_are_skipped_and_forwards_are_honoured():
    members = (member("1001", dnd=True), member("1002", forward=Destination("user", "3"), forward_extension="1003"))
    call, _ = ring(group(members=members), answered_by=U3)
    assert call._args("bridge") == [U3]


def test_an_always_closed_group_sends_calls_to_its_closed_destination_without_ringing():
    call, records = ring(group(opening="closed", closed_destination=Destination("ivr", "4")))
    assert call.transferred == ("pbx-ivr-4", DOMAIN) and call._args("bridge") == []
    assert records[0].outcome == "closed"


def test_a_group_by_schedule_is_closed_outside_its_hours():
    night = Schedule(name="office", timezone="Europe/Madrid", weekly=())
    call, _ = ring(group(opening="schedule", schedule=night, closed_destination=Destination("user", "9")))
    assert call.transferred == ("pbx-user-9", DOMAIN)


def test_an_unknown_group_is_not_found_before_anything_is_done():
    with pytest.raises(NotFound):
        ring(group(), group_id="99")


def test_a_queued_callers_wait_counts_the_position_announcements_as_freeswitch_timed_them():
    """Issue 13 [10]: the prompt and the number last what the channel reports (playback_ms)."""
    records = []
    the_group = group(kind="advanced", ring_mode="consecutive", max_wait=60, queue_size=5, announce_every=0,
                      members=(member("1001"), member("1002")))
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"), bridges={U2: PICKED_UP}, prompt_seconds=1.5)
    group_flow(GroupServices(load=lambda tenant, wanted: the_group, record=records.append))(channel, channel.info)
    assert channel._args("say") == ["1"] and channel._args("bridge") == [U1, U2]
    # 1001 rings out (10 s), "you are number" + "1" (2 × 1.5 s), a ringback cycle (6 s), 1002 answers after 2 s
    assert [(r.outcome, r.wait_seconds) for r in records] == [("answered", 10 + 3 + 6 + 2.0)]


# --- queues (advanced groups) on the FakeChannel ---------------------------------------------

def queued(the_group, channel: FakeChannel, queues=None) -> list:
    records = []
    services = GroupServices(load=lambda tenant, wanted: the_group, record=records.append,
                             timer=iter(range(0, 10_000, 10)).__next__)
    if queues is not None:
        services.queues = queues
    group_flow(services)(channel, channel.info)
    return records


def advanced(**settings):
    return group(**{"kind": "advanced", "ring_mode": "consecutive", "max_wait": 60, "queue_size": 5,
                    "announce_every": 0, **settings})


def test_a_queued_caller_is_answered_waits_in_line_and_is_offered_to_each_member_in_turn():
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"), bridges={U3: PICKED_UP})
    records = queued(advanced(), channel)
    assert channel.answered and channel._args("bridge") == [U1, U2, U3]
    assert channel._args("say") == ["1"] and channel.hung_up == "NORMAL_CLEARING"
    assert [(r.outcome, r.member) for r in records] == [("answered", f"1003@{DOMAIN}")]


def test_nobody_taking_the_call_overflows_it_at_max_wait_to_the_overflow_destination():
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"))
    records = queued(advanced(members=(), max_wait=20, overflow=Destination("voicemail", "")), channel)
    assert channel.transferred == ("pbx-voicemail-", DOMAIN) and channel._args("bridge") == []
    assert [(r.outcome, r.wait_seconds) for r in records] == [("overflowed", 20.0)]  # never past max wait


def test_a_full_queue_overflows_at_once_without_answering():
    from fs_plugins.groups.queue import Queues

    full = Queues()
    full.of(7).join("someone-else", full.next_seq(), 1)
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"))
    records = queued(advanced(queue_size=1, no_answer=Destination("user", "9")), channel, full)
    assert not channel.answered and channel.transferred == ("pbx-user-9", DOMAIN)
    assert records[0].outcome == "overflowed"


def test_a_caller_hanging_up_in_line_is_abandoned_and_leaves_the_queue():
    from fs_plugins.groups.queue import Queues

    queues = Queues()
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"), hang_up_after=4)
    records = []
    with pytest.raises(CallGone):  # the session runner ends the call quietly
        group_flow(GroupServices(load=lambda tenant, wanted: advanced(members=()), record=records.append,
                                 queues=queues))(channel, channel.info)
    assert records[0].outcome == "abandoned" and queues.of(7).entries == []


def test_a_caller_hanging_up_while_talking_to_a_member_was_answered_by_that_member():
    channel = FakeChannel(SessionInfo("call-1", DOMAIN, "group", "7"), bridges={U2: PICKED_UP},
                          hang_up_in_talk=True)
    records = []
    with pytest.raises(CallGone):
        group_flow(GroupServices(load=lambda tenant, wanted: advanced(), record=records.append))(channel, channel.info)
    assert [(r.outcome, r.member) for r in records] == [("answered", f"1002@{DOMAIN}")]
