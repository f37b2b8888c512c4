"""API keys and people's logins, the application layer: list, create, change, revoke or remove.

The operator manages every key and login; a tenant's administrator those of their tenant
(tenant-admin and user ones, never an operator's: those are not found for them); a user none (a
person changes their own password through fs_plugins.access.account). Every change is audited in
its transaction: key.create / key.revoke with the key named "key <prefix> (<name>)",
login.create / login.update / login.delete with "login <username>"; a secret (the key, a
password) is never in a view or the audit log. Keys and logins are checked per request, so
nothing is cached anywhere and no flush is sent. A login's new password or disabling ends its
sessions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fs_plugins.access import apikeys, logins
from fs_plugins.access.logins import LoginView
from fs_plugins.access.principal import OPERATOR
from fs_plugins.application import AppContext, Changed, require_admin, require_operator, tenant_in_scope
from fs_plugins.models import Tenant, database
from fs_plugins.errors import InvalidInput
from fs_plugins.models.access import ApiKey


@dataclass(frozen=True)
class KeyView:
    prefix: str  # public: the key reads ck_<prefix>_<secret>
    name: str
    role: str
    tenant: str | None  # the tenant's domain (None: an operator key)
    extension: str | None  # the user a user key acts as
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class NewKey:
    key: KeyView
    secret: str  # the whole key: shown to its creator once, stored only as a hash


def list_keys(ctx: AppContext, tenant: str | None = None) -> list[KeyView]:
    """The tenant's keys, or with no tenant every key (the operator's view)."""
    return [_view(row) for row in apikeys.keys(_owner(ctx, tenant, "list API keys"))]


def create_key(ctx: AppContext, name: str, role: str, tenant: str | None = None, extension: str | None = None,
               expires_at: dt.datetime | None = None) -> Changed[NewKey]:
    owner = _owner(ctx, tenant, "create API keys")
    if role == OPERATOR:
        require_operator(ctx, "create operator keys")
    with database.atomic():
        created = apikeys.create(name, role, owner, extension, expires_at, ctx.principal.name)
        ctx.record("key.create", owner, f"key {created.row.prefix} ({created.row.name})",
                   {"role": role, "extension": extension, "expires": expires_at.isoformat() if expires_at else None})
    return Changed(NewKey(_view(created.row), created.key))


def revoke_key(ctx: AppContext, prefix: str, tenant: str | None = None) -> Changed[KeyView]:
    """Revoke a key at once (revoking a revoked key changes nothing); `tenant` limits the search."""
    owner = _owner(ctx, tenant, "revoke API keys")
    with database.atomic():
        row = apikeys.revoke(apikeys.find(prefix, owner))
        ctx.record("key.revoke", row.tenant if row.tenant_id else None, f"key {row.prefix} ({row.name})")
    return Changed(_view(row))


def list_logins(ctx: AppContext, tenant: str | None = None) -> list[LoginView]:
    """The tenant's logins by username, or with no tenant every login (the operator's view)."""
    return [logins.view(row) for row in logins.logins(_owner(ctx, tenant, "list logins"))]


def get_login(ctx: AppContext, username: str, tenant: str | None = None) -> LoginView:
    return logins.view(logins.find(username, _owner(ctx, tenant, "see logins")))


def add_login(ctx: AppContext, username: str, password: str, role: str, tenant: str | None = None,
              extension: str | None = None) -> Changed[LoginView]:
    """A login for a person: an operator (no tenant), a tenant's admin (optionally also one of its
    users, for /me) or a user (`extension` is required)."""
    owner = _admin_of(ctx, tenant, "create logins") if tenant else None
    if role == OPERATOR:
        require_operator(ctx, "create operator logins")
    with database.atomic():
        row = logins.add_login(username, password, role, owner, extension)
        ctx.record("login.create", owner, f"login {row.username}",
                   {"role": role, "extension": row.user.extension if row.user_id else None})
    return Changed(logins.view(row))


def set_login(ctx: AppContext, username: str, password: str | None = None, enabled: bool | None = None,
              tenant: str | None = None) -> Changed[LoginView]:
    """A new password and/or enabled; `tenant` limits the search (a tenant's admin must give theirs)."""
    owner = _owner(ctx, tenant, "change logins")
    if password is None and enabled is None:
        raise InvalidInput("password", "give a new password, enabled, or both")
    given = {key: value for key, value in (("password", password), ("enabled", enabled)) if value is not None}
    with database.atomic():
        row = logins.set_login(logins.find(username, owner), password, enabled)
        ctx.record("login.update", logins.tenant_of(row), f"login {row.username}", given)
    return Changed(logins.view(row))


def remove_login(ctx: AppContext, username: str, tenant: str | None = None) -> Changed[LoginView]:
    """Delete a login with its sessions (the login as it was)."""
    owner = _owner(ctx, tenant, "remove logins")
    with database.atomic():
        row = logins.find(username, owner)
        removed = logins.view(row)
        ctx.record("login.delete", logins.tenant_of(row), f"login {row.username}")
        logins.remove(row)
    return Changed(removed)


def _owner(ctx: AppContext, tenant: str | None, what: str) -> Tenant | None:
    if not tenant:
        require_operator(ctx, what + " of every tenant")
        return None
    return _admin_of(ctx, tenant, what)


def _admin_of(ctx: AppContext, tenant: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, tenant)
    require_admin(ctx, what)
    return owner


def _view(row: ApiKey) -> KeyView:
    return KeyView(row.prefix, row.name, row.role, row.tenant.domain if row.tenant_id else None,
                   row.user.extension if row.user_id else None, row.created_at, row.created_by, row.expires_at,
                   row.last_used_at, row.revoked_at)
