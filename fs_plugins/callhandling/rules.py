"""What happens to a call to a user, and to a call to an external number: pure decisions.

Inputs are frozen records (records.py) and a `render` callback that turns the destinations these
rules do not build themselves (IVR, group, message, voicemail, hangup) into the router's actions.
Everything is done with FreeSWITCH's own mechanisms, so it works without any ESL session:

Call to a user (first match wins)
  1. forward always                → set pbx_forwarded=always, count a hop, go to the target
  2. do not disturb                → set pbx_dnd=true, then by mode: hangup USER_BUSY | the
                                     forward-on-busy target (pbx_forwarded=dnd; busy if none) |
                                     the user's voicemail (pbx_forwarded=dnd)
  3. ring the user's phones and the simultaneous-ring legs for no_answer_seconds (call_timeout;
     `leg_delay_start` per delayed leg; `group_confirm_key` on external legs that must confirm)
       no answer (NO_ANSWER_CAUSES)  → continue_on_fail: inline, pbx_forwarded=no_answer, target
       busy (BUSY_CAUSES)            → transfer_on_fail ... auto_cause: FreeSWITCH transfers to the
       unreachable (UNREACHABLE_CAUSES)  extension named after the cause in the user's failover
                                       context, where `failover` picks forward-on-busy, or
                                       forward-when-not-registered (else the no-answer target)
       anything else, or no target   → FreeSWITCH ends the call with the cause (busy stays busy)

Targets: a user is reached by `transfer pbx-user-<id> XML <domain>` (a new fetch: that user's own
handling applies, every check runs again and the hop counter ends loops); an external number is
bridged inline after the restrictions of the forwarding user are checked again.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable

from fs_plugins import channel_vars, dialstrings
from fs_plugins.callhandling import numbers
from fs_plugins.callhandling.records import OutboundData, RingLeg, UserCallData
from fs_plugins.destinations import Destination
from fs_plugins.actions import Action, hangup, set_var, transfer

log = logging.getLogger(__name__)

NO_ANSWER_CAUSES = ("NO_ANSWER", "NO_USER_RESPONSE", "PROGRESS_TIMEOUT")
BUSY_CAUSES = ("USER_BUSY", "CALL_REJECTED")
UNREACHABLE_CAUSES = ("USER_NOT_REGISTERED", "SUBSCRIBER_ABSENT", "DESTINATION_OUT_OF_ORDER",
                      "NO_ROUTE_DESTINATION", "RECOVERY_ON_TIMER_EXPIRE", "NORMAL_TEMPORARY_FAILURE",
                      "NETWORK_OUT_OF_ORDER")
FAILOVER_PREFIX = "pbx-failover."  # + "<user id>.<tenant domain>": a dialplan context of ours
FORWARD_RING_SECONDS = 30  # how long a forwarded external number rings
CONFIRM_KEY = "1"
_SAFE_PROMPT = re.compile(r"[A-Za-z0-9_./:\-]+\Z")  # nothing that could end a [leg var] or expand

Render = Callable[[Destination], list[Action]]


@dataclass(frozen=True)
class Call:
    """A call being routed to one user of a tenant."""

    domain: str
    country: str
    user_id: int
    extension: str
    hops: int
    dial_template: str
    confirm_prompt: str
    chain: str = ""  # pbx_chain with this user last (channel_vars.chain_items)

    @property
    def user_id_text(self) -> str:
        return f"{self.extension}@{self.domain}"

    @property
    def user_dial(self) -> str:
        return dialstrings.user(self.extension, self.domain)

    @property
    def failover_context(self) -> str:
        return f"{FAILOVER_PREFIX}{self.user_id}.{self.domain}"


def user_call(call: Call, data: UserCallData, render: Render) -> list[Action]:
    settings = data.settings
    if settings.forward_always:
        return forward(call, data, "always", settings.forward_always, render)
    if settings.dnd:
        return [set_var(channel_vars.DND, channel_vars.TRUE)] + _dnd(call, data, render)
    actions = [set_var("call_timeout", str(settings.no_answer_seconds)), set_var("hangup_after_bridge", "true")]
    if settings.forward_no_answer:
        actions.append(set_var("continue_on_fail", ",".join(NO_ANSWER_CAUSES)))
    causes = (BUSY_CAUSES if settings.forward_busy else ()) + (
        UNREACHABLE_CAUSES if settings.forward_not_registered or settings.forward_no_answer else ())
    if causes:
        actions.append(set_var("transfer_on_fail", f"{','.join(causes)} auto_cause XML {call.failover_context}"))
    legs = [call.user_dial] + ring_legs(call, data)
    actions.append(Action("bridge", ",".join(legs)))
    if settings.forward_no_answer:
        if causes:
            actions.append(Action("unset", "transfer_on_fail"))
        actions += forward(call, data, "no_answer", settings.forward_no_answer, render)
    return actions


def _dnd(call: Call, data: UserCallData, render: Render) -> list[Action]:
    mode = data.settings.dnd_mode
    if mode == "forward-busy" and data.settings.forward_busy:
        return forward(call, data, "dnd", data.settings.forward_busy, render)
    if mode == "voicemail":
        return forward(call, data, "dnd", Destination("voicemail", str(call.user_id)), render)
    return _left(call, "dnd") + [hangup("USER_BUSY")]


def failover(call: Call, data: UserCallData, cause: str, render: Render) -> list[Action]:
    """The user's phones failed with `cause` (FreeSWITCH's transfer_on_fail auto_cause)."""
    settings = data.settings
    reset = [Action("unset", "transfer_on_fail"), Action("unset", "continue_on_fail")]
    if cause in BUSY_CAUSES:
        reason, target = "busy", settings.forward_busy
    elif cause in UNREACHABLE_CAUSES:
        reason, target = "not_registered", settings.forward_not_registered or settings.forward_no_answer
    else:
        return [hangup("NORMAL_TEMPORARY_FAILURE")]  # not a cause we ever hand to this context
    if target is None:  # the setting was removed while the phone rang
        return reset + [hangup(cause)]
    return reset + forward(call, data, reason, target, render)


def _left(call: Call, reason: str) -> list[Action]:
    """Say in the chain why the call left this user (the call log gives them their entry)."""
    return [set_var(channel_vars.CHAIN, channel_vars.chain_reason(call.chain, reason))] if call.chain else []


def forward(call: Call, data: UserCallData, reason: str, target: Destination, render: Render) -> list[Action]:
    head = [set_var(channel_vars.FORWARDED, reason), set_var(channel_vars.HOPS, str(call.hops + 1))]
    head += _left(call, reason)
    if target.kind == "user":
        return head + [transfer(target.routing_extension, call.domain)]
    if target.kind == "number":
        return head + external(call, data.allowed, target.target)
    return head + render(target)


def external(call: Call, allowed: frozenset[str], number: str) -> list[Action]:
    """Bridge a forward to an external number, if the forwarding user may call it."""
    e164, cause = numbers.normalise(number, call.country)
    if cause:
        return [hangup(cause)]
    reason = numbers.blocked_reason(e164, call.country, allowed)
    if reason:
        return [set_var(channel_vars.BLOCK_REASON, reason), hangup(numbers.BARRED)]
    # The leg is the forwarding user's call: presence_id lights their busy lamp (BLF) while it rings and talks.
    # pbx_leg_user: the user is on this call wherever it is (busy state, fs_plugins.groups.busy).
    dial = dialstrings.with_leg_variables({"presence_id": call.user_id_text, channel_vars.LEG_USER: call.user_id_text},
                                          dialstrings.gateway(call.dial_template, e164))
    return [set_var("call_timeout", str(FORWARD_RING_SECONDS)), set_var("hangup_after_bridge", "true"),
            Action("bridge", dial)]


def ring_legs(call: Call, data: UserCallData) -> list[str]:
    """The simultaneous-ring legs that may ring: allowed, valid, and starting before the timeout."""
    legs = []
    for leg in data.ring_legs:
        if leg.delay >= data.settings.no_answer_seconds:
            continue
        dial = _leg_dial(call, data.allowed, leg)
        if dial:
            legs.append(dial)
    return legs


def _leg_dial(call: Call, allowed: frozenset[str], leg: RingLeg) -> str | None:
    variables: dict[str, object] = {"leg_delay_start": leg.delay} if leg.delay else {}
    if leg.destination.kind == "user":
        return dialstrings.with_leg_variables(variables, dialstrings.user(leg.extension, call.domain))
    # The user's own number (their mobile): its answer is the user's, so the leg says whose it is,
    # to the call log and to the user's busy lamp (presence_id; FreeSWITCH sets it on user/ legs itself).
    variables[channel_vars.RING_OF] = call.user_id_text
    variables["presence_id"] = variables[channel_vars.LEG_USER] = call.user_id_text
    e164, cause = numbers.normalise(leg.destination.target, call.country)
    reason = cause or numbers.blocked_reason(e164, call.country, allowed)
    if reason:
        log.info("simultaneous ring of user %s to %s skipped: %s", call.user_id, leg.destination, reason)
        return None
    if leg.confirm and _SAFE_PROMPT.match(call.confirm_prompt or ""):
        # The answerer must press the key, so a mobile's voicemail cannot take the call; the leg
        # timeout stops counting once it answers, leaving time to listen and press.
        variables.update(group_confirm_key=CONFIRM_KEY, group_confirm_file=call.confirm_prompt,
                         group_confirm_cancel_timeout=1)
    return dialstrings.with_leg_variables(variables, dialstrings.gateway(call.dial_template, e164))


def outbound_call(country: str, dialled: str, data: OutboundData, from_user: bool, dial_template: str) -> list[Action]:
    """A number dialled (or routed to) in a tenant: normalise, restrict, present the DID, bridge.

    Calls made by one of our users present a DID of the tenant (the user's own if a number routes
    to them, else the tenant's first), as carriers require; calls that only pass through (a DID or
    menu routed to a number) keep the original caller's number, so the answerer sees who calls.
    """
    e164, cause = numbers.normalise(dialled, country)
    if cause:
        return [hangup(cause)]
    reason = numbers.blocked_reason(e164, country, data.allowed)
    if reason:
        return [set_var(channel_vars.BLOCK_REASON, reason), hangup(numbers.BARRED)]
    actions = []
    if from_user and data.caller_id:
        actions.append(set_var("effective_caller_id_number", data.caller_id))
    return actions + [set_var("hangup_after_bridge", "true"), Action("bridge", dialstrings.gateway(dial_template, e164))]
