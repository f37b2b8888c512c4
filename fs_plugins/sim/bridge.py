"""The emulated `bridge` application: legs ring, answer or fail as the script says, and the
A leg gets the variables the recordings show (originate_disposition, DIALSTATUS,
originate_failed_cause, last_bridge_hangup_cause, bridge_hangup_cause)."""
from __future__ import annotations

import math
import uuid

from fs_plugins.sim import dialstring
from fs_plugins.sim.script import FAILURES

RING_READY = 0.04  # recorded: CHANNEL_PROGRESS ~40 ms after the bridge starts
NO_LEG_DELAY = 0.02  # not registered / not in the directory fail at once
DEFAULT_RING = {"answer": 1.0, "busy": 0.5, "decline": 0.5}


def parse_dial(data: str) -> list[list[tuple[str, int | None]]]:
    """`a,b|c` -> [[a, b], [c]]: groups tried in sequence, legs of a group at once."""
    return [[(leg.target, int(leg.timeout) if leg.timeout else None) for leg in group]
            for group in dialstring.parse(data)]


def bridge(emu, data):
    variables = emu.view.variables
    call_timeout = int(variables.get("call_timeout") or 60)
    for group in parse_dial(data):
        cause = _ring_group(emu, group, call_timeout)
        if cause is None:  # answered (or the call ended while bridged)
            return "_none_"
        if emu.hangup_request:
            return "_none_"
    disposition, dialstatus = next(((c, d) for c, d in FAILURES.values() if c == cause), (cause, cause))
    variables.update(originate_disposition=disposition, DIALSTATUS=dialstatus, originate_failed_cause=disposition)
    emu.report.bridges.append((data, disposition))
    emu.step(f"bridge {data} failed: {disposition}")
    if variables.get("continue_on_fail") != "true" and disposition != "NO_ANSWER":
        emu.hangup_request = disposition  # recorded (c2): FreeSWITCH hangs the caller up itself
    return "_none_"


def _plan(emu, group, call_timeout):
    """(seconds until the leg's outcome, outcome, leg spec) per leg."""
    plan = []
    for dial, leg_timeout in group:
        leg = emu.script.leg(dial)
        limit = leg_timeout or call_timeout
        if leg.outcome in ("not_registered", "not_found"):
            plan.append((NO_LEG_DELAY, leg.outcome, dial, leg))
            continue
        ring = DEFAULT_RING.get(leg.outcome, limit) if leg.ring is None else leg.ring
        if ring >= limit or leg.outcome == "no_answer":
            plan.append((float(limit), "no_answer", dial, leg))
        else:
            plan.append((ring, leg.outcome, dial, leg))
    return plan


def _ring_group(emu, group, call_timeout):
    plan = _plan(emu, group, call_timeout)
    start = emu.now
    ringing = [p for p in plan if p[1] not in ("not_registered", "not_found")]
    answers = sorted(p for p in plan if p[1] == "answer")
    if ringing:
        outcome = emu.advance(RING_READY)
        if outcome and outcome[0] in ("hangup", "closed"):
            return _cancelled(emu, ringing, start)
        first = ringing[0]
        if len(group) > 1:  # recorded: several legs show the first as other leg, without callee id
            emu.view.other_leg = _b_profile(emu, first[2])
        else:
            emu.view.profile.update({"Callee-ID-Name": _user(first[2]), "Callee-ID-Number": _user(first[2])})
        emu.view.profile["Channel-Progress-Time"] = emu._stamp()
        emu.emit("CHANNEL_PROGRESS")
    end = start + (answers[0][0] if answers else max(p[0] for p in plan))
    while emu.now < end:
        outcome = emu.advance(end - emu.now)
        if outcome is None:
            break
        if outcome[0] in ("hangup", "closed"):
            return _cancelled(emu, [p for p in ringing if start + p[0] > emu.now], start)
    if answers:
        for seconds, kind, dial, _ in ringing:
            if (seconds, kind, dial) != answers[0][:3]:
                lost = seconds >= answers[0][0]
                _b_leg(emu, dial, start, start + min(seconds, answers[0][0]),
                       "LOSE_RACE" if lost else FAILURES.get(kind, ("NO_ANSWER",))[0])
        _connected(emu, answers[0], lost_race=len(ringing) > 1, rang_from=start)
        return None
    for seconds, kind, dial, _ in ringing:
        _b_leg(emu, dial, start, start + seconds, FAILURES.get(kind, ("NO_ANSWER",))[0])
    failures = [p[1] for p in plan]
    kind = "no_answer" if "no_answer" in failures else failures[-1]
    cause = FAILURES[kind][0]
    if ringing:
        emu.view.variables["last_bridge_hangup_cause"] = cause
    return cause


