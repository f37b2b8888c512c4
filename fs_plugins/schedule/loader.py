"""Rows → the frozen rules.Schedule, with the tenant's defaults (time zone, holidays) applied."""
from __future__ import annotations

import logging
from functools import lru_cache

import holidays as holidays_lib

from fs_plugins.errors import NotFound
from fs_plugins.models.core import Tenant
from fs_plugins.models.schedule import (
    CLOSURE, HOLIDAYS_CUSTOM, HOLIDAYS_NONE, OPENING, Schedule, ScheduleOverride, ScheduleRange,
)
from fs_plugins.schedule import rules

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _entity(country: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(subdivisions, languages) the `holidays` package knows for a country; None if unsupported."""
    try:
        entity = holidays_lib.country_holidays(country)
    except NotImplementedError:
        return None
    return tuple(entity.subdivisions), tuple(entity.supported_languages)


def _supported_languages(country: str) -> tuple[str, ...]:
    return (_entity(country) or ((), ()))[1]


def holiday_language(country: str, language: str | None) -> str | None:
    """The tenant's language if the `holidays` package names this country's holidays in it."""
    if not language:
        return None
    supported = _supported_languages(country)
    for candidate in (language, language.replace("-", "_")):
        if candidate in supported:
            return candidate
    prefix = language.split("_")[0].split("-")[0]
    return next((code for code in sorted(supported) if code.split("_")[0] == prefix), None)


def effective_timezone(row: Schedule, tenant: Tenant) -> str:
    return row.timezone or tenant.timezone


def holiday_calendar(row: Schedule, tenant: Tenant) -> rules.HolidayCalendar | None:
    if row.holiday_mode == HOLIDAYS_NONE:
        return None
    if row.holiday_mode == HOLIDAYS_CUSTOM:
        country, region = row.holiday_country, row.holiday_region
    else:
        country, region = tenant.country, tenant.region
    if not country:
        return None
    # Calls must never fail on a bad stored value (the service validates, the tenant's row may not
    # have been): degrade to fewer holidays and say so in the log.
    entity = _entity(country)
    if entity is None:
        log.warning("schedule %s: holidays of %r are not available; ignoring holidays", row.id, country)
        return None
    if region and region not in entity[0]:
        log.warning("schedule %s: no region %r in %s; using national holidays", row.id, region, country)
        region = None
    return rules.HolidayCalendar(country, region or None, holiday_language(country, tenant.language))


def to_rules(row: Schedule, tenant: Tenant, ranges, overrides) -> rules.Schedule:
    periods = {CLOSURE: [], OPENING: []}
    for o in sorted(overrides, key=lambda o: (o.starts_at, o.id)):
        periods[o.kind].append(rules.Period(o.starts_at, o.ends_at, o.label, id=o.id))
    return rules.Schedule(
        name=row.name,
        timezone=effective_timezone(row, tenant),
        weekly=tuple(sorted(rules.WeeklyRange(r.weekday, r.start_minute, r.end_minute) for r in ranges)),
        holidays=holiday_calendar(row, tenant),
        closures=tuple(periods[CLOSURE]),
        openings=tuple(periods[OPENING]),
        id=row.id,
    )


def load_schedule(tenant_id: int, schedule_id: int | None = None, *, name: str | None = None) -> rules.Schedule:
    """The schedule of tenant `tenant_id` with this id (or name), ready for rules.state_at.

    Always filtered by tenant, so an id taken from another tenant's row is simply not found.
    """
    query = Schedule.select(Schedule, Tenant).join(Tenant).where(Schedule.tenant == tenant_id)
    if schedule_id is not None:
        query = query.where(Schedule.id == schedule_id)
    elif name is not None:
        query = query.where(Schedule.name == name)
    else:
        raise TypeError("load_schedule needs a schedule id or a name")
    row = query.first()
    if row is None:
        raise NotFound("schedule", f"no schedule {schedule_id if name is None else name!r} in this tenant")
    ranges = ScheduleRange.select().where(ScheduleRange.schedule == row.id)
    overrides = ScheduleOverride.select().where(ScheduleOverride.schedule == row.id)
    return to_rules(row, row.tenant, list(ranges), list(overrides))
