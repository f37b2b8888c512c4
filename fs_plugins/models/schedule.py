"""Time schedules (component "schedule"): a named schedule per tenant, its weekly ranges, and its
one-off closures and openings. Rules and uses: fs_plugins/schedule/.

Another feature points at a schedule with a plain foreign key, left at the default ON DELETE
(NO ACTION), so the database itself refuses to delete a schedule still in use:

    schedule = peewee.ForeignKeyField(Schedule, null=True, backref="ivr_menus")
    closed_destination = DestinationField(null=True)

(NO ACTION rather than RESTRICT: deleting a whole tenant cascades to both the schedule and its
users in one statement, which RESTRICT would refuse on PostgreSQL.)
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant

# Schedule.holiday_mode values
HOLIDAYS_TENANT = "tenant"  # the tenant's country and region (Tenant.country, Tenant.region)
HOLIDAYS_CUSTOM = "custom"  # holiday_country / holiday_region of the schedule
HOLIDAYS_NONE = "none"  # no holiday calendar

CLOSURE = "closure"
OPENING = "opening"


class Schedule(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="schedules", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    description = peewee.CharField(max_length=200, null=True)
    timezone = peewee.CharField(max_length=64, null=True)  # None: the tenant's time zone
    holiday_mode = peewee.CharField(max_length=8, default=HOLIDAYS_TENANT)
    holiday_country = peewee.CharField(max_length=2, null=True)
    holiday_region = peewee.CharField(max_length=16, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "name"), True),)


class ScheduleRange(BaseModel):
    """Open every `weekday` (0 = Monday) from start_minute to end_minute (local, end exclusive).

    end_minute may be 1440 (24:00); an end before the start runs into the next day.
    """

    schedule = peewee.ForeignKeyField(Schedule, backref="ranges", on_delete="CASCADE")
    weekday = peewee.SmallIntegerField()
    start_minute = peewee.SmallIntegerField()
    end_minute = peewee.SmallIntegerField()


class ScheduleOverride(BaseModel):
    """A one-off closure or opening; bounds are local wall-clock times in the schedule's zone."""

    schedule = peewee.ForeignKeyField(Schedule, backref="overrides", on_delete="CASCADE")
    kind = peewee.CharField(max_length=8)  # CLOSURE or OPENING
    starts_at = peewee.DateTimeField()
    ends_at = peewee.DateTimeField()
    label = peewee.CharField(max_length=120, default="")


MODELS = (Schedule, ScheduleRange, ScheduleOverride)
MIGRATIONS: tuple = ()
