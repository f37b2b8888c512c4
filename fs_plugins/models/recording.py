"""Call recording (component "recording"): who is recorded, the tenant's options, and the files.

A policy row belongs to one user or one call group (the other column NULL); no row means "never".
`RecordingSettings` is the tenant's: the announcement before a recorded call and how many days a
recording is kept. A `Recording` is one file FreeSWITCH wrote for one call (the A leg's uuid, which
is the call log's `call_id`); its `file` is relative to `recordings_dir`, under the tenant's folder.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User
from fs_plugins.models.groups import CallGroup


class RecordingPolicy(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="recording_policies", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, unique=True, on_delete="CASCADE")
    group = peewee.ForeignKeyField(CallGroup, null=True, unique=True, on_delete="CASCADE")
    mode = peewee.CharField(max_length=16)  # fs_plugins.recording.kinds.MODES
    updated_at = peewee.DateTimeField(default=utcnow)


class RecordingSettings(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, unique=True, on_delete="CASCADE")
    announce = peewee.BooleanField(default=False)
    retention_days = peewee.IntegerField()
    updated_at = peewee.DateTimeField(default=utcnow)


class Recording(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    call_id = peewee.CharField(max_length=64)
    file = peewee.CharField(max_length=200)  # "<tenant id>/<call id>.wav" under recordings_dir
    size = peewee.BigIntegerField()
    started_at = peewee.BigIntegerField()  # the call's start, UTC unix seconds (from its log entry)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "call_id"), True), (("tenant", "started_at"), False))


MODELS = (RecordingPolicy, RecordingSettings, Recording)
MIGRATIONS: tuple = ()
