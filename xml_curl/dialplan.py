"""Route a call: the dialplan section of the xml_curl handler.

The tenant is the dialplan context (a user's `user_context` is its tenant's domain, served by our
directory), never a header the caller controls: a number is only ever looked up inside the
context's tenant, so a user of tenant A cannot reach tenant B by extension, `ext@domain` or a
forged To host. Calls from carriers land in `public`, where only DIDs route.

A suspended customer's calls (a DID of theirs, anything in their context) get the Suspension's
answer instead: an optional announcement as early media, then its cause (CALL_REJECTED).

Order inside a tenant context (first match wins):
  0. the tenant is suspended                      → the Suspension's answer
  1. too many routing hops (a forward loop)      → hangup EXCHANGE_ROUTING_ERROR
  2. a feature code (*…, #…) of the tenant        → what the code does (xml_curl/codes.py)
  3. a user's extension                          → the user's call plan
  4. a routing extension pbx-<kind>-<target>     → that destination (fs_plugins.destinations)
  5. a short number (IVR menu, call group)       → its destination
  6. anything with INTERNAL_DIGITS digits or less → hangup UNALLOCATED_NUMBER (internal dialling)
  7. anything else                                → an external number (outbound plan)
A miss never falls through to FreeSWITCH's static XML: every answer ends in an action.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable

from fs_plugins import channel_vars, plugins
from fs_plugins.destinations import Destination
from fs_plugins.fsvalues import is_safe_token
from fs_plugins.suspension import Suspension
from fs_plugins.voices import Voices
from fs_plugins.actions import Action, hangup, set_var, socket_flow, transfer
from xml_curl.form import Form, Names
from xml_curl.lookups import DirectoryUser, Lookups, TenantInfo

log = logging.getLogger(__name__)

PUBLIC_CONTEXT = "public"
MAX_HOPS = 8
INTERNAL_DIGITS = 6
FLOW_FALLBACK_CAUSE = "DESTINATION_OUT_OF_ORDER"  # the ESL app could not be reached or failed
_DIALLED = re.compile(r"\+?[0-9*#]{1,32}\Z")
_NAMEABLE = re.compile(r"[A-Za-z0-9+*#._@-]{1,64}\Z")
GLOBAL_CONTEXT = "global"
@dataclass(frozen=True)
class CallRequest:
    """The fields of a dialplan fetch that routing uses."""

    context: str
    destination: str
    caller_number: str
    caller_name: str
    uuid: str
    caller_user_id: str  # pbx_user_id from our directory when the caller is one of our users
    call_type: str  # pbx_call_type already set by an earlier routing step, or ""
    hops: int
    voice: str = ""  # pbx_voice: the voice folder an earlier routing step set, or ""
    chain: str = ""  # pbx_chain: the users the call was offered to so far (channel_vars.chain_items)


def routing_key(fields: Form) -> tuple:
    """Everything routing may read of a dialplan fetch's form: CallRequest's fields but the call's
    uuid, which only names the call in log lines. Two requests with the same key route the same
    way while the database does not change (the Router reads nothing else but its configuration)."""
    markers = fields.prefixed(MARKER_PREFIX)
    context, destination, number, name = fields.values(_ROUTED)
    # Our markers from the one pass over them, not each searched for (most are absent).
    user_id, call_type = markers.get(_USER_ID, ""), markers.get(_CALL_TYPE, "")
    hops, chain, voice = markers.get(_HOPS, ""), markers.get(_CHAIN, ""), markers.get(_VOICE, "")
    if not (context and destination and number and name):  # the Hunt-* field empty or absent: the Caller-* one
        context, destination, number, name = (
            hunt or caller for hunt, caller in zip((context, destination, number, name), fields.values(_CALLER)))
    try:
        hops = int(hops or 0)
    except ValueError:
        hops = MAX_HOPS + 1  # a mangled counter is treated as a loop, never as a reset
    return context, destination, number, name, user_id, call_type, hops, voice, chain


def answer_key(fields: Form) -> tuple:
    """What a dialplan fetch's answer is kept by: what routing_key reads, as sent (Form.encoded:
    undecoded; the same bytes decode the same, so one key never stands for two routing keys, and
    a value spelled two ways only costs a miss), and read only as far as the answer depends on it.
    A call to `public` routes by the dialled number alone (Router._route_did), so its answer is
    kept once for every caller of the number, and found reading two fields of ~145. The uuid is
    never read (the 22nd of ~145 fields: a search of most of the body from its end)."""
    context, destination = fields.encoded(ASKED)
    if not context:
        context = fields.encoded(_CALLER_CONTEXT)[0]
    if context == _PUBLIC:  # another spelling of it keys as a tenant's call: a miss, the same route
        return PUBLIC_CONTEXT, destination or fields.encoded(_CALLER_DESTINATION)[0]
    number, name = fields.encoded(_CALLER_ID)
    if not (destination and number and name):  # empty as sent is empty decoded: routing_key's fallback
        destination, number, name = (
            hunt or caller for hunt, caller in zip((destination, number, name), fields.encoded(_CALLER_REST)))
    # Only the markers routing reads: another (pbx_recording names the call) would make every key new.
    return context, destination, number, name, *fields.encoded_pairs(MARKER_PREFIX, _MARKER_NAMES)


def call_request(key: tuple, uuid: str) -> CallRequest:
    """The CallRequest of a routing_key(…) and the call's uuid."""
    return CallRequest(*key[:4], uuid, *key[4:])


