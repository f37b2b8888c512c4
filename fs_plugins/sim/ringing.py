"""How a dialplan `bridge` plays out in the emulator: a pure plan from the dial string and the script.

Each group of the dial string rings its legs at once (after their `leg_delay_start`); the first
leg to answer wins and the others are cancelled (LOSE_RACE); a leg that rings past its timeout
(`leg_timeout`, else `call_timeout`) is cancelled with NO_ANSWER; busy and declined legs end on
their own; a user who is not registered (or not in the directory) gets no channel at all. If the
caller hangs up first, every leg still ringing is cancelled with ORIGINATOR_CANCEL (recorded:
json_cdr_centralita f1, f2). Times are seconds from the start of the group.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fs_plugins.sim.dialstring import DialLeg
from fs_plugins.sim.script import FAILURES, CallerScript

NO_CHANNEL = ("not_registered", "not_found")
DEFAULT_RING = {"answer": 1.0, "busy": 0.5, "decline": 0.5}
NO_LEG_DELAY = 0.02
DEFAULT_TALK = 5.0


@dataclass(frozen=True)
class LegRun:
    dial: str
    start: float
    end: float
    cause: str
    answered: float | None = None
    variables: dict = field(default_factory=dict, compare=False)  # the leg's [name=value] variables


@dataclass(frozen=True)
class GroupRun:
    outcome: str  # answered | failed | cancelled
    at: float  # when it was decided (answer, last failure, caller's hang-up)
    cause: str  # failed: the group's cause; answered: NORMAL_CLEARING; cancelled: ORIGINATOR_CANCEL
    legs: tuple[LegRun, ...]  # the channels created, the winner (if any) first, still open-ended
    winner: DialLeg | None = None


def ring_group(group: list[DialLeg], script: CallerScript, call_timeout: float, hangup_in: float | None) -> GroupRun:
    plans = []  # (start, outcome time, outcome, leg)
    for leg in group:
        spec = script.leg(leg.target)
        limit = leg.timeout or call_timeout
        if spec.outcome in NO_CHANNEL:
            plans.append((leg.delay, leg.delay + NO_LEG_DELAY, spec.outcome, leg))
            continue
        ring = DEFAULT_RING.get(spec.outcome, limit) if spec.ring is None else spec.ring
        if spec.outcome == "no_answer" or leg.delay + ring >= limit:
            plans.append((leg.delay, float(limit), "no_answer", leg))
        else:
            plans.append((leg.delay, leg.delay + ring, spec.outcome, leg))
    answers = sorted((at, i) for i, (_, at, outcome, _) in enumerate(plans) if outcome == "answer")
    decided = answers[0][0] if answers else max(at for _, at, _, _ in plans)
    if hangup_in is not None and hangup_in < decided:
        legs = [LegRun(leg.target, start, min(at, hangup_in), _cause(outcome) if at <= hangup_in else "ORIGINATOR_CANCEL",
                       variables=leg.variables)
                for start, at, outcome, leg in plans if outcome not in NO_CHANNEL and start < hangup_in]
        return GroupRun("cancelled", hangup_in, "ORIGINATOR_CANCEL", tuple(legs))
    if answers:
        at, index = answers[0]
        start, _, _, winner = plans[index]
        legs = [LegRun(winner.target, start, at, "NORMAL_CLEARING", at, winner.variables)]
        legs += [LegRun(leg.target, start_, min(end, at), _cause(outcome) if end < at else "LOSE_RACE",
                        variables=leg.variables)
                 for i, (start_, end, outcome, leg) in enumerate(plans)
                 if i != index and outcome not in NO_CHANNEL and start_ < at]
        return GroupRun("answered", at, "NORMAL_CLEARING", tuple(legs), winner)
    outcomes = [outcome for _, _, outcome, _ in plans]
    cause = _cause("no_answer" if "no_answer" in outcomes else outcomes[-1])
    legs = [LegRun(leg.target, start, end, _cause(outcome), variables=leg.variables) for start, end, outcome, leg in plans
            if outcome not in NO_CHANNEL]
    return GroupRun("failed", decided, cause, tuple(legs))


def talk_seconds(script: CallerScript, leg: DialLeg) -> float:
    talk = script.leg(leg.target).talk
    return DEFAULT_TALK if talk is None else talk


def _cause(outcome: str) -> str:
    return FAILURES.get(outcome, ("NO_ANSWER",))[0]
