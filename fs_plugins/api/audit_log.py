"""/api/v1/audit (operators: every entry) and /api/v1/tenants/{domain}/audit (a tenant's entries)."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Range

from fs_plugins.api.fields import UtcDateTime
from fs_plugins import audit
from fs_plugins.api.common import naive_utc
from fs_plugins.api.guard import OPERATOR_ONLY, TENANT, access, principal, tenant
from fs_plugins.api.schema import Schema

bp = APIBlueprint("audit", __name__, url_prefix="/api/v1", tag="Audit log")


class EntryOut(Schema):
    id = Integer(required=True)
    at = UtcDateTime(required=True)
    tenant = String(required=True)
    actor = String(required=True)
    role = String(required=True)
    source = String(required=True, metadata={"description": "client address, or cli"})
    action = String(required=True)
    target = String(required=True)
    detail = Dict(required=True, metadata={"description": "fields changed; secrets only as (changed)"})


class AuditQuery(Schema):
    limit = Integer(load_default=100, validate=Range(1, 1000))
    before = Integer(load_default=None, validate=Range(1, 2**63 - 1),
                     metadata={"description": "the `next` value of the previous page"})
    since = DateTime(load_default=None)


class EntryPage(Schema):
    items = List(Nested(EntryOut), required=True)
    next = Integer(required=True, allow_none=True, metadata={"description": "pass as `before` for older entries"})


def _page(query, tenant_id):
    rows = audit.entries(principal(), tenant_id, query["before"], query["limit"] + 1, naive_utc(query["since"], "since"))
    shown = rows[:query["limit"]]
    return {"items": shown, "next": shown[-1].id if len(rows) > query["limit"] else None}


@bp.get("/audit")
@access(OPERATOR_ONLY)
@bp.input(AuditQuery, location="query", arg_name="query")
@bp.output(EntryPage)
def all_entries(query):
    """Every change on the platform, newest first."""
    return _page(query, None)


@bp.get("/tenants/<domain>/audit")
@access(TENANT)
@bp.input(AuditQuery, location="query", arg_name="query")
@bp.output(EntryPage)
def tenant_entries(domain, query):
    """Every change to this tenant, newest first."""
    return _page(query, tenant().id)