# The channel variables routing reads that are our own markers (fs_plugins.channel_vars), all under
# one prefix: found in one pass (Form.prefixed) before routing reads them.
MARKER_PREFIX = "variable_pbx_"
_HOPS, _USER_ID = f"variable_{channel_vars.HOPS}", f"variable_{channel_vars.USER_ID}"
_CALL_TYPE, _CHAIN = f"variable_{channel_vars.CALL_TYPE}", f"variable_{channel_vars.CHAIN}"
_VOICE = f"variable_{channel_vars.VOICE}"
assert all(marker.startswith(MARKER_PREFIX) for marker in (_HOPS, _USER_ID, _CALL_TYPE, _CHAIN, _VOICE))
# The other fields routing_key reads: from the Hunt-* block (what the fetch routes now: after a
# transfer, its new destination and context), else the Caller-* one.
_ROUTED = Names("Hunt-Context", "Hunt-Destination-Number", "Hunt-Caller-ID-Number", "Hunt-Caller-ID-Name")
ASKED = Names(*_ROUTED.names[:2])  # answer_key's: the context and the dialled number
_CALLER_ID = Names(*_ROUTED.names[2:])  # the rest, for routing_key
_CALLER = Names("Caller-Context", "Caller-Destination-Number", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name")
_CALLER_CONTEXT, _CALLER_DESTINATION = Names(_CALLER.names[0]), Names(_CALLER.names[1])
_CALLER_REST = Names(*_CALLER.names[1:])
_MARKER_NAMES = frozenset(marker.encode() for marker in (_HOPS, _USER_ID, _CALL_TYPE, _CHAIN, _VOICE))
_PUBLIC = PUBLIC_CONTEXT.encode()


@dataclass(frozen=True)
class Route:
    context: str
    name: str
    actions: tuple[Action, ...]
    # The one tenant whose rows alone decided the route (a DID's: its number's tenant), so that the
    # kept answer outlives other tenants' changes (xml_curl/cache.py); None: any change may alter it.
    tenant_id: int | None = None


def answered_context(context: str) -> str:
    """The context to answer in. A context that is no domain or name of ours (control characters,
    `$${…}`) is never echoed: FreeSWITCH preprocesses the document and lxml refuses control
    characters. mod_dialplan_xml uses a context named "global" when the asked one is missing."""
    return context if is_safe_token(context) and context else GLOBAL_CONTEXT


def extension_name(prefix: str, dialled: str) -> str:
    """The extension's name, for FreeSWITCH's log: the dialled number only when it is plainly one."""
    return f"{prefix}-{dialled}" if _NAMEABLE.match(dialled) else prefix


# A plan renders the actions for one kind of destination: (router, tenant, request, target) -> actions.
UserPlan = Callable[["Router", TenantInfo, CallRequest, DirectoryUser], list[Action]]
NumberPlan = Callable[["Router", TenantInfo, CallRequest, str], list[Action]]
# A feature plan answers a dialled feature code, or None when the number is none.
FeaturePlan = Callable[["Router", TenantInfo, CallRequest], "list[Action] | None"]


class Router:
    def __init__(self, lookups: Lookups, esl_address: str, user_plan: UserPlan, number_plan: NumberPlan,
                 voices: Voices | None = None, feature_plan: FeaturePlan | None = None,
                 suspension: Suspension = Suspension()):
        self.lookups = lookups
        self.feature_plan = feature_plan
        self.esl_address = esl_address
        self.user_plan = user_plan
        self.number_plan = number_plan
        self.voices = voices or Voices()
        self.suspension = suspension

    def route(self, request: CallRequest) -> Route:
        if request.context == PUBLIC_CONTEXT:
            actions, tenant_id = self._route_did(request)
            return Route(PUBLIC_CONTEXT, extension_name("did", request.destination), tuple(actions), tenant_id)
        dialled = request.destination
        # A number that may be an extension is looked up with its tenant in one query; a routing
        # extension (pbx-…) or junk is never a user's (extensions are digits: fs_plugins.validate).
        if _DIALLED.match(dialled):
            tenant, user = self.lookups.tenant_and_user(request.context, dialled)
        else:
            tenant, user = self.lookups.tenant(request.context), None
        if tenant is None:
            log.warning("dialplan fetch for unknown context %r", request.context)
            return Route(answered_context(request.context), "unknown-context", (hangup("UNALLOCATED_NUMBER"),))
        if tenant.suspended:
            return Route(tenant.domain, "suspended", tuple(self.refusal(tenant, request)))
        actions = self._spoken_in(tenant, request) + self._route_in_tenant(tenant, request, user)
        return Route(tenant.domain, extension_name("call", request.destination), tuple(actions))

    # Whether a (cached) answer differs per call (for_call): else the handler hands it out as kept,
    # without reading the call's uuid (the 22nd of ~145 fields: a search of most of the body).
    per_call = False

    def for_call(self, document: bytes, uuid: str, now: float) -> bytes:
        """A (cached) dialplan answer made the answer for call `uuid` at `now`: what differs per call
        (CallHandlingRouter: the signed recording URL) cannot be cached with the route. Asked only
        when `per_call`."""
        return document

    def refusal(self, tenant: TenantInfo, request: CallRequest) -> list[Action]:
        """A suspended customer's call: nothing of its dialplan runs, the caller gets the Suspension's answer."""
        log.info("call %s to %s refused: tenant %s is suspended", request.uuid, request.destination, tenant.domain)
        return self.suspension.actions(self.voices.for_language(tenant.language))  # the sound's path is absolute

    def _spoken_in(self, tenant: TenantInfo, request: CallRequest) -> list[Action]:
        """Prompts, mod_voicemail and `say` speak the tenant's language (fs_plugins/voices.py); set
        once, with the pbx_voice marker that tells the call's later fetches so."""
        voice = self.voices.for_language(tenant.language)
        if request.voice == voice.prefix:
            return []
        return [set_var(name, value) for name, value in voice.variables()] + [set_var(channel_vars.VOICE, voice.prefix)]

    def _route_did(self, request: CallRequest) -> tuple[list[Action], int | None]:
        """The actions, and the number's tenant: the only one whose rows they were read from (the
        number, the tenant, a user of it). None when no tenant has the number (any may add it)."""
        digits = request.destination.lstrip("+")
        found = self.lookups.did("+" + digits) if digits.isdecimal() else None
        if found is None:
            return [hangup("UNALLOCATED_NUMBER")], None
        tenant, destination = found
        actions = [set_var(channel_vars.TENANT, tenant.domain), set_var(channel_vars.CALL_TYPE, "inbound")]
        if tenant.suspended:  # the call log keeps it under its tenant, as a call that was not answered
            return actions + self.refusal(tenant, request), tenant.id
        return actions + [transfer(self._entry_extension(tenant, destination), tenant.domain)], tenant.id

    def _entry_extension(self, tenant: TenantInfo, destination: Destination) -> str:
        """Where a DID enters its tenant's context: a user's own extension reads best in the call log."""
        if destination.kind == "user":
            user = self.lookups.user_by_id(tenant.id, destination.object_id)
            if user is not None:
                return user.extension
        return destination.routing_extension

    def _route_in_tenant(self, tenant: TenantInfo, request: CallRequest, user: DirectoryUser | None) -> list[Action]:
        """`user`: the tenant's user whose extension is the dialled number, if any (looked up with the tenant)."""
        if request.hops > MAX_HOPS:
            log.warning("call %s in %s exceeded %d routing hops", request.uuid, tenant.domain, MAX_HOPS)
            return [hangup("EXCHANGE_ROUTING_ERROR")]
        dialled = request.destination
        # Before the dialled number is checked: a code with junk after it (*72${x}) gets the code's
        # invalid-entry prompt, and the feature plan answers with fixed actions, never the junk.
        planned = self.feature_plan(self, tenant, request) if self.feature_plan is not None else None
        if planned is not None:
            return self._marked(request, "internal") + planned
        if not _DIALLED.match(dialled) and not dialled.startswith("pbx-"):
            return self._marked(request, "internal") + [hangup("INVALID_NUMBER_FORMAT")]
        if user is not None:
            return self._marked(request, "internal") + self._user_actions(tenant, request, user)
        destination = Destination.from_routing_extension(dialled)
        if destination is None:
            destination = self.lookups.short_number(tenant.id, dialled)
        if destination is not None:
            return self._marked(request, "internal") + self.destination_actions(tenant, request, destination)
        if len(dialled.lstrip("+")) <= INTERNAL_DIGITS and not dialled.startswith("+"):
            return self._marked(request, "internal") + [hangup("UNALLOCATED_NUMBER")]
        return self._marked(request, "outbound") + self.number_plan(self, tenant, request, dialled)

    def _marked(self, request: CallRequest, call_type: str) -> list[Action]:
        """The call type is decided once, by the first routing step (a DID sets "inbound").

        A channel our directory did not authenticate (no pbx_user_id) is a call from outside,
        whatever it dials, so it is inbound even if an earlier step did not say so.
        """
        if request.call_type:
            return []
        return [set_var(channel_vars.CALL_TYPE, call_type if request.caller_user_id else "inbound")]

    def _user_actions(self, tenant: TenantInfo, request: CallRequest, user: DirectoryUser) -> list[Action]:
        if not user.enabled:
            return [hangup("UNALLOCATED_NUMBER")]
        return self.user_plan(self, tenant, request, user)

    def destination_actions(self, tenant: TenantInfo, request: CallRequest, destination: Destination,
                            known: DirectoryUser | None = None) -> list[Action]:
        """The actions that take a call already in its tenant's context to a destination.
        `known`: a user of the tenant already loaded (the one whose plan this is: a forward to
        their own voicemail box is not looked up again)."""
        kind = destination.kind
        if kind == "user":
            user = self._user_by_id(tenant, destination.object_id, known)
            if user is None:
                log.warning("%s routes to a missing user %s", tenant.domain, destination)
                return [hangup("UNALLOCATED_NUMBER")]
            return self._user_actions(tenant, request, user)
        if kind == "number":
            return self.number_plan(self, tenant, request, destination.target)
        if kind == "hangup":
            return [hangup(destination.target)]
        if kind == "voicemail":
            return self._voicemail_actions(tenant, destination, known)
        if kind not in plugins.installed().destination_kinds:
            log.warning("%s routes to %s, whose plugin is not installed", tenant.domain, destination)
            return [hangup("UNALLOCATED_NUMBER")]
        # ivr, group, message and plugins' kinds: the ESL flow of that name, with a fallback if it fails.
        flow = socket_flow(self.esl_address, kind, destination.target, tenant.domain)
        return flow + [hangup(FLOW_FALLBACK_CAUSE)]

    def _user_by_id(self, tenant: TenantInfo, user_id: int, known: DirectoryUser | None) -> DirectoryUser | None:
        if known is not None and known.id == user_id and known.tenant.id == tenant.id:
            return known
        return self.lookups.user_by_id(tenant.id, user_id)

    def _voicemail_actions(self, tenant: TenantInfo, destination: Destination,
                           known: DirectoryUser | None = None) -> list[Action]:
        box = "general"
        if destination.target:
            user = self._user_by_id(tenant, destination.object_id, known)
            if user is None:
                return [hangup("UNALLOCATED_NUMBER")]
            box = user.extension
        return [Action("answer"), Action("voicemail", f"default {tenant.domain} {box}"), hangup("NORMAL_CLEARING")]
