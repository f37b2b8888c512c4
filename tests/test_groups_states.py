"""The group call's state machine (fs_plugins/groups/states.py): every path the flow takes, the
outcome each ends in, and events a state does not expect refused."""
from __future__ import annotations

import pytest

from fs_plugins.groups import states as s


@pytest.mark.parametrize("events,final,outcome", [
    ((s.SCHEDULE_CLOSED,), s.ENDED_CLOSED, "closed"),
    ((s.RING, s.RING, s.CONNECT), s.CONNECTED, "answered"),
    ((s.RING, s.RING, s.RUNG_OUT), s.ENDED_NO_ANSWER, "no_answer"),
    ((s.RUNG_OUT,), s.ENDED_NO_ANSWER, "no_answer"),
    ((s.QUEUE_FULL,), s.ENDED_OVERFLOWED, "overflowed"),
    ((s.JOIN, s.OFFER, s.NOT_TAKEN, s.OFFER, s.CONNECT), s.CONNECTED, "answered"),
    ((s.JOIN, s.OFFER, s.NOT_TAKEN, s.TIMEOUT), s.ENDED_OVERFLOWED, "overflowed"),
    ((s.JOIN, s.CALLBACK_CHOSEN), s.CALLBACK, None),  # the callback records the call when it ends
    ((s.JOIN, s.CALLBACK_CHOSEN, s.CALLED_BACK), s.CONNECTED, "answered"),
    ((s.JOIN, s.CALLBACK_CHOSEN, s.NOT_CALLED_BACK), s.ENDED_OVERFLOWED, "overflowed"),
    ((s.JOIN, s.OFFER, s.HANG_UP), s.ENDED_ABANDONED, "abandoned"),
    ((s.RING, s.CONNECT, s.HANG_UP), s.CONNECTED, "answered"),  # hung up while talking: answered
])
def test_each_path_ends_in_its_outcome(events, final, outcome):
    call = s.GroupCallState()
    for event in events:
        call.process(event)
    assert (call.state, call.outcome) == (final, outcome)
    assert [state for _, state in call.history][-1] == final


@pytest.mark.parametrize("events", [
    (s.CONNECT,),  # nobody was rung
    (s.JOIN, s.CONNECT),  # a waiting caller is connected only through an offer
    (s.RING, s.TIMEOUT),  # a simple group has no queue to time out of
    (s.QUEUE_FULL, s.JOIN),  # an ended call takes nothing more
    (s.SCHEDULE_CLOSED, s.HANG_UP),
    (s.JOIN, s.OFFER, s.OFFER),
])
def test_an_event_the_state_does_not_expect_is_a_bug_in_the_flow(events):
    call = s.GroupCallState()
    with pytest.raises(s.BadTransition):
        for event in events:
            call.process(event)


def test_a_hang_up_abandons_a_live_call_and_changes_nothing_once_it_ended():
    live, ended, waiting_for_callback = s.GroupCallState(), s.GroupCallState(), s.GroupCallState()
    live.process(s.JOIN)
    live.hung_up()
    ended.process(s.QUEUE_FULL)
    ended.hung_up()  # the caller hangs up during the hand-on to the overflow destination
    waiting_for_callback.process(s.JOIN)
    waiting_for_callback.process(s.CALLBACK_CHOSEN)
    waiting_for_callback.hung_up()  # the flow hangs up on the caller itself
    assert (live.outcome, ended.outcome, waiting_for_callback.state) == ("abandoned", "overflowed", s.CALLBACK)


def test_every_state_but_the_final_ones_can_be_left():
    reachable = {s.STARTED} | set(s.TRANSITIONS.values())
    leaving = {state for state, _ in s.TRANSITIONS}
    assert reachable - leaving == s.FINAL
