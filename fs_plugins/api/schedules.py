"""/api/v1/tenants/{domain}/schedules: business hours with holidays, closures and openings, and
"is it open at this moment, and why" (`…/state?at=`)."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String

from fs_plugins.api.common import app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import TENANT, access
from fs_plugins.api.schema import Schema
from fs_plugins.models.schedule import CLOSURE, OPENING
from fs_plugins.schedule import app, rules

bp = APIBlueprint("schedules", __name__, url_prefix="/api/v1/tenants/<domain>/schedules", tag="Schedules")
KINDS = {"closures": CLOSURE, "openings": OPENING}


class PeriodOut(Schema):
    id = Integer(required=True)
    starts_at = String(required=True, metadata={"description": "local wall-clock time of the schedule"})
    ends_at = String(required=True)
    label = String(required=True)


class ScheduleOut(Schema):
    name = String(required=True)
    description = String(required=True, allow_none=True)
    timezone = String(required=True)
    follows_tenant_timezone = Boolean(required=True)
    holidays = String(required=True, allow_none=True, metadata={"description": "country[-region], or null"})
    hours = List(String(), required=True, metadata={"example": ["mon-fri 09:00-14:00,16:00-19:00"]})
    closures = List(Nested(PeriodOut), required=True)
    openings = List(Nested(PeriodOut), required=True)


class SchedulePatch(Schema):
    name = String()
    hours = List(String(), metadata={"description": "replaces every weekly range; [] closes except openings",
                                     "example": ["mon-fri 09:00-14:00,16:00-19:00"]})
    timezone = String(metadata={"description": "IANA zone, or 'tenant' to follow the tenant's"})
    holidays = String(metadata={"description": "'tenant', 'none', or a country code like ES"})
    region = String(allow_none=True, metadata={"description": "subdivision whose holidays also apply, e.g. MD"})
    description = String(allow_none=True)


class ScheduleIn(SchedulePatch):
    name = String(required=True, metadata={"example": "Tienda"})


class ScheduleList(Schema):
    items = List(Nested(ScheduleOut), required=True)


class PeriodIn(Schema):
    starts_at = DateTime(required=True, metadata={"description": "local time of the schedule (no offset)",
                                                  "example": "2026-12-24T14:00:00"})
    ends_at = DateTime(required=True, metadata={"example": "2026-12-26T00:00:00"})
    label = String(load_default=None, metadata={"example": "Nochebuena"})


class PeriodList(Schema):
    items = List(Nested(PeriodOut), required=True)


class StateQuery(Schema):
    at = DateTime(load_default=None, metadata={"description": "an instant with its offset (default: now)"})


class StateOut(Schema):
    open = Boolean(required=True)
    reason = String(required=True, metadata={"description": ", ".join(
        (rules.CLOSURE, rules.OPENING, rules.HOLIDAY, rules.WITHIN_HOURS, rules.OUTSIDE_HOURS))})
    detail = String(required=True)
    local_time = String(required=True)


@bp.get("")
@access(TENANT)
@bp.output(ScheduleList)
def list_schedules(domain):
    """The tenant's schedules by name."""
    return {"items": app.list_schedules(app_context(), domain)}


@bp.post("")
@access(TENANT)
@bp.input(ScheduleIn, arg_name="body", example={"name": "Tienda", "hours": ["mon-sat 10:00-20:00"],
                                                "holidays": "ES", "region": "MD"})
@bp.output(ScheduleOut, status_code=201)
def create_schedule(domain, body):
    """Create a schedule (holidays default to the tenant's country and region)."""
    done = app.add_schedule(app_context(), domain, body["name"], hours=body.get("hours") or (),
                            timezone=body.get("timezone"), holidays=body.get("holidays"), region=body.get("region"),
                            description=body.get("description"))
    return with_etag(ScheduleOut, done.value, 201)


@bp.get("/<name>")
@access(TENANT)
@bp.output(ScheduleOut)
def get_schedule(domain, name):
    """One schedule with its hours, closures and openings."""
    return with_etag(ScheduleOut, app.get_schedule(app_context(), domain, name))


@bp.patch("/<name>")
@access(TENANT)
@bp.input(SchedulePatch, arg_name="body", example={"hours": ["mon-fri 08:00-15:00"]})
@bp.output(ScheduleOut)
def change_schedule(domain, name, body):
    """Change a schedule; send If-Match."""
    ctx = app_context()
    check_if_match(schema_of(ScheduleOut).dump(app.get_schedule(ctx, domain, name)))
    done = app.change_schedule(ctx, domain, name, name=body.get("name"), hours=body.get("hours"),
                               timezone=body.get("timezone"), holidays=body.get("holidays"),
                               region=body.get("region"), description=body.get("description"))
    return with_etag(ScheduleOut, done.value)


@bp.delete("/<name>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_schedule(domain, name):
    """Remove a schedule (409 while a menu or group uses it)."""
    ctx = app_context()
    check_if_match(schema_of(ScheduleOut).dump(app.get_schedule(ctx, domain, name)), required=False)
    app.remove_schedule(ctx, domain, name)
    return ""


@bp.get("/<name>/state")
@access(TENANT)
@bp.input(StateQuery, location="query", arg_name="query")
@bp.output(StateOut)
def schedule_state(domain, name, query):
    """Open or closed at an instant, and why (closure, opening, holiday, within or outside hours)."""
    _view, state = app.state_at(app_context(), domain, name, query["at"])
    return {"open": state.is_open, "reason": state.reason, "detail": state.detail,
            "local_time": state.local_time.isoformat()}


@bp.get("/<name>/<any(closures, openings):kind>")
@access(TENANT)
@bp.output(PeriodList)
def list_periods(domain, name, kind):
    """The schedule's closures (closed whatever the hours) or openings (open whatever the hours)."""
    return {"items": app.list_periods(app_context(), domain, name, KINDS[kind])}


@bp.post("/<name>/<any(closures, openings):kind>")
@access(TENANT)
@bp.input(PeriodIn, arg_name="body", example={"starts_at": "2026-12-24T14:00:00", "ends_at": "2026-12-26T00:00:00",
                                              "label": "Nochebuena"})
@bp.output(PeriodOut, status_code=201)
def add_period(domain, name, kind, body):
    """Add a closure or an opening (local wall-clock times of the schedule)."""
    starts, ends = (body[k].replace(tzinfo=None) for k in ("starts_at", "ends_at"))
    return app.add_period(app_context(), domain, name, KINDS[kind], starts, ends, body["label"]).value, 201


@bp.delete("/<name>/<any(closures, openings):kind>/<int:period_id>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_period(domain, name, kind, period_id):
    """Remove a closure or an opening."""
    app.remove_period(app_context(), domain, name, KINDS[kind], period_id)
    return ""