def _cancelled(emu, ringing, start):
    """The caller hung up while these legs rang: FreeSWITCH cancels them (ORIGINATOR_CANCEL)."""
    for seconds, kind, dial, _ in ringing:
        _b_leg(emu, dial, start, emu.now, "ORIGINATOR_CANCEL")
    if emu.view.answer_state != "answered":
        emu.view.variables.update(originate_disposition="ORIGINATOR_CANCEL", DIALSTATUS="CANCEL")
    return "NORMAL_CLEARING"


def _b_leg(emu, dial, start, end, cause, answered=None, caller_ended=False):
    """A leg the bridge created, for its CDR (fs_plugins.sim.cdr.b_leg_body): virtual seconds."""
    if answered is not None:
        disposition = "send_bye" if caller_ended else "recv_bye"
    else:
        disposition = "recv_refuse" if cause in ("USER_BUSY", "CALL_REJECTED") else "send_cancel"
    emu.report.legs.append({"dial": dial, "start": start, "answered": answered, "end": end, "cause": cause,
                            "sip_disposition": disposition})


def _connected(emu, winner, lost_race, rang_from=None):
    seconds, _, dial, leg = winner
    rang_from = emu.now - seconds if rang_from is None else rang_from
    variables = emu.view.variables
    b_leg = _b_profile(emu, dial)
    emu.view.profile.update({"Callee-ID-Name": _user(dial), "Callee-ID-Number": _user(dial)})
    emu.early_media()
    if emu.view.answer_state != "answered":
        emu.view.answer_state, emu.view.call_state = "answered", "EARLY"
        emu.view.profile["Channel-Answered-Time"] = emu._stamp()
        emu.report.answered_at = emu.now
        emu.emit("CHANNEL_ANSWER")
    if lost_race:
        variables["last_bridge_hangup_cause"] = "LOSE_RACE"
    variables.update(originate_disposition="SUCCESS", DIALSTATUS="SUCCESS", bridge_uuid=b_leg["Unique-ID"],
                     bridge_uepoch=emu._stamp())  # when the legs were joined, as FreeSWITCH records it
    emu.view.other_leg = b_leg
    emu.view.call_state = "ACTIVE"
    emu.view.profile["Channel-Bridged-Time"] = emu._stamp()
    emu.bridged_leg = b_leg
    emu.emit("CHANNEL_BRIDGE", top=emu._bridge_ids())
    emu.report.bridges.append((dial, "SUCCESS"))
    emu.step(f"bridged to {dial}")
    answered_at = emu.now
    outcome = emu.advance(math.inf if leg.talk is None else leg.talk)
    if outcome is not None and outcome[0] != "idle":
        # the caller or the application ended the call; the hang-up sequence unbridges
        _b_leg(emu, dial, rang_from, emu.now, "NORMAL_CLEARING", answered_at, caller_ended=True)
        return
    _b_leg(emu, dial, rang_from, emu.now, "NORMAL_CLEARING", answered_at)
    variables.update(bridge_hangup_cause="NORMAL_CLEARING", last_bridge_hangup_cause="NORMAL_CLEARING")
    emu.emit("CHANNEL_UNBRIDGE", top=emu._bridge_ids())
    emu.bridged_leg = None
    emu.step(f"{dial} hung up")


def _user(dial: str) -> str:
    return dial.split("/")[-1].split("@")[0]


def _b_profile(emu, dial: str) -> dict:
    number = _user(dial)
    profile = dict(emu.view.profile)
    profile.pop("Profile-Index", None)
    profile.update({"Direction": "outbound", "Logical-Direction": "outbound", "Callee-ID-Name": number,
                    "Callee-ID-Number": number, "Destination-Number": number, "Unique-ID": str(uuid.uuid4()),
                    "Channel-Name": f"sofia/internal/{number}@127.0.0.1", "Context": emu.setup.domain})
    return profile
