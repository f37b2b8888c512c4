"""The legs of one call -> its call-log entries, each with one of the ten statuses. Pure.

Vocabulary. The *A leg* is the first channel of the call; every other leg (*B leg*) names it in
`originating_leg_uuid` (an attended transfer's consultation leg names the callee's leg instead:
the store files it with that leg's call, and its user received the call). A *party* is someone the call log speaks for: the caller when the A leg is
a user's own channel (`pbx_user_id` on A: the call was *made*), and each user a B leg rang
(`pbx_user_id`, or the `dialed_user@dialed_domain` the user/ endpoint sets: *received*), and every
user of the call's *chain*: `pbx_chain` on A lists, in order, each user the dialplan offered the
call to and why it left them (always, no_answer, busy, not_registered, dnd), so a forwarded call
gives every user it passed through an entry. A leg to a number that carries `pbx_ring_of` (a
user's own extra number in their simultaneous ring) counts as that user's leg. The *original
target* of a received call is the chain's first user; for CDRs without a chain (recorded before
it existed) `pbx_target_user`, else, when `pbx_forwarded` is set, the extension the tenant's
dialplan routed the A leg to; else the first user whose phone rang, else that routed extension.
A chain user is a party even when their phone never rang (DND, forward always, not registered). The
call's *pickup* is the first moment a B leg answered (a person took the call; an IVR answering A is
not a pickup). A *transfer after answer* is a transfer (callflow `transfer_time`, else
`transfer_history`) at or after a pickup.

Rules, first match wins; "cause" means the leg's hangup cause, or for A also its
originate_disposition and last_bridge_hangup_cause:

| side     | condition (for this party)                                        | status                       |
|----------|-------------------------------------------------------------------|------------------------------|
| made     | callee picked up, and a transfer after answer happened            | Transferido                  |
| made     | callee picked up                                                  | Emitido                      |
| made     | `pbx_block_reason` set, or a cause is OUTGOING_CALL_BARRED         | Emitido (restringido)        |
| made     | a cause says the number is wrong (UNALLOCATED_NUMBER, NO_ROUTE_*, | Emitido (número equivocado)  |
|          | INVALID_NUMBER_FORMAT, NUMBER_CHANGED)                            |                              |
| made     | anything else: placed but never answered (voicemail answered,     | Cancelado, with its cause    |
|          | caller hung up, busy, declined, no answer, unreachable)           | (CANCEL_CAUSES, in that order)|
| received | the party's leg answered, then a transfer after that answer       | Transferido                  |
| received | the party's leg answered                                          | Recibido                     |
| received | the chain says the call left the party for DND, or (no chain)     | No molestar                  |
|          | `pbx_dnd`=true on A or on the party's leg                         |                              |
| received | the chain says the call left the party by a forward, or (no       | Remisión sin respuesta       |
|          | chain) `pbx_forwarded` set and the party is the original target   |                              |
| received | the party's cause (A's when it has no leg) is CALL_REJECTED (603) | Rechazado                    |
| received | anything else (no answer, busy, offline, caller hung up ringing)  | Perdido                      |

A made call's *cause* (its own column) says why it was not answered: voicemail (the callee's
voicemail answered), caller_hung_up, busy, declined, no_answer, unreachable.

Who gets an entry: the caller (made) and every received party, except legs that lost a race
(LOSE_RACE / PICKED_OFF: someone else took the call) of users the call was not for: the call's
target whose phone lost to another phone of their simultaneous ring still gets an entry (missed,
unless their own extra number answered). A call run by a group flow (`pbx_flow` =
group) is received once: by the member who answered, or, if none did, by the tenant (no user)
with the group's number as callee. An incoming call that reached no user at all (IVR, unknown
extension) is one tenant entry. A leg Centralita originated as the A leg (FreeSWITCH direction
"outbound": a group's callback rings the member first) rings its user: received, not made. A call
Centralita places for itself (`pbx_flow` = record: a prompt recorded by phone) is in no log, nor is
a feature code's call (`pbx_flow` = featurecode: *78, *72 number, *97 …).

A call a colleague *picked up* (*8, **EXT, a busy-lamp key) while it rang: no B leg answered and a
leg hung up with PICKED_OFF carries `pbx_picked_up_by` (a user of the call's tenant; the pickup
flow writes it just before FreeSWITCH's intercept). The picker receives the call (Recibido, ring
until that leg ended, talk from then to the end of A; Transferido if transferred after), the users
whose phones were picked off get no entry (not missed), and `answered_by` is the picker. The
picker's own channel (`pbx_flow` = pickup, bridged to the caller) is then in no log: it is the same
conversation; a pickup that found nothing (never bridged) stays the picker's made call. Derived from
FreeSWITCH's source (switch_ivr_intercept_session, switch_ivr_originate's PICKED_OFF), not from a
recorded intercept: tests/fixtures/freeswitch/json_cdr has none.
The *callee* is the number the caller dialled (the DID, the extension, the short number), never
a routing extension; `flow` names the menu or group the call reached (the store adds its name).
The *call status* (what the fixtures' manifest labels) is the
status of the caller for made calls, else of the original target. Kinds, the log's type filter:
*made*; *received* = taken (Recibido, Transferido); *missed* = every other received status.

Talk and ring time, in whole seconds: made: ring = call start -> pickup (or end), talk = pickup ->
end of A. received: ring = call start -> the party's answer (or end of its ringing; a target
whose phone never rang: until the call went to another leg, or ended), talk = the party's answer
-> end of its leg.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fs_plugins import channel_vars
from fs_plugins.calllog.parse import LegFacts


class Status(Enum):
    # value = (code kept in the database, label shown, colour key for the UI)
    MADE = ("made", "Emitido", "#2e7d32")
    WRONG_NUMBER = ("wrong_number", "Emitido (número equivocado)", "#8d6e63")
    RESTRICTED = ("restricted", "Emitido (restringido)", "#5d4037")
    CANCELLED = ("cancelled", "Cancelado", "#757575")
    RECEIVED = ("received", "Recibido", "#1565c0")
    DND = ("dnd", "No molestar", "#6a1b9a")
    MISSED = ("missed", "Perdido", "#c62828")
    REJECTED = ("rejected", "Rechazado", "#ef6c00")
    FORWARDED = ("forwarded", "Remisión sin respuesta", "#f9a825")
    TRANSFERRED = ("transferred", "Transferido", "#00838f")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]

    @property
    def colour(self) -> str:
        return self.value[2]

    @classmethod
    def from_code(cls, code: str) -> "Status":
        return _BY_CODE[code]


_BY_CODE = {status.code: status for status in Status}
# The kinds a user filters by; received splits into taken (received) and not taken (missed).
MADE, RECEIVED, MISSED = "made", "received", "missed"
KINDS = (MADE, RECEIVED, MISSED)
_TAKEN = {Status.RECEIVED, Status.TRANSFERRED}

WRONG_NUMBER_CAUSES = frozenset({
    "UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION", "NO_ROUTE_TRANSIT_NET", "INVALID_NUMBER_FORMAT",
    "NUMBER_CHANGED",
})
BARRED_CAUSES = frozenset({"OUTGOING_CALL_BARRED"})
REJECTED_CAUSES = frozenset({"CALL_REJECTED"})
CANCEL_CAUSES = frozenset({"ORIGINATOR_CANCEL"})
BUSY_CAUSES = frozenset({"USER_BUSY"})
NO_ANSWER_CAUSES = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "PROGRESS_TIMEOUT", "ALLOTTED_TIMEOUT"})
VOICEMAIL, CALLER_HUNG_UP, BUSY, DECLINED, NO_ANSWER, UNREACHABLE = (
    "voicemail", "caller_hung_up", "busy", "declined", "no_answer", "unreachable")
CANCEL_REASONS = (VOICEMAIL, CALLER_HUNG_UP, BUSY, DECLINED, NO_ANSWER, UNREACHABLE)
FLOW_KINDS = ("ivr", "group", "flow")  # flows whose name the callee column shows (flow: a custom flow's route)
CALLER_ENDED = frozenset({"recv_cancel", "recv_bye"})
LOST_RACE_CAUSES = frozenset({"LOSE_RACE", "PICKED_OFF"})
# Calls that are no conversation: a prompt recorded by phone (record), a feature code dialled to
# change a setting or reach voicemail (featurecode: fs_plugins.featurecodes.kinds.FLOW).
SYSTEM_FLOWS = frozenset({"record", "featurecode"})
PICKUP_FLOW = "pickup"  # *8 / **EXT (fs_plugins.featurecodes.kinds.PICKUP_FLOW)
ROUTING_PREFIX = "pbx-"  # fs_plugins.destinations: pbx-<kind>-<target>  # calls Centralita places for itself (record a prompt by phone)


@dataclass(frozen=True)
class Entry:
    """One line of someone's call log. `user` is "ext@domain", or None for the tenant itself."""

    user: str | None
    kind: str  # made | received | missed
    status: Status
    ring_seconds: int
    talk_seconds: int
    cause: str = ""  # made calls never answered: one of CANCEL_REASONS


