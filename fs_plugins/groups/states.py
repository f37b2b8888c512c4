"""A call to a group as a state machine: the states, the events that move it, and nothing else.

In the spirit of h11's connection states: a table of (state, event) -> next state, and one object
that refuses any event its state does not expect, so the flow (flow.py) cannot record an outcome
the call never reached. The flow sends events as things happen on the Channel; the outcome the
group's statistics keep is read from the state the call ended in.

    STARTED --closed--> CLOSED                    (the schedule is closed: the closed route)
    STARTED --ring--> RINGING --ring--> RINGING   (simple group: each step of the plan)
    STARTED, RINGING --rung_out--> NO_ANSWER      (every step rang out, or none: the no-answer route)
    STARTED --queue_full--> OVERFLOWED            (advanced group: no place in the queue)
    STARTED --join--> WAITING --offer--> OFFERING --not_taken--> WAITING
            WAITING --timeout--> OVERFLOWED       (max wait or rounds: the overflow route)
            WAITING --callback--> CALLBACK --called_back--> CONNECTED
                                           --not_called_back--> OVERFLOWED
    RINGING, OFFERING --connect--> CONNECTED      (a member answered: an answered call)
    any live state --hang_up--> ABANDONED; CONNECTED --hang_up--> CONNECTED (it was answered)

Pure: no I/O, no clock.
"""
from __future__ import annotations

from fs_plugins.groups.kinds import ABANDONED, ANSWERED, CLOSED, NO_ANSWER, OVERFLOWED

# states
STARTED, RINGING, WAITING, OFFERING, CONNECTED = "started", "ringing", "waiting", "offering", "connected"
CALLBACK = "callback"  # the caller left the line to be called back; the callback ends the call
ENDED_CLOSED, ENDED_NO_ANSWER, ENDED_OVERFLOWED, ENDED_ABANDONED = CLOSED, NO_ANSWER, OVERFLOWED, ABANDONED

# events
SCHEDULE_CLOSED, RING, RUNG_OUT, QUEUE_FULL, JOIN = "closed", "ring", "rung_out", "queue_full", "join"
OFFER, NOT_TAKEN, TIMEOUT, CONNECT, HANG_UP = "offer", "not_taken", "timeout", "connect", "hang_up"
CALLBACK_CHOSEN, CALLED_BACK, NOT_CALLED_BACK = "callback", "called_back", "not_called_back"

TRANSITIONS: dict[tuple[str, str], str] = {
    (STARTED, SCHEDULE_CLOSED): ENDED_CLOSED,
    (STARTED, RING): RINGING,
    (RINGING, RING): RINGING,
    (RINGING, RUNG_OUT): ENDED_NO_ANSWER,
    (STARTED, RUNG_OUT): ENDED_NO_ANSWER,  # a plan with no step: nobody can answer
    (RINGING, CONNECT): CONNECTED,
    (STARTED, QUEUE_FULL): ENDED_OVERFLOWED,
    (STARTED, JOIN): WAITING,
    (WAITING, OFFER): OFFERING,
    (OFFERING, NOT_TAKEN): WAITING,
    (OFFERING, CONNECT): CONNECTED,
    (WAITING, TIMEOUT): ENDED_OVERFLOWED,
    (WAITING, CALLBACK_CHOSEN): CALLBACK,
    (CALLBACK, CALLED_BACK): CONNECTED,
    (CALLBACK, NOT_CALLED_BACK): ENDED_OVERFLOWED,
    (STARTED, HANG_UP): ENDED_ABANDONED,
    (RINGING, HANG_UP): ENDED_ABANDONED,
    (WAITING, HANG_UP): ENDED_ABANDONED,
    (OFFERING, HANG_UP): ENDED_ABANDONED,
    (CONNECTED, HANG_UP): CONNECTED,
}
# What the group's statistics record for the state a call ended in (kinds.py's outcomes).
OUTCOMES = {CONNECTED: ANSWERED, ENDED_CLOSED: CLOSED, ENDED_NO_ANSWER: NO_ANSWER,
            ENDED_OVERFLOWED: OVERFLOWED, ENDED_ABANDONED: ABANDONED}
FINAL = frozenset(OUTCOMES) - {CONNECTED}  # no event moves these (a hang-up after the hand-on changes nothing)


class BadTransition(RuntimeError):
    """The flow sent an event the call's state does not expect: a bug in the flow, never the caller's."""


class GroupCallState:
    def __init__(self) -> None:
        self.state = STARTED
        self.history: list[tuple[str, str]] = []  # (event, state reached), for logs and tests

    def process(self, event: str) -> str:
        try:
            reached = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise BadTransition(f"a group call in state {self.state!r} cannot take {event!r}") from None
        self.state = reached
        self.history.append((event, reached))
        return reached

    def hung_up(self) -> None:
        """The caller is gone: abandoned, unless the call had already ended or been answered."""
        if self.state not in FINAL and self.state != CALLBACK:
            self.process(HANG_UP)

    @property
    def outcome(self) -> str | None:
        """What the statistics record: None while the call is still live or waits for a callback."""
        return OUTCOMES.get(self.state) if self.state in FINAL or self.state == CONNECTED else None
