"""The call log: /api/v1/me/calls (a user's own) and /api/v1/tenants/{domain}/calls (an admin's view,
optionally `?user=EXT`), as keyset-paged JSON or streamed CSV (`…/calls.csv`, the same filters).

Filters as the CLI's: `type` (made, received, missed) and one of `day`, `week` (the Monday-Sunday
week containing the date) or `month` (YYYY-MM or a date in it), in the tenant's time zone.
"""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import Response, stream_with_context

from fs_plugins.api import paging
from fs_plugins.api.common import app_context
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.calllog import app as calllog
from fs_plugins.calllog import export, log
from fs_plugins.calllog.classify import KINDS, Status
from fs_plugins.errors import InvalidInput
from fs_plugins.ids import is_bigint, is_id

bp = APIBlueprint("calls", __name__, url_prefix="/api/v1", tag="Call log")


class CallsQuery(Schema):
    type = String(load_default=None, validate=OneOf(KINDS), metadata={"description": "made, received or missed"})
    day = String(load_default=None, metadata={"description": "YYYY-MM-DD", "example": "2026-11-23"})
    week = String(load_default=None, metadata={"description": "a date in the week (Monday to Sunday)"})
    month = String(load_default=None, metadata={"description": "YYYY-MM or a date in the month"})


class CallsPageQuery(CallsQuery, paging.PageQuery):
    limit = Integer(load_default=log.PAGE_SIZE, validate=Range(1, 500))


class TenantCallsQuery(CallsPageQuery):
    user = String(load_default=None, metadata={"description": "one user's calls (an extension)"})


class TenantCallsCsvQuery(CallsQuery):
    user = String(load_default=None, metadata={"description": "one user's calls (an extension)"})


class CallOut(Schema):
    call_id = String(required=True)
    user = String(required=True, metadata={"description": "the extension the entry belongs to; empty for the tenant"})
    type = String(required=True, attribute="kind")
    status = String(required=True, metadata={"description": "made, received, missed, dnd, forwarded, …"})
    status_label = String(required=True, metadata={"description": "the status as the call log shows it"})
    colour = String(required=True)
    direction = String(required=True)
    started = String(required=True, metadata={"description": "RFC 3339 in the tenant's time zone"})
    caller_name = String(required=True)
    caller_number = String(required=True)
    callee = String(required=True)
    answered_by = String(required=True)
    ring_seconds = Integer(required=True)
    talk_seconds = Integer(required=True)
    cause = String(required=True, metadata={
        "description": "why a made call was never answered (status cancelled): voicemail, caller_hung_up, busy, "
                       "declined, no_answer, unreachable; empty otherwise"})
    note = String(required=True, metadata={"description": "what a custom call flow noted on the call; empty otherwise"})


class CallPage(Schema):
    items = List(Nested(CallOut), required=True)
    next = String(required=True, allow_none=True)


def _query(domain: str, extension: str | None, query: dict) -> log.LogQuery:
    chosen = [name for name in log.PERIODS if query.get(name)]
    if len(chosen) > 1:
        raise InvalidInput(chosen[1], f"give only one of {', '.join(log.PERIODS)}")
    period = chosen[0] if chosen else None
    return log.LogQuery(tenant=domain, user=extension, kind=query.get("type"), period=period,
                        day=log.period_date(period, query[period], period) if period else None)


def _page(domain: str, extension: str | None, query: dict) -> dict:
    after = paging.decode(query["after"])
    if after is not None and not (isinstance(after, list) and len(after) == 2  # (started_at, id), as given out
                                  and is_bigint(after[0]) and is_id(after[1])):
        raise InvalidInput("after", "not a cursor of this list")
    entries, following = calllog.calls_after(app_context(), _query(domain, extension, query), after,
                                             query["limit"])
    return {"items": [_shown(entry) for entry in entries],
            "next": paging.encode(list(following)) if following else None}


# Each status as the answer shows it, read once (three enum properties on each of a page's 50 entries)
_STATUS_SHOWN = {status: {"status": status.code, "status_label": status.label, "colour": status.colour}
                 for status in Status}


def _shown(entry: log.LogEntry) -> dict:
    return {**entry.__dict__, **_STATUS_SHOWN[entry.status], "started": entry.started.isoformat()}


def _csv(domain: str, extension: str | None, query: dict) -> Response:
    zone, rows = calllog.call_rows(app_context(), _query(domain, extension, query))
    chunks = (chunk.encode() for chunk in export.csv_chunks(rows, zone))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="calls.csv"'})


@bp.get("/me/calls")
@access(SELF)
@bp.input(CallsPageQuery, location="query", arg_name="query")
@bp.output(CallPage)
def my_calls(query):
    """The caller's own call log, newest first, a page at a time."""
    return _page(principal().tenant_domain, principal().extension, query)


@bp.get("/me/calls.csv")
@access(SELF)
@bp.input(CallsQuery, location="query", arg_name="query")
@bp.output({}, content_type="text/csv", description="The call log as CSV (streamed)")
def my_calls_csv(query):
    """The caller's own call log as CSV (every entry matching the filters, streamed)."""
    return _csv(principal().tenant_domain, principal().extension, query)


@bp.get("/tenants/<domain>/calls")
@access(TENANT)
@bp.input(TenantCallsQuery, location="query", arg_name="query")
@bp.output(CallPage)
def tenant_calls(domain, query):
    """The tenant's call log (or one user's with `user`), newest first, a page at a time."""
    return _page(tenant().domain, query["user"], query)


@bp.get("/tenants/<domain>/calls.csv")
@access(TENANT)
@bp.input(TenantCallsCsvQuery, location="query", arg_name="query")
@bp.output({}, content_type="text/csv", description="The call log as CSV (streamed)")
def tenant_calls_csv(domain, query):
    """The tenant's call log as CSV (every entry matching the filters, streamed)."""
    return _csv(tenant().domain, query["user"], query)
