"""The call plans the Router runs: how a call reaches a user, and how it reaches an external number.

The decisions live in fs_plugins.callhandling.rules (pure); this module loads what they need with
the prepared statements of fs_plugins.callhandling.loader (one query per call to a user, one per
outbound call, plus the caller-name probe) and hands them the router's rendering of destinations.

`CallHandlingRouter` adds one kind of context to the Router: ``pbx-failover.<user id>.<domain>``,
where FreeSWITCH's `transfer_on_fail … auto_cause` sends a call whose ringing failed, with the
cause as the extension (USER_BUSY, USER_NOT_REGISTERED, …); it is answered with the forward that
applies to that cause. The user id and domain must belong together, so no context can leave its
tenant.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from fs_plugins import channel_vars, mediaurls
from fs_plugins.callhandling import loader, rules
from fs_plugins.contacts.caller_name import caller_name as contact_name
from fs_plugins.destinations import Destination
from fs_plugins.recording import loader as recording_loader
from fs_plugins.recording import rules as recording
from fs_plugins.recording.kinds import NEVER
from fs_plugins.recording.rules import recordings_dir
from fs_plugins.e164 import possible as possible_e164
from fs_plugins.mediaurls import Media
from fs_plugins.voices import Voices
from fs_plugins.actions import Action, caller_name, hangup, set_var
from fs_plugins.suspension import Suspension
from xml_curl import codes
from xml_curl.dialplan import MAX_HOPS, CallRequest, Route, Router
from xml_curl.lookups import DirectoryUser, TenantInfo

log = logging.getLogger(__name__)

_E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")


@dataclass(frozen=True)
class PlanOptions:
    dial_template: str = "sofia/gateway/carrier/{e164}"
    confirm_prompt: str = ""
    recordings_dir: str = "/var/lib/centralita/recordings"
    announcement: str = ""
    media: Media | None = None  # FreeSWITCH without this disk uploads recordings (fs_plugins/mediaurls.py)


def make_router(lookups, config) -> "CallHandlingRouter":
    options = PlanOptions(config.outbound_dial_template, config.confirm_prompt, recordings_dir(config),
                          config.recording_announcement, mediaurls.from_config(config))
    return CallHandlingRouter(lookups, config.esl_contact(), options, Voices.from_config(config),
                              Suspension.from_config(config))


class CallHandlingRouter(Router):
    def __init__(self, lookups, esl_address: str, options: PlanOptions = PlanOptions(), voices: Voices | None = None,
                 suspension: Suspension = Suspension()):
        self.options = options
        self.per_call = options.media is not None  # recordings go to a URL signed for the call
        super().__init__(lookups, esl_address, user_plan=functools.partial(user_call, options=options),
                         number_plan=functools.partial(outbound_call, options=options),
                         voices=voices, feature_plan=functools.partial(
                             codes.feature_call, user_call_data=functools.partial(_user_call_data, lookups)),
                         suspension=suspension)

    def route(self, request: CallRequest) -> Route:
        if request.context.startswith(rules.FAILOVER_PREFIX):
            return Route(request.context, f"failover-{request.destination}", tuple(self._failover(request)))
        return super().route(request)

    def for_call(self, document: bytes, uuid: str, now: float) -> bytes:
        return self.options.media.fill_recordings(document, uuid, now) if self.options.media else document

    def _failover(self, request: CallRequest) -> list[Action]:
        user_id, _, domain = request.context[len(rules.FAILOVER_PREFIX):].partition(".")
        tenant = self.lookups.tenant(domain)
        valid_id = user_id.isdecimal() and len(user_id) <= 10
        user = self.lookups.user_by_id(tenant.id, int(user_id)) if tenant and valid_id else None
        if user is None:
            log.warning("failover context %r names no user of its tenant", request.context)
            return [hangup("UNALLOCATED_NUMBER")]
        if tenant.suspended:
            return self.refusal(tenant, request)
        if request.hops > MAX_HOPS:
            return [hangup("EXCHANGE_ROUTING_ERROR")]
        # The failed ringing already put this user last in the chain (user_call below).
        call = _call(tenant, request, user, self.options, self.voices, request.chain)
        data = _user_call_data(self.lookups, tenant.id, user.id)
        return rules.failover(call, data, request.destination, self._renderer(tenant, request, user))

    def destination_actions(self, tenant: TenantInfo, request: CallRequest, destination: Destination,
                            known: DirectoryUser | None = None) -> list[Action]:
        actions = super().destination_actions(tenant, request, destination, known)
        if destination.kind != "group":
            return actions
        policy = _recording(self.lookups, tenant.id)
        return _recorded(self.options, tenant, policy, policy.group_mode(destination.object_id),
                         _caller_mode(policy, tenant, request)) + actions

    def _renderer(self, tenant: TenantInfo, request: CallRequest, user: DirectoryUser):
        return lambda destination: self.destination_actions(tenant, request, destination, known=user)


def _call(tenant: TenantInfo, request: CallRequest, user: DirectoryUser, options: PlanOptions,
          voices: Voices, chain: str) -> rules.Call:
    # The confirm prompt plays on the answering leg, which has no sound_prefix of its own: give it
    # the tenant's voice as a full path.
    confirm = voices.for_language(tenant.language).path(options.confirm_prompt) if options.confirm_prompt else ""
    return rules.Call(tenant.domain, tenant.country, user.id, user.extension, request.hops,
                      options.dial_template, confirm, chain)


def user_call(router, tenant, request, user, options: PlanOptions = PlanOptions()) -> list[Action]:
    """Mark the target, add the user to the call's chain (every user a call passes through gets
    their call-log entry), name the caller from the contacts, then the user's own call handling."""
    chain = channel_vars.chain_with(request.chain, user.user_id)
    actions = [set_var(channel_vars.TARGET_USER, user.user_id), set_var(channel_vars.CHAIN, chain)]
    actions += _caller_name(router.lookups, tenant, request, user)
    data = _user_call_data(router.lookups, tenant.id, user.id)
    render = lambda destination: router.destination_actions(tenant, request, destination, known=user)  # noqa: E731
    policy = _recording(router.lookups, tenant.id)
    actions += _recorded(options, tenant, policy, policy.user_mode(user.extension),
                         _caller_mode(policy, tenant, request))
    return actions + rules.user_call(_call(tenant, request, user, options, router.voices, chain), data, render)


