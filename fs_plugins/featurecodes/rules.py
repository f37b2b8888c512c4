"""Which feature a dialled number asks for, and which code tables make sense. Pure.

A code is `*` or `#` followed by up to 7 of 0-9 * # (what every phone's keypad sends).
Matching a dialled number against a tenant's table (first rule that applies wins):

| dialled                                              | result                                 |
|------------------------------------------------------|----------------------------------------|
| does not start with * or #                           | no feature code (routing goes on)      |
| exactly a code                                       | that feature, no argument               |
| `**` and an extension (what a busy lamp dials)       | pickup_direct, the extension            |
| a code that takes an argument, then digits           | that feature, the digits (the longest   |
|                                                      | such code wins)                        |
| anything else starting with * or #                   | an unknown code                        |

A feature that takes an argument dialled without one (`*72` alone) or with other keys
(`*72*5`) is refused with a prompt, like an unknown code: nothing is stored.

A busy lamp field key on a ringing colleague dials what FreeSWITCH put in the dialog's remote target:
`sip:**EXT@domain`, hard-coded in mod_sofia (sofia_presence.c, the `<target uri="sip:**%s@%s"/>` of
an early or confirmed dialog). So `**EXT` picks up EXT's call whatever code the tenant gave
pickup_direct (unless it turned directed pickup off): a phone's lamp works without being told the
tenant's table.

A table is consistent when no two features share a code and no code that takes an argument is the
start of another code (`*7` taking a number would swallow `*72`); a code that takes none may start
one that does (*8 and *80), because an exact match is tried first. No feature but pickup_direct may
have a code starting with `**` (it would take the lamps' pickups).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, NamedTuple

from fs_plugins import channel_vars, dialstrings
from fs_plugins.actions import Action, hangup, set_var, socket_flow
from fs_plugins.channel import RingingLeg
from fs_plugins.featurecodes.kinds import (
    BY_NAME, CHANGES, EXTENSION, FEATURES, FLOW, GROUP_PICKUP, NONE, NUMBER, PICKUP_FLOW,
)

CODE = re.compile(r"[*#][0-9*#]{1,7}\Z")
_ARGUMENTS = {NUMBER: re.compile(r"\+?[0-9]{2,20}\Z"), EXTENSION: re.compile(r"[0-9]{2,6}\Z")}
BLF_PICKUP = "**"  # mod_sofia's dialog remote target: sip:**EXT@domain (see the module's text)
_BLF_PICKUP = re.compile(r"\*\*([0-9]{2,6})\Z")
UNKNOWN = "unknown"  # Match.feature when the dialled number is a code of no feature


@dataclass(frozen=True)
class Match:
    feature: str  # a feature's name, or UNKNOWN
    argument: str = ""
    valid: bool = True  # False: a feature's code with a missing or malformed argument


def is_feature_dial(dialled: str) -> bool:
    return dialled[:1] in ("*", "#")


def table(overrides: Mapping[str, str]) -> dict[str, str]:
    """The codes in force: each feature's default unless the tenant changed it ("" : turned off)."""
    return {feature.name: overrides.get(feature.name, feature.default) for feature in FEATURES}


def match(codes: Mapping[str, str], dialled: str) -> Match | None:
    """The feature `dialled` asks for in a tenant with `codes` (table()), or None for no code."""
    if not is_feature_dial(dialled):
        return None
    for name, code in codes.items():
        if code and code == dialled:
            argument = BY_NAME[name].argument
            return Match(name, "", valid=argument == NONE)
    lamp = _BLF_PICKUP.match(dialled)
    if lamp and codes.get("pickup_direct"):  # a tenant that turned directed pickup off has none
        return Match("pickup_direct", lamp.group(1))
    prefixed = [(code, name) for name, code in codes.items()
                if code and BY_NAME[name].argument != NONE and dialled.startswith(code)]
    if not prefixed:
        return Match(UNKNOWN, valid=False)
    code, name = max(prefixed)  # the longest code (codes sharing a start cannot both take arguments)
    argument = dialled[len(code):]
    return Match(name, argument, valid=bool(_ARGUMENTS[BY_NAME[name].argument].match(argument)))


