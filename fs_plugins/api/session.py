"""/api/v1/session: people sign in (cookie + CSRF token), see who they are, sign out."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import String
from flask import g, make_response, request

from fs_plugins.access import account, sessions
from fs_plugins.api.common import app_context
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import ANY, PUBLIC, access, principal
from fs_plugins.api.schema import Schema

bp = APIBlueprint("session", __name__, url_prefix="/api/v1/session", tag="Session")


class Credentials(Schema):
    username = String(required=True, metadata={"example": "ana@acme.example.com"})
    password = String(required=True, load_only=True, metadata={"example": "portal-password"})


class Caller(Schema):
    role = String(required=True, metadata={"description": "operator, tenant-admin or user"})
    tenant = String(required=True, allow_none=True)
    extension = String(required=True, allow_none=True)
    name = String(required=True, metadata={"description": "as the audit log shows the caller"})
    csrf_token = String(allow_none=True, metadata={
        "description": "send as X-CSRF-Token on every write made with the session cookie"})
    expires_at = UtcDateTime(allow_none=True)


def _caller(csrf_token=None, expires_at=None) -> dict:
    who = principal()
    return {"role": who.role, "tenant": who.tenant_domain or None, "extension": who.extension or None,
            "name": who.name, "csrf_token": csrf_token, "expires_at": expires_at}


@bp.post("")
@access(PUBLIC)
@bp.input(Credentials, arg_name="body", example={"username": "ana@acme.example.com", "password": "portal-password"})
@bp.output(Caller, status_code=201)
def sign_in(body):
    """Sign in with a login: sets the session cookie and returns the CSRF token.

    The cookie is HttpOnly, SameSite=Lax, Secure over HTTPS. 401 for wrong credentials, 429 after
    too many failures."""
    signed = account.sign_in(app_context(), body["username"], body["password"], request.headers.get("User-Agent", ""))
    g.principal = signed.principal
    opened = signed.session
    response = make_response(Caller().dump(_caller(opened.csrf_token, opened.expires_at)), 201)
    response.set_cookie(sessions.COOKIE, opened.token, max_age=int(sessions.LIFETIME.total_seconds()), path="/",
                        httponly=True, secure=request.is_secure, samesite="Lax")
    return response


@bp.get("")
@access(ANY)
@bp.output(Caller)
def who_am_i():
    """The caller's role and scope (and, with a session cookie, the CSRF token again)."""
    token = request.cookies.get(sessions.COOKIE)
    by_key = request.headers.get("Authorization", "").lower().startswith("bearer ")
    return _caller(sessions.csrf_token(token) if token and not by_key else None)


@bp.delete("")
@access(ANY)
@bp.output({}, status_code=204)
def sign_out():
    """End the session of the cookie (an API key has no session: nothing happens)."""
    account.sign_out(app_context(), request.cookies.get(sessions.COOKIE, ""))
    response = make_response("", 204)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
