"""/api/v1/tenants/{domain}/numbers (DIDs) and /short-numbers (internal numbers of menus and groups)."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import String

from fs_plugins.api import paging
from fs_plugins.api.common import app_context, checked_change, page_schema, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import OPERATOR_ONLY, TENANT, access, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.core import app

bp = APIBlueprint("numbers", __name__, url_prefix="/api/v1/tenants/<domain>", tag="Numbers")
DESTINATION_HELP = ("user:EXT, number:NUMBER, ivr:NAME, group:NAME, voicemail:EXT (voicemail: for the general "
                    "box), message:NAME, hangup[:CAUSE]")


class NumberOut(Schema):
    number = String(required=True, metadata={"description": "E.164"})
    destination = String(required=True)
    description = String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class NumberPatch(Schema):
    destination = String(required=True, metadata={"description": DESTINATION_HELP, "example": "voicemail:1001"})


class NumberIn(Schema):
    number = String(required=True, metadata={"description": "any written form; stored as E.164",
                                             "example": "+34 910 000 009"})
    destination = String(required=True, metadata={"description": DESTINATION_HELP, "example": "user:1001"})
    description = String(allow_none=True, metadata={"example": "Sales line"})


class ShortNumberOut(Schema):
    number = String(required=True)
    destination = String(required=True)


NumberPage = page_schema(NumberOut, "NumberPage")
ShortNumberPage = page_schema(ShortNumberOut, "ShortNumberPage")


def _shown(number: app.RouteView) -> dict:
    return {"number": number.number, "destination": number.reference, "description": number.description,
            "created_at": number.created_at}


def _number(number: str) -> app.RouteView:
    return app.get_number(app_context(), tenant().domain, number)


@bp.get("/numbers")
@access(TENANT)
@bp.input(paging.PageQuery, location="query", arg_name="query")
@bp.output(NumberPage)
def list_numbers(domain, query):
    """The tenant's numbers (DIDs) in E.164 order, a page at a time."""
    ctx = app_context()
    found = paging.keyset(lambda after, limit: app.list_numbers(ctx, tenant().domain, after, limit), "number", query)
    return {**found, "items": [_shown(number) for number in found["items"]]}


@bp.post("/numbers")
@access(OPERATOR_ONLY)
@bp.input(NumberIn, arg_name="body", example={"number": "+34 910 000 009", "destination": "user:1001"})
@bp.output(NumberOut, status_code=201)
def create_number(domain, body):
    """Give the tenant a DID (operators: numbers come from the operator's carrier)."""
    done = app.add_number(app_context(), tenant().domain, body["number"], body["destination"], body.get("description"))
    return with_etag(NumberOut, _shown(_number(done.value.number)), 201,
                     {"Location": f"/api/v1/tenants/{tenant().domain}/numbers/{done.value.number}"})


@bp.get("/numbers/<number>")
@access(TENANT)
@bp.output(NumberOut)
def get_number(domain, number):
    """One number and where it routes (with its ETag)."""
    return with_etag(NumberOut, _shown(_number(number)))


@bp.patch("/numbers/<number>")
@access(TENANT)
@bp.input(NumberPatch, arg_name="body", example={"destination": "voicemail:1001"})
@bp.output(NumberOut)
def route_number(domain, number, body):
    """Send the number's calls elsewhere (send If-Match)."""
    with checked_change() as ctx:
        check_if_match(schema_of(NumberOut).dump(_shown(_number(number))))
        done = app.route_number(ctx, tenant().domain, number, body["destination"])
    return with_etag(NumberOut, _shown(_number(done.value.number)))


@bp.delete("/numbers/<number>")
@access(OPERATOR_ONLY)
@bp.output({}, status_code=204)
def delete_number(domain, number):
    """Take a DID back from the tenant (operators)."""
    with checked_change() as ctx:
        check_if_match(schema_of(NumberOut).dump(_shown(_number(number))), required=False)
        app.remove_number(ctx, tenant().domain, number)
    return ""


@bp.get("/short-numbers")
@access(TENANT)
@bp.output(ShortNumberPage)
def list_short_numbers(domain):
    """Internal numbers that reach the tenant's IVR menus and groups (set with the menu or group)."""
    rows = app.list_short_numbers(app_context(), tenant().domain)
    return {"items": [{"number": r.number, "destination": r.reference} for r in rows], "next": None}