@dataclass(frozen=True)
class Call:
    call_id: str
    tenant: str  # the tenant's domain ("" when no leg names one)
    direction: str  # inbound | outbound | internal (pbx_call_type, else inferred)
    status: Status  # the call's own status (see the module docstring)
    start_us: int
    caller_name: str
    caller_number: str
    callee: str
    answered_by: str  # who took the call first: extension (ext@domain if another tenant's), number, or ""
    entries: tuple[Entry, ...]
    flow: tuple[str, str] | None = None  # (kind, id) of the first menu/group the call reached


def classify(legs: list[LegFacts] | tuple[LegFacts, ...]) -> Call | None:
    """The call these legs make up, or None while its A leg is not among them."""
    a_leg = next((leg for leg in legs if leg.is_a_leg), None)
    if a_leg is None:
        return None
    b_legs = sorted((leg for leg in legs if not leg.is_a_leg), key=lambda leg: (leg.start_us, leg.uuid))
    tenant = _tenant(a_leg, b_legs)
    picked = _picked_up(tenant, b_legs)
    pickup = min((leg.answer_us for leg in b_legs if leg.answered),
                 default=a_leg.bridge_us or (picked.at if picked else 0))
    transfers = [moment for leg in (a_leg, *b_legs) for moment in leg.transfers_us]
    # A user's own channel calling in is a made call; a channel Centralita originated towards a
    # user (FreeSWITCH direction "outbound": group callback, record by phone) rings that user.
    originated = a_leg.direction == "outbound"
    caller = None if originated else a_leg.var(channel_vars.USER_ID) or None
    direction = a_leg.var(channel_vars.CALL_TYPE)
    if direction not in channel_vars.CALL_TYPES:
        direction = "outbound" if caller else "inbound"
    entries = []
    # No conversation: in nobody's log. A pickup that took a call (*8/**EXT bridged to the caller) is
    # the picker's part of that other call, which logs it as received by them (_picked_up).
    system = a_leg.var(channel_vars.FLOW) in SYSTEM_FLOWS or (
        a_leg.var(channel_vars.FLOW) == PICKUP_FLOW and a_leg.bridge_us > 0)
    if caller and not system:
        entries.append(_made_entry(caller, a_leg, b_legs, pickup, transfers))
    received, target = _received_entries(tenant, a_leg, b_legs, transfers, bool(caller), originated, picked)
    if not system:
        entries.extend(received)
    if caller or not received:  # a call that reached no one we know (a DID nobody owns) has no entry
        primary = entries[0] if entries else None
    else:
        primary = next((entry for entry in received if entry.user == target), received[0])
    answering = next((leg for leg in ([a_leg] if originated else []) + b_legs if leg.answered), None)
    return Call(
        call_id=a_leg.call_id,
        tenant=tenant,
        direction=direction,
        status=primary.status if entries and primary else Status.MISSED,
        start_us=a_leg.start_us,
        caller_name=_presented_name(a_leg, b_legs),
        caller_number=a_leg.caller_number,
        callee=_callee(a_leg, tenant),
        answered_by=(_local(_user_of(answering), tenant) or _destination(answering) if answering
                     else _local(picked.user, tenant) if picked else ""),
        entries=tuple(entries),
        flow=_flow(a_leg),
    )


