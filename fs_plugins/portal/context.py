"""The application layer's context for the page being served: who asks (the session's principal,
or a visitor before signing in), the configuration, and FreeSWITCH for the cache flushes a change needs."""
from __future__ import annotations

from flask import current_app, g, request

from fs_plugins.access.principal import visitor
from fs_plugins.application import AppContext, require_admin, tenant_in_scope
from fs_plugins.fsapi import FreeswitchDirectory
from fs_plugins.portal.guard import SAFE_METHODS


def app_context() -> AppContext:
    """The page's caller: the session's principal, or a visitor from the client's address on the
    pages shown before signing in. A page that only reads (GET) hands over the tenant and user rows
    its session read brought, so its scope checks do not read them again; a post's change reads
    its own, inside its transaction."""
    config = current_app.config["CENTRALITA"]
    principal = g.get("principal") or visitor(request.remote_addr or "")
    if request.method not in SAFE_METHODS:
        return AppContext(principal, config, freeswitch=FreeswitchDirectory(config))
    return AppContext(principal, config, freeswitch=FreeswitchDirectory(config), own_tenant=g.get("tenant_row"),
                      own_user=g.get("user_row"))


def me() -> tuple[str, str]:
    """The signed-in user's (tenant domain, extension): the /me pages' subject."""
    return g.principal.tenant_domain, g.principal.extension


def admin_tenant(domain: str, what: str):
    """The tenant of the URL for a page of its administration: NotFound outside the caller's scope,
    Forbidden for someone who sees it but does not administer it."""
    ctx = app_context()
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner
