"""Custom call flows (docs/flows.md): the installed flows (/api/v1/flows, the operator's), the flows
a tenant may use (/api/v1/tenants/{domain}/flows: the operator enables with POST, changes the
tenant-wide settings with PATCH, disables with DELETE), the tenant's routes (/api/v1/tenants/{domain}/flow-routes; numbers and menus route to
`flow:<name>`) and what its flows stored (/api/v1/tenants/{domain}/flow-records)."""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String

from fs_plugins.api import paging
from fs_plugins.api.common import app_context, page_schema, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import OPERATOR_ONLY, TENANT, access
from fs_plugins.callflows import app

bp = APIBlueprint("flows", __name__, url_prefix="/api/v1", tag="Custom call flows")
SETTINGS = {"description": "setting name -> value, checked against the flow's declared settings; "
                           "a destination is written as clients write one (user:1001)",
            "example": {"pin": "4321", "target": "user:1001"}}


class SettingOut(Schema):
    name = String(required=True)
    type = String(required=True, metadata={"description": "text, integer, boolean, choice, url, secret, destination"})
    default = Raw(required=True, allow_none=True)
    required = Boolean(required=True)
    help = String(required=True)
    choices = List(String(), required=True)


class FlowOut(Schema):
    name = String(required=True)
    description = String(required=True)
    origin = String(required=True, metadata={"description": "the file or package it was loaded from"})
    settings = List(Nested(SettingOut), required=True)


class ProblemOut(Schema):
    origin = String(required=True)
    error = String(required=True)


class CatalogOut(Schema):
    flows = List(Nested(FlowOut), required=True)
    problems = List(Nested(ProblemOut), required=True, metadata={"description": "what failed to load"})


class GrantOut(Schema):
    flow = String(required=True)
    settings = Dict(required=True, metadata={"description": "tenant-wide values; secrets read \"(set)\""})
    installed = Boolean(required=True)
    description = String(required=True)
    declared = List(Nested(SettingOut), required=True, metadata={"description": "the settings a route may set"})


class GrantList(Schema):
    items = List(Nested(GrantOut), required=True)


class GrantPatch(Schema):
    settings = Dict(keys=String(), values=Raw(allow_none=True), load_default=dict, metadata=SETTINGS)
    unset = List(String(), load_default=list, metadata={"description": "tenant-wide values to drop"})


class GrantIn(Schema):
    flow = String(required=True, metadata={"example": "pin_line"})
    settings = Dict(keys=String(), values=Raw(allow_none=True), load_default=dict, metadata=SETTINGS)


class DestinationOut(Schema):
    destination = String(required=True)
    label = String(required=True)


class RouteOut(Schema):
    id = Integer(required=True)
    name = String(required=True)
    flow = String(required=True)
    destination = String(required=True, metadata={"description": "what numbers and menus route to: flow:<name>"})
    settings = Dict(required=True, metadata={"description": "the route's own values; secrets read \"(set)\""})
    fallback = Nested(DestinationOut, required=True)
    enabled = Boolean(required=True, metadata={"description": "false: calls go to the fallback"})


class RouteList(Schema):
    items = List(Nested(RouteOut), required=True)


class RoutePatch(Schema):
    name = String()
    settings = Dict(keys=String(), values=Raw(allow_none=True), load_default=dict, metadata=SETTINGS)
    unset = List(String(), load_default=list)
    fallback = String(metadata={"description": "a destination; \"\" for the tenant's general voicemail"})


class RouteIn(Schema):
    name = String(required=True, metadata={"example": "boss_line"})
    flow = String(required=True, metadata={"example": "pin_line"})
    settings = Dict(keys=String(), values=Raw(allow_none=True), load_default=dict, metadata=SETTINGS)
    fallback = String(load_default=None, metadata={"description": "default: the tenant's general voicemail"})


class RecordOut(Schema):
    created_at = UtcDateTime(required=True)
    flow = String(required=True)
    route = String(required=True)
    call_uuid = String(required=True)
    caller = String(required=True)
    data = Dict(required=True)


RecordPage = page_schema(RecordOut, "FlowRecordPage")


class RecordQuery(paging.PageQuery):
    flow = String(load_default=None, metadata={"description": "only this flow's records"})


