"""Custom call flows' tables (the `callflows` component): which flows a tenant may use, the routes
it attached them with, what flows stored, and the one note a flow left on a call.

Settings and records are JSON text: their shape is the flow's (checked against its declared
settings by fs_plugins.callflows.settings before they are written).
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, DestinationField, utcnow
from fs_plugins.models.core import Tenant


class FlowGrant(BaseModel):
    """The operator allows `flow` in a tenant, with tenant-wide settings."""

    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE")
    flow = peewee.CharField(max_length=32)
    settings = peewee.TextField(default="{}")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "flow"), True),)


class FlowRoute(BaseModel):
    """A flow attached in a tenant under a name: ``flow:<name>`` destinations point at it."""

    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE")
    name = peewee.CharField(max_length=32)
    flow = peewee.CharField(max_length=32)
    settings = peewee.TextField(default="{}")
    fallback = DestinationField(null=True)  # None: the tenant's general voicemail box
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "name"), True),)


class FlowRouteTarget(BaseModel):
    """A destination setting of a route (its value is also in the route's JSON, which the flow
    reads), kept as a Destination column so that "still routes to …" checks see it: a user or a
    menu a route's setting names cannot be removed from under it."""

    route = peewee.ForeignKeyField(FlowRoute, on_delete="CASCADE", backref="targets")
    setting = peewee.CharField(max_length=32)
    destination = DestinationField()

    @property
    def name(self) -> str:  # how fs_plugins.references.describe_row names it: "flow route target 'boss_line'"
        return f"{self.route.name}"


class FlowRecord(BaseModel):
    """Something a flow stored during a call (a survey's answers), the tenant's to export."""

    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE")
    flow = peewee.CharField(max_length=32)
    route = peewee.CharField(max_length=32)
    call_uuid = peewee.CharField(max_length=64)
    caller = peewee.CharField(max_length=64, default="")
    created_at = peewee.DateTimeField(default=utcnow)
    data = peewee.TextField(default="{}")

    class Meta:
        indexes = ((("tenant", "flow", "created_at"), False),)


class FlowNote(BaseModel):
    """The one short note a flow left on a call, shown with the call's log entries."""

    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE")
    call_uuid = peewee.CharField(max_length=64)
    flow = peewee.CharField(max_length=32)
    note = peewee.CharField(max_length=140)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "call_uuid"), True),)


def add_route_targets(migrator, db) -> None:
    """flow_route_target: routes' destination settings, seen by the "still routes to" checks"""
    db.create_tables([FlowRouteTarget])


MODELS = (FlowGrant, FlowRoute, FlowRouteTarget, FlowRecord, FlowNote)
# Upgrade steps, oldest first (fs_plugins.db): version 1 -> 2 adds flow_route_target (a route made
# before it gets its targets when next changed).
MIGRATIONS: tuple = (add_route_targets,)
