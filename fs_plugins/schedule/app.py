"""Time schedules, the application layer: list, show, create, change, remove, whether one is open at
an instant and why, and its one-off closures and openings.

Schedules are the tenant administrator's. Values are checked before anything is written
(fs_plugins.schedule.settings; InvalidInput names the API's field: ``timezone``, ``hours``,
``ends_at``…) and each change runs in one transaction with its audit entry. Views carry the frozen
rules.Schedule the dialplan decides with (`view.rules`), so a front end shows exactly what calls get.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope
from fs_plugins.ids import is_id
from fs_plugins.models import Tenant, database
from fs_plugins.models.schedule import CLOSURE, HOLIDAYS_TENANT, OPENING, Schedule, ScheduleOverride
from fs_plugins.schedule import loader, rules, settings, spec

KINDS = (CLOSURE, OPENING)


@dataclass(frozen=True)
class PeriodView:
    id: int
    starts_at: str  # local wall-clock time of the schedule, ISO without offset
    ends_at: str  # excluded
    label: str


@dataclass(frozen=True)
class ScheduleView:
    tenant: str  # the tenant's domain
    name: str
    description: str | None
    follows_tenant_timezone: bool
    follows_tenant_holidays: bool
    rules: rules.Schedule  # what the dialplan decides with

    @property
    def timezone(self) -> str:
        return self.rules.timezone

    @property
    def holidays(self) -> str | None:
        """country[-region], or None without holidays."""
        return str(self.rules.holidays) if self.rules.holidays is not None else None

    @property
    def hours(self) -> list[str]:
        return spec.format_hours(self.rules.weekly)

    @property
    def closures(self) -> list[PeriodView]:
        return [_period(p.id, p.start, p.end, p.label) for p in self.rules.closures]

    @property
    def openings(self) -> list[PeriodView]:
        return [_period(p.id, p.start, p.end, p.label) for p in self.rules.openings]


def list_schedules(ctx: AppContext, tenant: str) -> list[ScheduleView]:
    owner = _tenant(ctx, tenant, "read the tenant's schedules")
    return [_view(owner, row) for row in settings.list_schedules(owner)]


def get_schedule(ctx: AppContext, tenant: str, schedule: str) -> ScheduleView:
    owner = _tenant(ctx, tenant, "read the tenant's schedules")
    return _view(owner, settings.get_schedule(owner, schedule))


def add_schedule(ctx: AppContext, tenant: str, name: str, *, hours: Iterable = (), timezone: str | None = None,
                 holidays: str | None = None, region: str | None = None,
                 description: str | None = None) -> Changed[ScheduleView]:
    """A new schedule. `hours`: texts like "mon-fri 09:00-14:00" (or rules.WeeklyRange); `holidays`:
    "tenant" (default: the tenant's country and region), "none" or a country code; `region` a
    subdivision of it; `timezone` None follows the tenant's zone."""
    owner = _tenant(ctx, tenant, "create schedules")
    hours = list(hours)
    given = _given(name=name, hours=_hours_text(hours) or None, timezone=timezone, holidays=holidays, region=region,
                   description=description)
    with database.atomic():
        row = settings.create_schedule(owner, name, hours=hours, timezone=timezone,
                                       holidays=holidays or HOLIDAYS_TENANT, region=region, description=description)
        ctx.record("schedule.create", owner, f"schedule {row.name}", given)
    return Changed(_view(owner, row))


def change_schedule(ctx: AppContext, tenant: str, schedule: str, *, name: str | None = None,
                    hours: Iterable | None = None, timezone: str | None = None, holidays: str | None = None,
                    region: str | None = None, description: str | None = None) -> Changed[ScheduleView]:
    """Change what is given (None keeps a value): `name` renames, `hours` replaces every weekly
    range ([] closes except openings), `timezone="tenant"` follows the tenant's zone again."""
    owner = _tenant(ctx, tenant, "change schedules")
    row = settings.get_schedule(owner, schedule)
    hours = None if hours is None else list(hours)
    given = _given(name=name, hours=None if hours is None else _hours_text(hours), timezone=timezone, holidays=holidays,
                   region=region, description=description)
    with database.atomic():
        row = settings.change_schedule(row, name=name, hours=hours, timezone=timezone, holidays=holidays,
                                       region=region, description=description)
        ctx.record("schedule.update", owner, f"schedule {schedule}", given)
    return Changed(_view(owner, row))


def remove_schedule(ctx: AppContext, tenant: str, schedule: str) -> Changed[ScheduleView]:
    """Delete a schedule with its closures and openings; ScheduleInUse (a Conflict) while a menu or
    group uses it."""
    owner = _tenant(ctx, tenant, "remove schedules")
    row = settings.get_schedule(owner, schedule)
    view = _view(owner, row)
    with database.atomic():
        settings.remove_schedule(row)
        ctx.record("schedule.delete", owner, f"schedule {schedule}")
    return Changed(view)


def state_at(ctx: AppContext, tenant: str, schedule: str,
             at: dt.datetime | None = None) -> tuple[ScheduleView, rules.State]:
    """Open or closed at `at` and why; a naive `at` is a local time of the schedule, None is now."""
    view = get_schedule(ctx, tenant, schedule)
    at = at or ctx.clock()
    if at.tzinfo is None:  # a fall-back night's repeated hour means its first occurrence (fold=0)
        at = at.replace(tzinfo=view.rules.zone)
    return view, rules.state_at(view.rules, at)


def list_periods(ctx: AppContext, tenant: str, schedule: str, kind: str) -> list[PeriodView]:
    """The schedule's closures (closed whatever the hours) or openings (open whatever the hours)."""
    owner = _tenant(ctx, tenant, "read the tenant's schedules")
    row = settings.get_schedule(owner, schedule)
    return [_period(o.id, o.starts_at, o.ends_at, o.label) for o in settings.list_overrides(row, kind)]


def add_period(ctx: AppContext, tenant: str, schedule: str, kind: str, starts_at: dt.datetime,
               ends_at: dt.datetime, label: str | None = None) -> Changed[PeriodView]:
    """A closure or an opening over [starts_at, ends_at), local wall-clock times of the schedule."""
    owner = _tenant(ctx, tenant, "change schedules")
    row = settings.get_schedule(owner, schedule)
    with database.atomic():
        added = settings.add_override(row, kind, starts_at, ends_at, label)
        ctx.record(f"schedule.{kind}.add", owner, f"schedule {row.name}",
                   _given(starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), label=label))
    return Changed(_period(added.id, added.starts_at, added.ends_at, added.label))