def _recording(lookups, tenant_id: int):
    """The tenant's recording policies (frozen), kept with the lookups until its rows change."""
    return lookups.cache.get(("recording", tenant_id),
                             lambda: recording_loader.tenant_recording(lookups.db, tenant_id), tenant_id)


def _caller_mode(policy, tenant: TenantInfo, request: CallRequest) -> str:
    """The calling user's policy, when the caller is one of this tenant's users (else never)."""
    extension, _, domain = request.caller_user_id.partition("@")
    return policy.user_mode(extension) if extension and domain == tenant.domain else NEVER


def _recorded(options: PlanOptions, tenant: TenantInfo, policy, callee_mode: str, caller_mode: str) -> list[Action]:
    return recording.call_actions(options.recordings_dir, tenant.id, callee_mode, caller_mode,
                                  policy.announce, options.announcement,
                                  options.media.recording(tenant.id) if options.media else "")


def _user_call_data(lookups, tenant_id: int, user_id: int):
    """The user's call handling (frozen records), kept with the lookups until the database changes."""
    return lookups.cache.get(("user_call", tenant_id, user_id),
                             lambda: loader.user_call(lookups.db, tenant_id, user_id), tenant_id)


def _caller_name(lookups, tenant: TenantInfo, request: CallRequest, user: DirectoryUser) -> list[Action]:
    """The callee's personal contact, else the common directory; else keep the name sent. Kept
    with the lookups until the database changes (contacts included: xml_curl/pgchanges.py), per
    callee and number, so a caller who calls back costs no query over the contacts."""
    e164 = _caller_e164(request.caller_number, tenant.country) if request.caller_number else None
    if not e164:
        return []
    name = lookups.cache.get(("caller_name", tenant.id, user.id, e164),
                             lambda: contact_name(lookups.db, tenant.id, user.id, e164), tenant.id)
    return [caller_name(name), set_var(channel_vars.CALLER_NAME, name)] if name else []


@functools.lru_cache(maxsize=4096)
def _caller_e164(number: str, country: str) -> str | None:
    """The caller's number in E.164 (contacts are stored so), or None for an extension or junk.

    A number already written as +E.164 (what carriers usually send) is used as it is: the lookup
    is an equality on stored E.164, so a malformed one simply finds nothing. Other forms are parsed
    (cached: callers come back, and phonenumbers' parse is the largest cost of this lookup)."""
    if _E164.match(number):
        return number
    e164 = possible_e164(number, country)
    return e164 if e164 and e164.startswith("+") else None


def outbound_call(router, tenant, request, dialled: str, options: PlanOptions = PlanOptions()) -> list[Action]:
    extension, _, domain = request.caller_user_id.partition("@")
    from_user = bool(extension) and domain == tenant.domain
    caller = extension if from_user else ""
    data = router.lookups.cache.get(("outbound", tenant.id, caller),
                                    lambda: loader.outbound(router.lookups.db, tenant.id, caller), tenant.id)
    actions = rules.outbound_call(tenant.country, dialled, data, from_user, options.dial_template)
    if not from_user or actions[-1].application != "bridge":  # a barred number is not recorded
        return actions
    policy = _recording(router.lookups, tenant.id)
    return _recorded(options, tenant, policy, NEVER, policy.user_mode(caller)) + actions
