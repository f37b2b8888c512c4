"""Create, change and remove schedules and their closures/openings: validated, all-or-nothing.

Every value is checked before anything is written (InvalidInput names the API's field), and each
change runs in one transaction, so a rejected command leaves the database as it was.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache
from typing import Iterable
from zoneinfo import available_timezones

import holidays as holidays_lib
import peewee

from fs_plugins import references
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.ids import is_id
from fs_plugins.models.base import database, utcnow
from fs_plugins.models.core import Tenant
from fs_plugins.models.schedule import (
    CLOSURE, HOLIDAYS_CUSTOM, HOLIDAYS_NONE, HOLIDAYS_TENANT, OPENING, Schedule, ScheduleOverride,
    ScheduleRange,
)
from fs_plugins.schedule import rules, spec

log = logging.getLogger(__name__)

_NAME = re.compile(r"[^\W_][\w .\-]{0,63}\Z")
_LABEL_MAX = 120
# Labels may end up in logs, prompts or channel variables: no control characters, no `${`.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]|\$\s*\{")


class ScheduleInUse(Conflict):
    """The schedule is still pointed at by an IVR menu, a call group, … and cannot be removed."""


# ---- who uses a schedule -------------------------------------------------------------------

def schedule_users(schedule_id: int) -> list[str]:
    """Descriptions of everything that points at the schedule through a foreign key (its own
    ranges, closures and openings go with it)."""
    rows = references.rows_referring_to(model=Schedule, row_id=schedule_id, own=(ScheduleRange, ScheduleOverride))
    return sorted({references.describe_row(row) for row in rows})


# ---- validation ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str, field: str = "timezone") -> str:
    if name not in _zones():
        raise InvalidInput(field, f"unknown time zone {name!r}; use an IANA name such as Europe/Madrid")
    return name


def check_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(field, "1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")
    return name


def check_label(label: str | None, field: str = "label") -> str:
    label = (label or "").strip()
    if len(label) > _LABEL_MAX or _UNSAFE.search(label):
        raise InvalidInput(field, f"at most {_LABEL_MAX} characters, no control characters or '${{'")
    return label


def check_country(country: str, field: str = "holidays") -> str:
    code = (country or "").strip().upper()
    if code not in holidays_lib.list_supported_countries():
        raise InvalidInput(field, f"unknown or unsupported country {country!r}; use an ISO code such as ES")
    return code


def check_region(country: str, region: str, field: str = "region") -> str:
    """The subdivision code for `region` (a code such as MD, or a name such as Madrid)."""
    entity = type(holidays_lib.country_holidays(country))
    wanted = region.strip().casefold()
    for code in entity.subdivisions:
        if code.casefold() == wanted:
            return code
    for alias, code in getattr(entity, "subdivisions_aliases", {}).items():
        if alias.casefold() == wanted:
            return code
    known = ", ".join(entity.subdivisions) or "none"
    raise InvalidInput(field, f"unknown region {region!r} of {country}; known: {known}")


def _holiday_settings(tenant: Tenant, current: Schedule | None, holidays: str | None, region: str | None):
    """(mode, country, region) from the --holidays/--region options; None for both keeps `current`."""
    if holidays is None and region is None:
        return current.holiday_mode, current.holiday_country, current.holiday_region
    if holidays is None:  # only a region: keep the country in use
        mode = current.holiday_mode if current else HOLIDAYS_TENANT
        if mode == HOLIDAYS_NONE:
            raise InvalidInput("region", "this schedule has no holidays; give the holidays' country too")
        holidays = current.holiday_country if mode == HOLIDAYS_CUSTOM else HOLIDAYS_TENANT
    choice = holidays.strip().lower()
    if choice == HOLIDAYS_NONE:
        if region:
            raise InvalidInput("region", "a region needs holidays (holidays is none)")
        return HOLIDAYS_NONE, None, None
    if choice == HOLIDAYS_TENANT and not region:
        return HOLIDAYS_TENANT, None, None
    country = check_country(tenant.country if choice == HOLIDAYS_TENANT else holidays)
    return HOLIDAYS_CUSTOM, country, check_region(country, region) if region else None


def _ranges(hours) -> tuple[rules.WeeklyRange, ...]:
    found: set[rules.WeeklyRange] = set()
    for item in hours:
        found.update(spec.parse_hours(item, "hours") if isinstance(item, str) else (item,))
    return tuple(sorted(found))


def _write_ranges(row: Schedule, ranges) -> None:
    ScheduleRange.delete().where(ScheduleRange.schedule == row.id).execute()
    for r in ranges:
        ScheduleRange.create(schedule=row, weekday=r.weekday, start_minute=r.start, end_minute=r.end)


# ---- schedules -------------------------------------------------------------------------------

def get_schedule(tenant: Tenant, name: str) -> Schedule:
    row = Schedule.get_or_none((Schedule.tenant == tenant.id) & (Schedule.name == name))
    if row is None:
        raise NotFound("schedule", f"no schedule named {name!r} in {tenant.domain}")
    return row


def list_schedules(tenant: Tenant) -> list[Schedule]:
    return list(Schedule.select().where(Schedule.tenant == tenant.id).order_by(Schedule.name))


def _check_unique(tenant: Tenant, name: str, exclude: int | None = None) -> None:
    query = Schedule.select().where((Schedule.tenant == tenant.id) & (Schedule.name == name))
    if exclude is not None:
        query = query.where(Schedule.id != exclude)
    if query.exists():
        raise InvalidInput("name", f"a schedule named {name!r} already exists in {tenant.domain}")


def create_schedule(tenant: Tenant, name: str, *, hours: Iterable = (), timezone: str | None = None,
                    holidays: str | None = None, region: str | None = None,
                    description: str | None = None) -> Schedule:
    """A new schedule. `holidays`: "tenant" (default: the tenant's country/region), "none", or a
    country code; `region` a subdivision of it. `timezone` None follows the tenant's zone."""
    name = check_name(name)
    ranges = _ranges(hours)
    zone = check_timezone(timezone) if timezone else None
    mode, country, region_code = _holiday_settings(tenant, None, holidays or HOLIDAYS_TENANT, region)
    description = check_label(description, "description") or None
    with database.atomic():
        _check_unique(tenant, name)
        row = Schedule.create(tenant=tenant, name=name, description=description, timezone=zone,
                              holiday_mode=mode, holiday_country=country, holiday_region=region_code)
        _write_ranges(row, ranges)
    log.info("schedule %s created in tenant %s", row.id, tenant.id)
    return row


def change_schedule(row: Schedule, *, name: str | None = None, hours: Iterable | None = None,
                    timezone: str | None = None, holidays: str | None = None, region: str | None = None,
                    description: str | None = None) -> Schedule:
    """Change what is given (None keeps a value). `hours` replaces every weekly range;
    `timezone="tenant"` goes back to the tenant's zone; `holidays` as for create_schedule."""
    tenant = row.tenant
    new_name = check_name(name) if name is not None else row.name
    ranges = _ranges(hours) if hours is not None else None
    if timezone is not None:
        zone = None if timezone.strip().lower() == "tenant" else check_timezone(timezone)
    else:
        zone = row.timezone
    mode, country, region_code = _holiday_settings(tenant, row, holidays, region)
    text = row.description
    if description is not None:
        text = check_label(description, "description") or None
    with database.atomic():
        _check_unique(tenant, new_name, exclude=row.id)
        row.name, row.timezone, row.description = new_name, zone, text
        row.holiday_mode, row.holiday_country, row.holiday_region = mode, country, region_code
        row.updated_at = utcnow()
        row.save()
        if ranges is not None:
            _write_ranges(row, ranges)
    return row


def remove_schedule(row: Schedule) -> None:
    """Delete a schedule and its ranges, closures and openings; refused while anything uses it."""
    users = schedule_users(row.id)
    if users:
        raise ScheduleInUse("schedule", f"{row.name!r} is used by {', '.join(users)}; change those first")
    try:
        with database.atomic():
            row.delete_instance(recursive=False)
    except peewee.IntegrityError:  # a reference added since we looked, or one no check knows
        raise ScheduleInUse("schedule", f"{row.name!r} is still referenced by another table") from None


# ---- closures and openings ------------------------------------------------------------------

def _check_kind(kind: str) -> str:
    if kind not in (CLOSURE, OPENING):
        raise InvalidInput("kind", f"must be {CLOSURE} or {OPENING}")
    return kind


def add_override(row: Schedule, kind: str, starts_at: dt.datetime, ends_at: dt.datetime,
                 label: str | None = None) -> ScheduleOverride:
    """A closure or opening over [starts_at, ends_at), local wall-clock times of the schedule."""
    _check_kind(kind)
    try:
        rules.Period(starts_at, ends_at)
    except ValueError as exc:
        raise InvalidInput("ends_at", str(exc)) from None
    label = check_label(label)
    with database.atomic():
        return ScheduleOverride.create(schedule=row, kind=kind, starts_at=starts_at, ends_at=ends_at, label=label)


def list_overrides(row: Schedule, kind: str) -> list[ScheduleOverride]:
    return list(ScheduleOverride.select()
                .where((ScheduleOverride.schedule == row.id) & (ScheduleOverride.kind == _check_kind(kind)))
                .order_by(ScheduleOverride.starts_at, ScheduleOverride.id))


def remove_override(row: Schedule, kind: str, override_id: int) -> None:
    deleted = 0
    if is_id(override_id):  # no row has an id past the column's range (and the driver would overflow)
        deleted = (ScheduleOverride.delete()
                   .where((ScheduleOverride.id == override_id) & (ScheduleOverride.schedule == row.id)
                          & (ScheduleOverride.kind == _check_kind(kind)))
                   .execute())
    if not deleted:
        raise NotFound("period_id", f"no {kind} #{override_id} in schedule {row.name!r}")
