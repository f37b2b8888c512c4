"""API keys, the application layer: list, create (the key shown once), revoke.

The operator manages every key; a tenant's administrator the keys of their tenant (tenant-admin
and user keys, never an operator key). Creating and revoking are audited in the change's
transaction as key.create / key.revoke with the key named "key <prefix> (<name>)"; the secret is
never in a view or the audit log. A key is checked per request (apikeys.authenticate), so nothing
is cached anywhere and no flush is sent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fs_plugins.access import apikeys
from fs_plugins.access.principal import OPERATOR
from fs_plugins.application import AppContext, Changed, require_admin, require_operator, tenant_in_scope
from fs_plugins.models import Tenant, database
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


def _owner(ctx: AppContext, tenant: str | None, what: str) -> Tenant | None:
    if not tenant:
        require_operator(ctx, what + " of every tenant")
        return None
    owner = tenant_in_scope(ctx, tenant)
    require_admin(ctx, what)
    return owner


def _view(row: ApiKey) -> KeyView:
    return KeyView(row.prefix, row.name, row.role, row.tenant.domain if row.tenant_id else None,
                   row.user.extension if row.user_id else None, row.created_at, row.created_by, row.expires_at,
                   row.last_used_at, row.revoked_at)