def _made_entry(user, a_leg, b_legs, pickup, transfers) -> Entry:
    end = a_leg.end_us
    if pickup:
        status = Status.TRANSFERRED if any(t >= pickup for t in transfers) else Status.MADE
        return Entry(user, MADE, status, _seconds(pickup - a_leg.start_us), _seconds(end - pickup))
    causes = _causes(a_leg) | {leg.hangup_cause for leg in b_legs}
    cause = ""
    if a_leg.var(channel_vars.BLOCK_REASON) or causes & BARRED_CAUSES:
        status = Status.RESTRICTED
    elif causes & WRONG_NUMBER_CAUSES:
        status = Status.WRONG_NUMBER
    else:
        status, cause = Status.CANCELLED, _unanswered_cause(a_leg, causes)
    return Entry(user, MADE, status, _seconds(end - a_leg.start_us), 0, cause)


def _unanswered_cause(a_leg: LegFacts, causes: set[str]) -> str:
    """Why a call the caller made was never taken by a person."""
    if a_leg.answered and a_leg.last_app == "voicemail":
        return VOICEMAIL
    if _causes(a_leg) & CANCEL_CAUSES or a_leg.sip_disposition in CALLER_ENDED:
        return CALLER_HUNG_UP
    if causes & BUSY_CAUSES:
        return BUSY
    if causes & REJECTED_CAUSES:
        return DECLINED
    if causes & NO_ANSWER_CAUSES:
        return NO_ANSWER
    return UNREACHABLE


