"""/api/v1/tenants/{domain}/logins: the people who sign in to the portal and the API for a tenant.

A tenant's admin (or the operator) gives a user a login, changes its password, disables or removes
it; the password is write-only (stored as an argon2id hash, never returned). A new password or a
disabled login ends its sessions. Operators' own logins are managed on the server
(`centralita login`), never here.
"""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, String
from apiflask.validators import OneOf

from fs_plugins.access import app
from fs_plugins.access.principal import TENANT_ADMIN, USER
from fs_plugins.api.common import app_context, page_schema
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import TENANT, access, tenant
from fs_plugins.api.schema import Schema

bp = APIBlueprint("logins", __name__, url_prefix="/api/v1/tenants/<domain>/logins", tag="Logins")


class LoginOut(Schema):
    username = String(required=True)
    role = String(required=True, metadata={"description": "tenant-admin or user"})
    extension = String(required=True, allow_none=True, metadata={"description": "the user the login is"})
    enabled = Boolean(required=True)
    created_at = UtcDateTime(required=True)
    last_login_at = UtcDateTime(required=True, allow_none=True)


class LoginIn(Schema):
    username = String(required=True, metadata={"example": "eva@acme.example.com"})
    password = String(required=True, load_only=True, metadata={"example": "portal-pass-2"})
    role = String(load_default=USER, validate=OneOf((TENANT_ADMIN, USER)))
    extension = String(load_default=None, metadata={
        "description": "the user's extension: required for a user, optional for a tenant admin", "example": "1001"})


class LoginPatch(Schema):
    password = String(load_only=True, metadata={"description": "new password (ends the login's sessions)"})
    enabled = Boolean(metadata={"example": False, "description": "false ends the login's sessions"})


LoginPage = page_schema(LoginOut, "LoginPage")


@bp.get("")
@access(TENANT)
@bp.output(LoginPage)
def list_logins(domain):
    """The tenant's logins by username (never a password)."""
    return {"items": app.list_logins(app_context(), tenant().domain), "next": None}


@bp.post("")
@access(TENANT)
@bp.input(LoginIn, arg_name="body", example={"username": "eva@acme.example.com", "password": "portal-pass-2",
                                             "role": "user", "extension": "1001"})
@bp.output(LoginOut, status_code=201)
def create_login(domain, body):
    """Give a person a login: a user's (with `extension`) or an administrator's of the tenant."""
    done = app.add_login(app_context(), body["username"], body["password"], body["role"], tenant().domain,
                         body["extension"])
    return done.value, 201, {"Location": f"/api/v1/tenants/{tenant().domain}/logins/{done.value.username}"}


@bp.get("/<username>")
@access(TENANT)
@bp.output(LoginOut)
def get_login(domain, username):
    """One login."""
    return app.get_login(app_context(), username, tenant().domain)


@bp.patch("/<username>")
@access(TENANT)
@bp.input(LoginPatch, arg_name="body", example={"enabled": False})
@bp.output(LoginOut)
def update_login(domain, username, body):
    """A new password and/or enabled; either ends the login's sessions.

    No If-Match: the password is write-only and `enabled` is all that can be seen changing."""
    return app.set_login(app_context(), username, body.get("password"), body.get("enabled"), tenant().domain).value


@bp.delete("/<username>")
@access(TENANT)
@bp.output({}, status_code=204)
def delete_login(domain, username):
    """Remove a login and its sessions."""
    app.remove_login(app_context(), username, tenant().domain)
    return ""
