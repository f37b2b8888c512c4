"""API keys: operators manage every key at /api/v1/keys; a tenant admin their tenant's at
/api/v1/tenants/{domain}/keys. The key itself is in the creation answer only."""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import DateTime, String
from apiflask.validators import OneOf

from fs_plugins.access import apikeys
from fs_plugins.access.principal import TENANT_ADMIN, USER
from fs_plugins.api.common import app_context, audited, naive_utc, page_schema, with_etag
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.application import tenant_in_scope
from fs_plugins.api.guard import OPERATOR_ONLY, TENANT, access, principal, tenant
from fs_plugins.models.access import ROLES as ROLES_FOR_KEYS

bp = APIBlueprint("keys", __name__, url_prefix="/api/v1", tag="API keys")


class KeyOut(Schema):
    prefix = String(required=True, metadata={"description": "public id: the key reads ck_<prefix>_<secret>"})
    name = String(required=True)
    role = String(required=True)
    tenant = String(required=True, allow_none=True)
    extension = String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    created_by = String(required=True)
    expires_at = UtcDateTime(required=True, allow_none=True)
    last_used_at = UtcDateTime(required=True, allow_none=True)
    revoked_at = UtcDateTime(required=True, allow_none=True)


class KeyCreated(KeyOut):
    key = String(required=True, metadata={"description": "the whole key: shown only in this answer"})


class TenantKeyIn(Schema):
    name = String(required=True, metadata={"example": "billing sync"})
    role = String(load_default=TENANT_ADMIN, validate=OneOf((TENANT_ADMIN, USER)))
    extension = String(load_default=None, metadata={"description": "the user a user-role key acts as"})
    expires_at = DateTime(load_default=None)


class KeyIn(TenantKeyIn):
    role = String(required=True, validate=OneOf(ROLES_FOR_KEYS), metadata={"example": "operator"})
    tenant = String(load_default=None, metadata={"description": "domain, for tenant-admin and user keys"})


KeyPage = page_schema(KeyOut, "KeyPage")


def _shown(row) -> dict:
    return {"prefix": row.prefix, "name": row.name, "role": row.role,
            "tenant": row.tenant.domain if row.tenant_id else None,
            "extension": row.user.extension if row.user_id else None, "created_at": row.created_at,
            "created_by": row.created_by, "expires_at": row.expires_at, "last_used_at": row.last_used_at,
            "revoked_at": row.revoked_at}


def _create(body, owner):
    expires = naive_utc(body["expires_at"], "expires_at")
    with audited("key.create", f"key {body['name']}", owner, detail=body):
        created = apikeys.create(body["name"], body["role"], owner, body["extension"], expires, principal().name)
    return with_etag(KeyCreated(), {**_shown(created.row), "key": created.key}, 201)


def _revoke(prefix, owner):
    with audited("key.revoke", f"key {prefix}", owner):
        apikeys.revoke(apikeys.find(prefix, owner))
    return ""


@bp.get("/keys")
@access(OPERATOR_ONLY)
@bp.output(KeyPage)
def list_all_keys():
    """Every API key (never its secret)."""
    return {"items": [_shown(row) for row in apikeys.keys()], "next": None}


@bp.post("/keys")
@access(OPERATOR_ONLY)
@bp.input(KeyIn, arg_name="body", example={"name": "provisioning panel", "role": "operator"})
@bp.output(KeyCreated, status_code=201)
def create_any_key(body):
    """Create a key of any scope (operators)."""
    owner = tenant_in_scope(app_context(), body["tenant"]) if body["tenant"] else None
    return _create(body, owner)


@bp.delete("/keys/<prefix>")
@access(OPERATOR_ONLY)
@bp.output({}, status_code=204)
def revoke_any_key(prefix):
    """Revoke a key at once (operators)."""
    return _revoke(prefix, None)


@bp.get("/tenants/<domain>/keys")
@access(TENANT)
@bp.output(KeyPage)
def list_tenant_keys(domain):
    """The tenant's API keys (never their secrets)."""
    return {"items": [_shown(row) for row in apikeys.keys(tenant())], "next": None}


@bp.post("/tenants/<domain>/keys")
@access(TENANT)
@bp.input(TenantKeyIn, arg_name="body", example={"name": "billing sync"})
@bp.output(KeyCreated, status_code=201)
def create_tenant_key(domain, body):
    """Create a tenant-admin key (or a user key with `extension`) for this tenant."""
    return _create(body, tenant())


@bp.delete("/tenants/<domain>/keys/<prefix>")
@access(TENANT)
@bp.output({}, status_code=204)
def revoke_tenant_key(domain, prefix):
    """Revoke one of the tenant's keys at once."""
    return _revoke(prefix, tenant())