def _received_entries(tenant, a_leg, b_legs, transfers, made, originated, picked=None) -> tuple[list[Entry], str | None]:
    """Entries of the users the call was for, and which of them was the original target."""
    group = a_leg.var(channel_vars.FLOW) == "group"
    rung = [a_leg, *b_legs] if originated else b_legs
    user_legs = [(user, leg) for leg in rung if (user := _user_of(leg))]
    chain = channel_vars.chain_items(a_leg.var(channel_vars.CHAIN))
    target = chain[0][0] if chain else _legacy_target(tenant, a_leg, user_legs, made)
    reasons = dict(chain)
    parties = list(reasons) + [user for user, _ in user_legs if user not in reasons]
    entries = []
    for user in parties:
        legs = [leg for who, leg in user_legs if who == user]
        leg = _party_leg(legs)
        in_chain = user in reasons
        lost = leg is not None and not leg.answered and (leg.hangup_cause in LOST_RACE_CAUSES or group)
        if lost and not (in_chain or (not chain and not group and user == target)):
            continue  # someone else took the call (a group member, another user's simultaneous ring)
        if picked and (user == picked.user or (leg is not None and leg.uuid in picked.legs)):
            continue  # a colleague took it from their ringing phone: not missed; the picker's entry below
        if leg is None and not in_chain and not (user == target and not entries):
            continue
        entries.append(_received_entry(user, leg, a_leg, transfers, user == target, reasons.get(user), bool(chain),
                                       handed_off=_handed_off(b_legs) if leg is None else 0))
    if picked:
        entries.append(_picked_entry(picked, a_leg, transfers))
    if group and not any(entry.kind == RECEIVED for entry in entries):
        # An unanswered group call is the tenant's, once (its members' phones all rang).
        entries.append(_received_entry(None, None, a_leg, transfers, True, None, bool(chain)))
    elif target and target not in parties and (not entries or a_leg.var(channel_vars.FORWARDED)):
        # The target's phone never rang (DND, forward always, refused, IVR): it still gets the
        # call; if the target is no user, the store files it for the tenant (or drops it).
        entries.insert(0, _received_entry(target, None, a_leg, transfers, True, None, bool(chain),
                                          _handed_off(b_legs)))
    return entries, target