class CodeProblem(NamedTuple):
    """A code that cannot stand in its table: the feature, and why (a message the portal translates:
    fs_plugins/portal/app_errors.py reads every CodeProblem's `why` as it reads InvalidInput's message)."""
    feature: str
    why: str


def problems(codes: Mapping[str, str]) -> list[CodeProblem]:
    """A CodeProblem for each code that cannot stand in this table; [] when it is consistent."""
    found = []
    used: dict[str, str] = {}
    for name, code in codes.items():
        if not code:
            continue
        if not CODE.match(code):
            found.append(CodeProblem(name, f"{code!r} must be * or # and then 1 to 7 of 0-9 * #"))
        elif code in used:
            found.append(CodeProblem(name, f"{code} is already the code of {used[code]}"))
        used.setdefault(code, name)
    for name, code in codes.items():
        if not code or BY_NAME[name].argument == NONE:
            continue
        for other, longer in codes.items():
            if other != name and longer and longer != code and longer.startswith(code):
                found.append(CodeProblem(name, f"{code} takes a number after it, so it cannot also start {longer} "
                                               f"({other})"))
    return found


def reserved(codes: Mapping[str, str]) -> list[tuple[str, str]]:
    """(feature, why) for each code of another feature than pickup_direct that starts with `**`:
    `**` and an extension is what a busy lamp dials to pick up (see the module's text)."""
    return [(name, f"{code}: codes starting with ** are for call pickup (** and an extension is what a busy "
                   "lamp key dials)")
            for name, code in codes.items() if code and name != "pickup_direct" and code.startswith(BLF_PICKUP)]


# --- what the dialplan does with a code ---------------------------------------------------------

REFUSED_PROMPT = "ivr/ivr-that_was_an_invalid_entry.wav"  # FreeSWITCH's stock sound, in the tenant's voice
FLOW_FALLBACK = "DESTINATION_OUT_OF_ORDER"  # the ESL app could not be reached (as every flow's fallback)
INTERCOM_RING_SECONDS = 30  # a phone that does not answer by itself rings like a call
# Auto-answer requests, as the phones' documentation names them: Call-Info answer-after (Yealink,
# Grandstream, Snom, Cisco SPA/MPP, Fanvil) and Alert-Info info=alert-autoanswer (Snom, Yealink, and
# Poly when its alert-info class for that token is set to auto-answer). The phone must allow it.
AUTO_ANSWER = {
    "sip_h_Call-Info": "<sip:{domain}>;answer-after=0",
    "sip_h_Alert-Info": "<http://www.notused.com>;info=alert-autoanswer;delay=0",
}


@dataclass(frozen=True)
class Target:
    """The user an intercom call is for (looked up in the caller's tenant)."""

    extension: str
    dnd: bool = False


@dataclass(frozen=True)
class Page:
    """A group page: the call's uuid (names its conference) and the extensions it reaches (the
    group's enabled users not in do-not-disturb, in ring order)."""

    uuid: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class CodeCall:
    domain: str  # the tenant's
    caller: str  # the dialling user's extension; "" when the caller is none of the tenant's users
    esl_address: str
    target: Target | None = None  # intercom: the user dialled after the code, when there is one
    page: Page | None = None  # paging: the group whose short number was dialled, when there is one


