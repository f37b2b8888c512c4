"""/api/v1/tenants: operators create and remove tenants; a tenant's admin reads and adjusts theirs."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import String

from fs_plugins.api import paging
from fs_plugins.api.common import app_context, checked_change, page_schema, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import ADMIN, OPERATOR_ONLY, TENANT, access, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.core import app

bp = APIBlueprint("tenants", __name__, url_prefix="/api/v1/tenants", tag="Tenants")


class TenantOut(Schema):
    domain = String(required=True, metadata={"description": "SIP domain, also the dialplan context"})
    name = String(required=True)
    timezone = String(required=True)
    language = String(required=True)
    country = String(required=True)
    region = String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class TenantPatch(Schema):
    name = String(metadata={"example": "Acme Sociedad Limitada"})
    timezone = String(metadata={"example": "Europe/Madrid"})
    language = String(metadata={"example": "es"})
    country = String(metadata={"example": "ES"})
    region = String(allow_none=True, metadata={"example": "MD"})


class TenantIn(TenantPatch):
    domain = String(required=True, metadata={"example": "nueva.example.com"})
    name = String(required=True, metadata={"example": "Nueva S.L."})


TenantPage = page_schema(TenantOut, "TenantPage")
SETTINGS = ("name", "timezone", "language", "country", "region")


@bp.get("")
@access(ADMIN)
@bp.input(paging.PageQuery, location="query", arg_name="query")
@bp.output(TenantPage)
def list_tenants(query):
    """Tenants the caller administers (an operator: all of them), by domain."""
    ctx = app_context()
    return paging.keyset(lambda after, limit: [s.tenant for s in app.list_tenants(ctx, after, limit)], "domain", query)


@bp.post("")
@access(OPERATOR_ONLY)
@bp.input(TenantIn, arg_name="body", example={"domain": "nueva.example.com", "name": "Nueva S.L.",
                                              "timezone": "Europe/Madrid", "country": "ES", "region": "MD"})
@bp.output(TenantOut, status_code=201)
def create_tenant(body):
    """Create a tenant (operators)."""
    defaults = {"timezone": "Europe/Madrid", "language": "es", "country": "ES", "region": None}
    values = {**defaults, **body}
    done = app.add_tenant(app_context(), values["domain"], values["name"], values["timezone"], values["language"],
                          values["country"], values["region"])
    return with_etag(TenantOut, done.value, 201, {"Location": f"/api/v1/tenants/{done.value.domain}"})


@bp.get("/<domain>")
@access(TENANT)
@bp.output(TenantOut)
def get_tenant(domain):
    """One tenant's settings (with its ETag)."""
    return with_etag(TenantOut, _tenant())


@bp.patch("/<domain>")
@access(TENANT)
@bp.input(TenantPatch, arg_name="body", example={"name": "Acme Sociedad Limitada"})
@bp.output(TenantOut)
def update_tenant(domain, body):
    """Change a tenant's name, time zone, language, country or region (send If-Match)."""
    with checked_change() as ctx:
        check_if_match(schema_of(TenantOut).dump(_tenant()))
        done = app.set_tenant(ctx, tenant().domain, **{k: body.get(k) for k in SETTINGS})
    return with_etag(TenantOut, done.value)


def _tenant() -> app.TenantView:
    """The tenant of the URL as it is now (the guard found it within the caller's scope)."""
    return app.get_tenant(app_context(), tenant().domain)


@bp.delete("/<domain>")
@access(OPERATOR_ONLY)
@bp.output({}, status_code=204)
def delete_tenant(domain):
    """Remove a tenant and everything it owns (operators; If-Match honoured when sent)."""
    with checked_change() as ctx:
        check_if_match(schema_of(TenantOut).dump(_tenant()), required=False)
        app.remove_tenant(ctx, tenant().domain)
    return ""