def remove_period(ctx: AppContext, tenant: str, schedule: str, kind: str, period_id: int) -> Changed[PeriodView]:
    owner = _tenant(ctx, tenant, "change schedules")
    row = settings.get_schedule(owner, schedule)
    found = (ScheduleOverride.get_or_none(ScheduleOverride.id == period_id, ScheduleOverride.schedule == row.id)
             if is_id(period_id) else None)
    with database.atomic():
        settings.remove_override(row, kind, period_id)
        ctx.record(f"schedule.{kind}.remove", owner, f"schedule {row.name}", {"id": period_id})
    return Changed(_period(found.id, found.starts_at, found.ends_at, found.label))


def _tenant(ctx: AppContext, domain: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner


def _hours_text(hours: list) -> list[str]:
    """Hours for the audit entry: as typed, or written back from rules.WeeklyRange values."""
    return [item if isinstance(item, str) else spec.format_hours((item,))[0] for item in hours]


def _given(**values) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _period(period_id: int, start: dt.datetime, end: dt.datetime, label: str | None) -> PeriodView:
    return PeriodView(period_id, start.isoformat(), end.isoformat(), label or "")


def _view(owner: Tenant, row: Schedule) -> ScheduleView:
    return ScheduleView(owner.domain, row.name, row.description, not row.timezone,
                        row.holiday_mode == HOLIDAYS_TENANT, loader.load_schedule(owner.id, row.id))
