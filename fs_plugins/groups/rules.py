"""What a call to a group does next: pure decisions over frozen records (records.py).

State table (first matching row wins; the flow in flow.py runs it on a Channel):

| state   | condition                                               | next                            |
|---------|---------------------------------------------------------|---------------------------------|
| start   | opening "closed", or "schedule" and the schedule closed | transfer closed destination     |
|         |                                                         | (hang up if none)               |
| start   | simple group                                            | ring step 1                     |
| start   | advanced, queue already holds `queue_size` callers      | overflow                        |
| start   | advanced                                                | queued                          |
| ring i  | a leg answered                                          | done (answered)                 |
| ring i  | no answer and a step i+1 starts before `total_seconds`  | ring step i+1                   |
| ring i  | no answer, last step                                    | no-answer destination (hang up) |
| queued  | waited >= max_wait                                      | overflow                        |
| queued  | consecutive, `rounds` passes over the members done      | overflow                        |
| queued  | no earlier caller is waiting un-offered, a member free  | offer (ring the free member(s)) |
| queued  | position changed, or `announce_every` s since the last  | announce the position           |
| queued  | the caller pressed the callback key (and can be called) | hang up, keep the place; when   |
|         |                                                         | it is their turn FreeSWITCH     |
|         |                                                         | calls the member, then them     |
| offer   | answered                                                | done (answered)                 |
| offer   | not answered                                            | queued (same place in line)     |

Who rings (`legs`): members in their order; a user in do-not-disturb or logged out (*51) is skipped; a user's
forward-always is honoured (its target rings instead: a user of the tenant, or an external number
the user may call; a forward to anything else — voicemail, IVR — skips the member, because a
machine must not take a group's call); an external member rings only if the tenant's outbound
restrictions allow its number. Simultaneous: every leg at once for `total_seconds`. Consecutive:
one member after the other, `member_seconds` each, cut at `total_seconds`.
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins import channel_vars, dialstrings
from fs_plugins.callhandling import numbers
from fs_plugins.destinations import HANGUP, Destination
from fs_plugins.groups.records import Group, Leg, Member
from fs_plugins.groups.kinds import ALWAYS_CLOSED, BY_SCHEDULE, CONSECUTIVE

OVERFLOW, OFFER, WAIT = "overflow", "offer", "wait"


@dataclass(frozen=True)
class Step:
    legs: tuple[Leg, ...]
    seconds: int


def closed_route(group: Group, schedule_open: bool | None) -> Destination | None:
    """Where a call goes because the group is closed, or None when it is open.

    `schedule_open` is the schedule's state now (None when the group has no schedule); a group
    "by schedule" whose schedule is missing stays open rather than dropping calls.
    """
    closed = group.opening == ALWAYS_CLOSED or (group.opening == BY_SCHEDULE and schedule_open is False)
    if not closed:
        return None
    return group.closed_destination or HANGUP


def member_dial(group: Group, member: Member, dial_template: str) -> str | None:
    """The dial string that rings this member now, or None when the member must be skipped."""
    if member.number:
        return _external(group, member.number, member.allowed, dial_template)
    if member.dnd or member.paused:
        return None
    forward = member.forward
    if forward is None:
        return dialstrings.user(member.extension, group.domain)
    if forward.kind == "user" and member.forward_extension:
        return dialstrings.user(member.forward_extension, group.domain)
    if forward.kind == "number":  # the member's own call: presence_id lights their busy lamp (BLF)
        dial = _external(group, forward.target, member.allowed, dial_template)
        return dialstrings.with_leg_variables({"presence_id": member.key, channel_vars.LEG_USER: member.key},
                                              dial) if dial else None
    return None


def _external(group: Group, number: str, allowed: frozenset[str], dial_template: str) -> str | None:
    e164, cause = numbers.normalise(number, group.country)
    if cause or numbers.blocked_reason(e164, group.country, allowed):
        return None
    return dialstrings.gateway(dial_template, e164)


def legs(group: Group, dial_template: str, caller: str = "") -> tuple[Leg, ...]:
    """Every member that may ring now, in order, with its dial string; a member calling their own
    group (`caller` is their key) is not rung."""
    found = []
    for member in group.members:
        if caller and member.key == caller:
            continue
        dial = member_dial(group, member, dial_template)
        if dial:
            found.append(Leg(member.key, dial))
    return tuple(found)


def ring_plan(group: Group, dial_template: str, caller: str = "") -> tuple[Step, ...]:
    """The ringing steps of a simple group (see the table)."""
    ringing = legs(group, dial_template, caller)
    if not ringing or group.total_seconds <= 0:
        return ()
    if group.ring_mode != CONSECUTIVE:
        return (Step(ringing, group.total_seconds),)
    steps, left = [], group.total_seconds
    for leg in ringing:
        if left <= 0:
            break
        seconds = min(group.member_seconds, left)
        steps.append(Step((leg,), seconds))
        left -= seconds
    return tuple(steps)


def no_answer_route(group: Group) -> Destination:
    return group.no_answer or HANGUP


def queue_verdict(group: Group, waited: float, offers: int, member_count: int) -> str:
    """overflow | offer | wait for a queued caller (the queue itself decides who is first)."""
    if waited >= group.max_wait:
        return OVERFLOW
    if group.ring_mode == CONSECUTIVE and member_count and offers >= group.rounds * member_count:
        return OVERFLOW
    if member_count == 0:
        return WAIT
    return OFFER


def offer_size(group: Group) -> int | None:
    """How many free members one offer rings: one (consecutive) or all that are free (None)."""
    return 1 if group.ring_mode == CONSECUTIVE else None


def offer_order(ringing: tuple[Leg, ...], offers: int) -> tuple[Leg, ...]:
    """Consecutive ringing goes round the members: start after the last one offered."""
    if not ringing:
        return ()
    start = offers % len(ringing)
    return ringing[start:] + ringing[:start]


def announce(group: Group, last_position: int | None, position: int, since_last: float) -> bool:
    """Say the position when it changed (or was never said), or every `announce_every` seconds."""
    if last_position != position:
        return True
    return group.announce_every > 0 and since_last >= group.announce_every


# FreeSWITCH's stock sound, played from the tenant's voice (fs_plugins/voices.py); the number
# follows, said by FreeSWITCH in the call's language (mod_say_<language>: "veintiuno", "twenty-one").
POSITION_PROMPT = "ivr/ivr-you_are_number.wav"


def overflow_route(group: Group) -> Destination:
    return group.overflow or group.no_answer or HANGUP
