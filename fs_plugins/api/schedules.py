"""/api/v1/tenants/{domain}/schedules: business hours with holidays, closures and openings, and
"is it open at this moment, and why" (`…/state?at=`)."""
from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String

from fs_plugins.api.common import api_fields, audited, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import TENANT, access, tenant
from fs_plugins.errors import Conflict, InvalidInput
from fs_plugins.models.schedule import CLOSURE, HOLIDAYS_TENANT, OPENING
from fs_plugins.schedule import loader, rules, service, spec

bp = APIBlueprint("schedules", __name__, url_prefix="/api/v1/tenants/<domain>/schedules", tag="Schedules")
FIELDS = {"--timezone": "timezone", "--holidays": "holidays", "--region": "region", "--description": "description",
          "--label": "label", "--to": "ends_at", "hours": "hours", "name": "name"}
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


def _shown(row) -> dict:
    sched = loader.load_schedule(tenant().id, row.id)
    period = lambda p: {"id": p.id, "starts_at": p.start.isoformat(), "ends_at": p.end.isoformat(),  # noqa: E731
                        "label": p.label or ""}
    return {"name": row.name, "description": row.description, "timezone": sched.timezone,
            "follows_tenant_timezone": not row.timezone,
            "holidays": str(sched.holidays) if sched.holidays is not None else None,
            "hours": spec.format_hours(sched.weekly), "closures": [period(p) for p in sched.closures],
            "openings": [period(p) for p in sched.openings]}


def _hours(texts) -> list:
    return [r for text in texts for r in spec.parse_hours(text, "hours")] if texts is not None else None


@bp.get("")
@access(TENANT)
@bp.output(ScheduleList)
def list_schedules(domain):
    """The tenant's schedules by name."""
    return {"items": [_shown(row) for row in service.list_schedules(tenant())]}


@bp.post("")
@access(TENANT)
@bp.input(ScheduleIn, arg_name="body", example={"name": "Tienda", "hours": ["mon-sat 10:00-20:00"],
                                                "holidays": "ES", "region": "MD"})
@bp.output(ScheduleOut, status_code=201)
def create_schedule(domain, body):
    """Create a schedule (holidays default to the tenant's country and region)."""
    with audited("schedule.create", f"schedule {body['name']}", detail=body), api_fields(FIELDS):
        row = service.create_schedule(tenant(), body["name"], hours=_hours(body.get("hours")) or (),
                                      timezone=body.get("timezone"), holidays=body.get("holidays") or HOLIDAYS_TENANT,
                                      region=body.get("region"), description=body.get("description"))
    return with_etag(ScheduleOut(), _shown(row), 201)


@bp.get("/<name>")
@access(TENANT)
@bp.output(ScheduleOut)
def get_schedule(domain, name):
    """One schedule with its hours, closures and openings."""
    return with_etag(ScheduleOut(), _shown(service.get_schedule(tenant(), name)))


@bp.patch("/<name>")
@access(TENANT)
@bp.input(SchedulePatch, arg_name="body", example={"hours": ["mon-fri 08:00-15:00"]})
@bp.output(ScheduleOut)
def change_schedule(domain, name, body):
    """Change a schedule; send If-Match."""
    with audited("schedule.update", f"schedule {name}", detail=body), api_fields(FIELDS):
        row = service.get_schedule(tenant(), name)
        check_if_match(ScheduleOut().dump(_shown(row)))
        row = service.change_schedule(row, name=body.get("name"), hours=_hours(body.get("hours")),
                                      timezone=body.get("timezone"), holidays=body.get("holidays"),
                                      region=body.get("region"), description=body.get("description"))
    return with_etag(ScheduleOut(), _shown(row))


@bp.delete("/<name>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_schedule(domain, name):
    """Remove a schedule (409 while a menu or group uses it)."""
    with audited("schedule.delete", f"schedule {name}"):
        row = service.get_schedule(tenant(), name)
        check_if_match(ScheduleOut().dump(_shown(row)), required=False)
        try:
            service.remove_schedule(row)
        except service.ScheduleInUse as exc:
            raise _conflict(exc) from None
    return ""


def _conflict(exc: InvalidInput) -> Conflict:
    return Conflict(exc.field, exc.message)


@bp.get("/<name>/state")
@access(TENANT)
@bp.input(StateQuery, location="query", arg_name="query")
@bp.output(StateOut)
def schedule_state(domain, name, query):
    """Open or closed at an instant, and why (closure, opening, holiday, within or outside hours)."""
    sched = loader.load_schedule(tenant().id, service.get_schedule(tenant(), name).id)
    at = query["at"] or dt.datetime.now(dt.timezone.utc)
    if at.tzinfo is None:
        at = at.replace(tzinfo=sched.zone)  # a local time of the schedule
    state = rules.state_at(sched, at)
    return {"open": state.is_open, "reason": state.reason, "detail": state.detail,
            "local_time": state.local_time.isoformat()}


@bp.get("/<name>/<any(closures, openings):kind>")
@access(TENANT)
@bp.output(PeriodList)
def list_periods(domain, name, kind):
    """The schedule's closures (closed whatever the hours) or openings (open whatever the hours)."""
    row = service.get_schedule(tenant(), name)
    return {"items": [{"id": o.id, "starts_at": o.starts_at.isoformat(), "ends_at": o.ends_at.isoformat(),
                       "label": o.label or ""} for o in service.list_overrides(row, KINDS[kind])]}


@bp.post("/<name>/<any(closures, openings):kind>")
@access(TENANT)
@bp.input(PeriodIn, arg_name="body", example={"starts_at": "2026-12-24T14:00:00", "ends_at": "2026-12-26T00:00:00",
                                              "label": "Nochebuena"})
@bp.output(PeriodOut, status_code=201)
def add_period(domain, name, kind, body):
    """Add a closure or an opening (local wall-clock times of the schedule)."""
    starts, ends = (body[k].replace(tzinfo=None) for k in ("starts_at", "ends_at"))
    with audited(f"schedule.{KINDS[kind]}.add", f"schedule {name}", detail=body), api_fields(FIELDS):
        added = service.add_override(service.get_schedule(tenant(), name), KINDS[kind], starts, ends, body["label"])
    return {"id": added.id, "starts_at": added.starts_at.isoformat(), "ends_at": added.ends_at.isoformat(),
            "label": added.label or ""}, 201


@bp.delete("/<name>/<any(closures, openings):kind>/<int:period_id>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_period(domain, name, kind, period_id):
    """Remove a closure or an opening."""
    with audited(f"schedule.{KINDS[kind]}.remove", f"schedule {name}", detail={"id": period_id}), \
            api_fields({"id": "period_id"}):
        service.remove_override(service.get_schedule(tenant(), name), KINDS[kind], period_id)
    return ""