def code_actions(found: Match, call: CodeCall) -> list[Action]:
    """The dialplan for a feature code. Only the tenant's own users have codes; every call a code
    makes is in no call log (pbx_flow=featurecode), except an intercom call, which is a call."""
    if not call.caller:
        return [hangup("UNALLOCATED_NUMBER")]
    quiet = [set_var(channel_vars.FLOW, FLOW)]
    feature = found.feature
    if not found.valid:
        return quiet + refused()
    if feature in CHANGES:
        return ([set_var(channel_vars.FEATURE_ARGUMENT, found.argument)]
                + socket_flow(call.esl_address, FLOW, feature, call.domain) + [hangup(FLOW_FALLBACK)])
    if feature in ("voicemail", "voicemail_any"):
        box = f" {call.caller}" if feature == "voicemail" else ""
        return quiet + [Action("answer"), Action("voicemail", f"check default {call.domain}{box}"),
                        hangup("NORMAL_CLEARING")]
    if feature in ("pickup_group", "pickup_direct"):
        target = found.argument if feature == "pickup_direct" else GROUP_PICKUP
        return socket_flow(call.esl_address, PICKUP_FLOW, target, call.domain) + [hangup(FLOW_FALLBACK)]
    if feature == "paging":
        return paging(call)
    return intercom(call)


def intercom(call: CodeCall) -> list[Action]:
    target = call.target
    if target is None or target.extension == call.caller:
        return [set_var(channel_vars.FLOW, FLOW)] + refused()
    if target.dnd:
        return [hangup("USER_BUSY")]
    user = f"{target.extension}@{call.domain}"
    variables = {"leg_timeout": INTERCOM_RING_SECONDS,
                 **{name: value.format(domain=call.domain) for name, value in AUTO_ANSWER.items()}}
    dial = dialstrings.with_leg_variables(variables, dialstrings.user(target.extension, call.domain))
    return [set_var(channel_vars.TARGET_USER, user), set_var(channel_vars.CHAIN, user),
            Action("bridge", dial), hangup("NORMAL_CLEARING")]


# A group page is a conference the caller speaks into and every member's phone joins muted,
# answering by itself (mod_conference's auto outcall: conference_set_auto_outcall adds a dial
# string, the conference dials them all when the caller enters). mod_conference reads the members'
# flags from conference_utils_auto_outcall_flags (conference_loop.c), not the documented
# conference_auto_outcall_flags; a timeout under 10 s is taken as 60. Each dial string carries its
# own leg variables, so the list delimiter is one that no dial string holds.
_UUID = re.compile(r"[0-9A-Za-z-]{8,64}\Z")
PAGE_DELIMITER = "|"


def paging(call: CodeCall) -> list[Action]:
    page = call.page
    if page is None or not _UUID.match(page.uuid):
        return [set_var(channel_vars.FLOW, FLOW)] + refused()
    members = [extension for extension in page.members if extension != call.caller]
    if not members:
        return [hangup("USER_BUSY")]  # everyone is in do-not-disturb (or it is only the caller)
    auto_answer = {name: value.format(domain=call.domain) for name, value in AUTO_ANSWER.items()}
    actions = [set_var("conference_auto_outcall_caller_id_number", call.caller),
               set_var("conference_auto_outcall_timeout", str(INTERCOM_RING_SECONDS)),
               set_var("conference_utils_auto_outcall_flags", "mute"),
               set_var("conference_auto_outcall_delimiter", PAGE_DELIMITER)]
    actions += [Action("conference_set_auto_outcall",
                       dialstrings.with_leg_variables(auto_answer, dialstrings.user(extension, call.domain)))
                for extension in members]
    return actions + [Action("conference", f"page-{page.uuid}@default+flags{{endconf}}"),
                      hangup("NORMAL_CLEARING")]


def refused() -> list[Action]:
    """Answer, say the entry was invalid, hang up: nothing was changed."""
    return [Action("answer"), Action("sleep", "500"), Action("playback", REFUSED_PROMPT), hangup("NORMAL_CLEARING")]


def pickup_choice(legs: list[RingingLeg], allowed: frozenset[str], picker: str) -> RingingLeg | None:
    """The leg call pickup takes: of the legs ringing a user the picker may pick up from (`allowed`:
    "ext@domain" of each), never their own, the one ringing longest; None when there is none."""
    candidates = [leg for leg in legs if leg.presence_id in allowed and leg.presence_id != picker]
    return min(candidates, key=lambda leg: (leg.created_epoch, leg.uuid), default=None)
