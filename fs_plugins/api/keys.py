"""API keys: operators manage every key at /api/v1/keys; a tenant admin their tenant's at
/api/v1/tenants/{domain}/keys. The key itself is in the creation answer only."""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint
from apiflask.fields import DateTime, String
from apiflask.validators import OneOf

from fs_plugins.access import app as keys_app
from fs_plugins.access.principal import TENANT_ADMIN, USER
from fs_plugins.api.common import app_context, naive_utc, page_schema, with_etag
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import OPERATOR_ONLY, TENANT, access, tenant
from fs_plugins.api.schema import Schema
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


def _create(body, tenant: str | None):
    expires = naive_utc(body["expires_at"], "expires_at")
    new = keys_app.create_key(app_context(), body["name"], body["role"], tenant, body["extension"], expires).value
    return with_etag(KeyCreated, {**asdict(new.key), "key": new.secret}, 201)


def _revoke(prefix, tenant: str | None):
    keys_app.revoke_key(app_context(), prefix, tenant)
    return ""


@bp.get("/keys")
@access(OPERATOR_ONLY)
@bp.output(KeyPage)
def list_all_keys():
    """Every API key (never its secret)."""
    return {"items": keys_app.list_keys(app_context()), "next": None}


@bp.post("/keys")
@access(OPERATOR_ONLY)
@bp.input(KeyIn, arg_name="body", example={"name": "provisioning panel", "role": "operator"})
@bp.output(KeyCreated, status_code=201)
def create_any_key(body):
    """Create a key of any scope (operators)."""
    return _create(body, body["tenant"])


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
    return {"items": keys_app.list_keys(app_context(), tenant().domain), "next": None}


@bp.post("/tenants/<domain>/keys")
@access(TENANT)
@bp.input(TenantKeyIn, arg_name="body", example={"name": "billing sync"})
@bp.output(KeyCreated, status_code=201)
def create_tenant_key(domain, body):
    """Create a tenant-admin key (or a user key with `extension`) for this tenant."""
    return _create(body, tenant().domain)


@bp.delete("/tenants/<domain>/keys/<prefix>")
@access(TENANT)
@bp.output({}, status_code=204)
def revoke_tenant_key(domain, prefix):
    """Revoke one of the tenant's keys at once."""
    return _revoke(prefix, tenant().domain)