@bp.get("/flows")
@access(OPERATOR_ONLY)
@bp.output(CatalogOut)
def catalog():
    """Every installed flow with its settings, and the files or packages that failed to load."""
    return app.catalog(app_context())


@bp.get("/tenants/<domain>/flows")
@access(TENANT)
@bp.output(GrantList)
def list_grants(domain):
    """The flows the tenant may use, with their tenant-wide settings."""
    return {"items": app.list_grants(app_context(), domain)}


@bp.post("/tenants/<domain>/flows")
@access(OPERATOR_ONLY)
@bp.input(GrantIn, arg_name="body", example={"flow": "pin_line", "settings": {"tries": 3}})
@bp.output(GrantOut)
def enable_flow(domain, body):
    """Allow a flow in the tenant (already allowed: change its tenant-wide settings)."""
    return app.enable_flow(app_context(), domain, body["flow"], body["settings"]).value


@bp.patch("/tenants/<domain>/flows/<flow>")
@access(OPERATOR_ONLY)
@bp.input(GrantPatch, arg_name="body", example={"unset": ["prompt"]})
@bp.output(GrantOut)
def change_grant(domain, flow, body):
    """Change the tenant-wide settings of a flow the tenant may use."""
    return app.enable_flow(app_context(), domain, flow, body["settings"], tuple(body["unset"]), enabled_only=True).value


@bp.delete("/tenants/<domain>/flows/<flow>")
@access(OPERATOR_ONLY)
@bp.output({}, status_code=204)
def disable_flow(domain, flow):
    """No longer allow a flow in the tenant: its routes send calls to their fallbacks."""
    app.disable_flow(app_context(), domain, flow)
    return ""


@bp.get("/tenants/<domain>/flow-routes")
@access(TENANT)
@bp.output(RouteList)
def list_routes(domain):
    """The tenant's flow routes by name."""
    return {"items": app.list_routes(app_context(), domain)}


@bp.post("/tenants/<domain>/flow-routes")
@access(TENANT)
@bp.input(RouteIn, arg_name="body", example={"name": "boss_line", "flow": "pin_line",
                                             "settings": {"pin": "4321", "target": "user:1001"}})
@bp.output(RouteOut, status_code=201)
def add_route(domain, body):
    """Attach an enabled flow under a name, with its settings and fallback."""
    done = app.add_route(app_context(), domain, body["name"], body["flow"], body["settings"], body["fallback"])
    return with_etag(RouteOut(), done.value, 201)


@bp.get("/tenants/<domain>/flow-routes/<route>")
@access(TENANT)
@bp.output(RouteOut)
def get_route(domain, route):
    """One route."""
    return with_etag(RouteOut(), app.get_route(app_context(), domain, route))


@bp.patch("/tenants/<domain>/flow-routes/<route>")
@access(TENANT)
@bp.input(RoutePatch, arg_name="body", example={"settings": {"tries": 2}})
@bp.output(RouteOut)
def change_route(domain, route, body):
    """Rename a route, set or unset its settings, change its fallback; send If-Match."""
    ctx = app_context()
    check_if_match(RouteOut().dump(app.get_route(ctx, domain, route)))
    done = app.change_route(ctx, domain, route, name=body.get("name"), values=body["settings"],
                            unset=tuple(body["unset"]), fallback=body.get("fallback"))
    return with_etag(RouteOut(), done.value)


@bp.delete("/tenants/<domain>/flow-routes/<route>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_route(domain, route):
    """Remove a route (409 while a number, menu, group or forward routes to it)."""
    ctx = app_context()
    check_if_match(RouteOut().dump(app.get_route(ctx, domain, route)), required=False)
    app.remove_route(ctx, domain, route)
    return ""


@bp.get("/tenants/<domain>/flow-records")
@access(TENANT)
@bp.input(RecordQuery, location="query", arg_name="query")
@bp.output(RecordPage)
def list_records(domain, query):
    """What the tenant's flows stored (a survey's answers), oldest first, a page at a time."""
    ctx = app_context()
    return paging.keyset(lambda after, limit: app.list_records(ctx, domain, query["flow"], after=after, limit=limit),
                         "id", query)