@dataclass(frozen=True)
class _Pickup:
    user: str  # who took the call, "ext@domain" of the call's tenant
    at: int  # when: the picked-off leg's end (intercept hangs it up as it joins the picker)
    legs: frozenset[str]  # the ringing legs it hung up (PICKED_OFF)


def _picked_up(tenant: str, b_legs: list[LegFacts]) -> _Pickup | None:
    """A colleague's *8/**EXT took the call while it rang: no B leg answered, and a leg hung up with
    PICKED_OFF names the picker (PICKED_UP_BY, written on it by the pickup flow just before
    FreeSWITCH's intercept; switch_ivr_intercept_session hangs the caller's ringing legs up with
    PICKED_OFF and bridges the caller to the picker's own channel, which is another call's A leg).
    Only a user of the call's own tenant is believed: the flow picks up nothing across tenants."""
    if any(leg.answered for leg in b_legs):
        return None
    taken = [leg for leg in b_legs if leg.hangup_cause == "PICKED_OFF"]
    user = next((leg.var(channel_vars.PICKED_UP_BY) for leg in taken if leg.var(channel_vars.PICKED_UP_BY)), "")
    if not tenant or not user.endswith("@" + tenant):
        return None
    return _Pickup(user, min(leg.end_us for leg in taken), frozenset(leg.uuid for leg in taken))


def _picked_entry(picked: _Pickup, a_leg: LegFacts, transfers) -> Entry:
    status = Status.TRANSFERRED if any(t >= picked.at for t in transfers) else Status.RECEIVED
    return Entry(picked.user, RECEIVED, status, _seconds(picked.at - a_leg.start_us),
                 _seconds(a_leg.end_us - picked.at))


def _legacy_target(tenant, a_leg, user_legs, made) -> str | None:
    """The original target of a CDR without a chain (recorded before Centralita kept one)."""
    forwarded = bool(a_leg.var(channel_vars.FORWARDED))
    # Where the dialplan sent the call; for a made call only when it stayed inside the tenant.
    routed = _routed_user(a_leg, tenant) if not made or a_leg.var(channel_vars.CALL_TYPE) == "internal" else None
    first_rung = user_legs[0][0] if user_legs else None
    # A forward may ring only the forward target (forward always): the target is then where the
    # dialplan routed the call, not the first phone that rang.
    return a_leg.var(channel_vars.TARGET_USER) or ((routed or first_rung) if forwarded else (first_rung or routed))


def _party_leg(legs: list[LegFacts]) -> LegFacts | None:
    """The leg that speaks for a party: one that answered, else one still theirs, else any."""
    for leg in legs:
        if leg.answered:
            return leg
    for leg in legs:
        if leg.hangup_cause not in LOST_RACE_CAUSES:
            return leg
    return legs[0] if legs else None


def _handed_off(b_legs: list[LegFacts]) -> int:
    return min((leg.start_us for leg in b_legs), default=0)


