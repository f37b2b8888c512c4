"""Feature codes in the dialplan: a number dialled in a tenant's context that starts with * or #
is one of the tenant's codes (fs_plugins.featurecodes.rules decides which, and what it does).

One read per call beyond routing's own: the tenant's code table (cached until the database
changes), plus, for an intercom call, the dialled user and their do-not-disturb, and for a group
page the group's short number and the members it reaches.
"""
from __future__ import annotations

from fs_plugins.actions import Action
from fs_plugins.featurecodes import loader, rules
from xml_curl.dialplan import CallRequest
from xml_curl.lookups import TenantInfo


def feature_call(router, tenant: TenantInfo, request: CallRequest, user_call_data) -> list[Action] | None:
    """The code's actions, or None when the dialled number is no feature code (routing goes on).
    `user_call_data(tenant_id, user_id)`: a user's call handling (for the intercom target's DND)."""
    dialled = request.destination
    if not rules.is_feature_dial(dialled):
        return None
    codes = router.lookups.cache.get(("featurecodes", tenant.id), lambda: loader.codes(router.lookups.db, tenant.id),
                                     tenant.id)
    found = rules.match(codes, dialled)
    extension, _, domain = request.caller_user_id.partition("@")
    caller = extension if extension and domain == tenant.domain else ""
    target = page = None
    if found.valid and found.feature == "intercom" and caller:
        _, user = router.lookups.tenant_and_user(tenant.domain, found.argument)
        if user is not None and user.enabled:
            target = rules.Target(user.extension, user_call_data(tenant.id, user.id).settings.dnd)
    if found.valid and found.feature == "paging" and caller:
        group = router.lookups.short_number(tenant.id, found.argument)  # the tenant's own short numbers only
        if group is not None and group.kind == "group":
            page = rules.Page(request.uuid, tuple(loader.paged(router.lookups.db, tenant.id, group.object_id)))
    return rules.code_actions(found, rules.CodeCall(tenant.domain, caller, router.esl_address, target, page))
