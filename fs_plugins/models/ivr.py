"""IVR menus (component "ivr"): a menu per row, its key options, reached through DIDs (core
Number rows routed to ``ivr:<id>``) and a ShortNumber row. Rules and uses: fs_plugins/ivr/.

A deleted menu stays as a row with `deleted_at` set (billing lists the menus that existed in a
month); its options and short number are deleted with it and nothing may route to it any more.
"""
from __future__ import annotations

import peewee

from fs_plugins.destinations import HANGUP
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.base import BaseModel, DestinationField, utcnow
from fs_plugins.models.core import Tenant
from fs_plugins.models.schedule import Schedule

# IvrMenu.forward_mode values
FORWARD_NONE = "none"
FORWARD_SCHEDULE = "schedule"  # while the schedule is closed, calls go to closed_destination
FORWARD_ALWAYS = "forward"  # every call goes to forward_destination, the menu is not played
FORWARD_MODES = (FORWARD_NONE, FORWARD_SCHEDULE, FORWARD_ALWAYS)


class IvrMenu(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="ivr_menus", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)  # unique among the tenant's menus that are not deleted
    comment = peewee.CharField(max_length=200, default="")
    forward_mode = peewee.CharField(max_length=8, default=FORWARD_NONE)
    schedule = peewee.ForeignKeyField(Schedule, null=True, backref="ivr_menus")  # default ON DELETE
    closed_destination = DestinationField(null=True)
    forward_destination = DestinationField(null=True)
    welcome_audio = peewee.ForeignKeyField(AudioFile, null=True, backref="ivr_welcomes")
    prompt_audio = peewee.ForeignKeyField(AudioFile, null=True, backref="ivr_prompts")
    timeout_audio = peewee.ForeignKeyField(AudioFile, null=True, backref="ivr_timeouts")
    invalid_audio = peewee.ForeignKeyField(AudioFile, null=True, backref="ivr_invalids")
    timeout_seconds = peewee.SmallIntegerField(default=5)
    max_loops = peewee.SmallIntegerField(default=3)
    exit_destination = DestinationField(default=HANGUP)  # after max_loops failures
    direct_dial = peewee.BooleanField(default=False)  # callers may dial the tenant's extensions
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    deleted_at = peewee.DateTimeField(null=True, index=True)


class IvrOption(BaseModel):
    menu = peewee.ForeignKeyField(IvrMenu, backref="options", on_delete="CASCADE")
    key = peewee.CharField(max_length=1)  # 0-9, * or #
    destination = DestinationField()

    class Meta:
        indexes = ((("menu", "key"), True),)


MODELS = (IvrMenu, IvrOption)
MIGRATIONS: tuple = ()
