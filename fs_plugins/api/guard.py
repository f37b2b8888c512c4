"""Who is calling and what they may reach, decided once per request before any view runs.

Every view declares its access level with `@access(...)` (no level means operator-only, so a view
someone forgot to mark is closed, not open):

    PUBLIC     no credentials (sign-in, the OpenAPI document, the docs page)
    ANY        any signed-in caller
    ADMIN      an operator or a tenant admin
    OPERATOR   operators only
    TENANT     an operator, or the admin of the tenant in the URL
    SELF       a caller who is a user (/me)

Credentials: `Authorization: Bearer ck_…` (an API key) or the session cookie. A cookie-authenticated
write must also send the session's CSRF token in `X-CSRF-Token` (403 without it).
A `{domain}` in the URL is resolved here: a tenant that does not exist and one the caller may not
see give the same 404, before the body is even read, so answers never tell them apart.
"""
from __future__ import annotations

import hmac

from flask import Flask, g, request

from fs_plugins import prepared
from fs_plugins.access import apikeys, sessions
from fs_plugins.access.logins import AuthFailed
from fs_plugins.access.principal import OPERATOR, TENANT_ADMIN, Principal
from fs_plugins.api.problems import problem
from fs_plugins.errors import NotFound
from fs_plugins.models import Tenant

PUBLIC, ANY, ADMIN, OPERATOR_ONLY, TENANT, SELF = "public", "any", "admin", "operator", "tenant", "self"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"


def access(level: str):
    def mark(view):
        view._access = level
        return view

    return mark


def level_of(view) -> str:
    return getattr(view, "_access", OPERATOR_ONLY)


def install(app: Flask) -> None:
    @app.before_request
    def _guard():
        view = app.view_functions.get(request.endpoint or "")
        if any("\x00" in str(value) for value in (request.view_args or {}).values()):
            return problem(404, "no such resource")  # nothing is named with a NUL (PostgreSQL refuses one)
        for name, value in request.args.items(multi=True):
            if "\x00" in value:
                return problem(422, f"{name}: must not contain NUL",
                               [{"field": name, "detail": "must not contain NUL"}])
        if view is None or level_of(view) == PUBLIC:
            return None  # routing answers 404/405 itself; public views need nobody
        (principal, g.own_tenant, g.own_user), by_cookie = _authenticate()
        if by_cookie and request.method not in SAFE_METHODS and not _csrf_ok():
            return problem(403, f"a write with the session cookie needs the {CSRF_HEADER} header from sign-in")
        g.principal = principal
        _check_scope(level_of(view), principal, (request.view_args or {}).get("domain"))
        return None


def principal() -> Principal:
    return g.principal


def tenant() -> Tenant:
    """The tenant named in the URL, already checked to be within the caller's scope."""
    return g.tenant


def _authenticate() -> tuple[tuple, bool]:
    """((the principal, its tenant's row, its user's row), whether by the session cookie): the rows
    come with the key's or the session's own read (common.app_context hands them to a read)."""
    address = request.remote_addr or ""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return tuple(apikeys.authenticate_with_rows(credentials.strip(), address)), False
    found = sessions.resume_with_rows(request.cookies.get(sessions.COOKIE, ""), address)
    if found is None:
        raise AuthFailed()
    return tuple(found), True


def _csrf_ok() -> bool:
    expected = sessions.csrf_token(request.cookies.get(sessions.COOKIE, ""))
    return hmac.compare_digest(request.headers.get(CSRF_HEADER, "").encode(), expected.encode())  # str: ASCII only


def _check_scope(level: str, caller: Principal, domain: str | None) -> None:
    if domain is not None:
        found = prepared.get_or_none(Tenant, domain=domain.strip().lower())
        if found is None or not caller.sees_tenant(found.id):
            raise NotFound("domain", f"no tenant {domain!r}")
        g.tenant = found
    allowed = {
        ANY: True,
        ADMIN: caller.role in (OPERATOR, TENANT_ADMIN),
        OPERATOR_ONLY: caller.role == OPERATOR,
        TENANT: caller.role == OPERATOR or (caller.role == TENANT_ADMIN and domain is not None),
        SELF: caller.has_self,
    }[level]
    if not allowed:
        raise NotFound("path", f"no resource {request.path}")