def _received_entry(user, leg, a_leg, transfers, is_target, reason, chained, handed_off=0) -> Entry:
    """`reason`: why the call left this user (chain); `handed_off`: when the call went elsewhere
    (a user without a leg waited until then)."""
    start = a_leg.start_us
    if leg is not None and leg.answered:
        # A leg another B leg originated (an attended transfer's consultation call) is the
        # transfer's target: the call was handed to them, they received it.
        target_of_transfer = leg.call_id != a_leg.uuid
        transferred = not target_of_transfer and any(t >= leg.answer_us for t in transfers)
        status = Status.TRANSFERRED if transferred else Status.RECEIVED
        return Entry(user, RECEIVED, status, _seconds(leg.answer_us - start), _seconds(leg.end_us - leg.answer_us))
    if chained:
        dnd = reason == "dnd"
        forwarded = bool(reason) and not dnd
    else:
        dnd = a_leg.flag(channel_vars.DND) or (leg is not None and leg.flag(channel_vars.DND))
        forwarded = bool(a_leg.var(channel_vars.FORWARDED)) and is_target
    causes = {leg.hangup_cause} if leg is not None else _causes(a_leg)
    if dnd:
        status = Status.DND
    elif forwarded:
        status = Status.FORWARDED
    elif causes & REJECTED_CAUSES:
        status = Status.REJECTED
    else:
        status = Status.MISSED
    end = leg.end_us if leg is not None else handed_off or a_leg.end_us
    return Entry(user, MISSED, status, _seconds(end - start), 0)


def _presented_name(a_leg: LegFacts, b_legs: list[LegFacts]) -> str:
    """The name the callee's phone showed: ours (contacts), else the B leg's caller id; a bare number is no name."""
    name = a_leg.var(channel_vars.CALLER_NAME) or next(
        (leg.caller_name for leg in b_legs if leg.caller_name), a_leg.presented_name or a_leg.caller_name)
    return "" if name in (a_leg.caller_number, "") or name.lstrip("+").isdigit() else name


def _causes(leg: LegFacts) -> set[str]:
    return {c for c in (leg.hangup_cause, leg.originate_disposition, leg.last_bridge_cause) if c}


def _user_of(leg: LegFacts) -> str:
    user = leg.var(channel_vars.USER_ID) or leg.var(channel_vars.RING_OF)
    if user:
        return user
    if leg.dialed_user and leg.dialed_domain:
        return f"{leg.dialed_user}@{leg.dialed_domain}"
    return ""


def _local(user: str, tenant: str) -> str:
    """A user of the call's own tenant is shown by extension alone."""
    return user[: -len(tenant) - 1] if tenant and user.endswith("@" + tenant) else user


def _destination(leg: LegFacts) -> str:
    return leg.steps[-1][1] if leg.steps else ""


def _routed_user(a_leg: LegFacts, tenant: str) -> str | None:
    """The extension the tenant's dialplan last routed the call to (a user's, or not: the store checks)."""
    for context, destination in reversed(a_leg.steps):
        if tenant and context == tenant and destination:
            return f"{destination}@{tenant}"
    return None


def _callee(a_leg: LegFacts, tenant: str) -> str:
    """The number the caller dialled: a DID, an extension, a short number; never a routing
    extension (pbx-ivr-1), which only says where the dialplan sent the call."""
    for context, destination in a_leg.steps:
        if destination and not destination.startswith(ROUTING_PREFIX) and context in (tenant, "public"):
            return destination
    for _, destination in a_leg.steps:
        if destination and not destination.startswith(ROUTING_PREFIX):
            return destination
    return a_leg.steps[0][1] if a_leg.steps else ""


def _flow(a_leg: LegFacts) -> tuple[str, str] | None:
    """The first menu or group the call reached: a routing extension, else the flow variables."""
    for _, destination in a_leg.steps:
        kind, _, target = destination[len(ROUTING_PREFIX):].partition("-")
        if destination.startswith(ROUTING_PREFIX) and kind in FLOW_KINDS and target.isdecimal():
            return kind, target
    kind, target = a_leg.var(channel_vars.FLOW), a_leg.var(channel_vars.FLOW_OBJECT)
    return (kind, target) if kind in FLOW_KINDS and target.isdecimal() else None


def _tenant(a_leg: LegFacts, b_legs: list[LegFacts]) -> str:
    for leg in (a_leg, *b_legs):
        if leg.var(channel_vars.TENANT):
            return leg.var(channel_vars.TENANT)
    user = a_leg.var(channel_vars.USER_ID)
    return user.partition("@")[2] if user else ""


def _seconds(micros: int) -> int:
    return max(0, round(micros / 1_000_000))
