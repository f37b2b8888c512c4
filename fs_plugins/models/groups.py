"""Call groups (component "groups"). Rules and uses: fs_plugins/groups/.

A call group belongs to a tenant; its members are users of the same tenant or external E.164
numbers. Every call a group flow handles leaves one GroupCall row (the statistics read them).
"""
from __future__ import annotations

import peewee

from fs_plugins.models.audio import AudioFile
from fs_plugins.models.base import BaseModel, DestinationField, utcnow
from fs_plugins.models.core import Tenant, User
from fs_plugins.models.schedule import Schedule

from fs_plugins.groups.kinds import (  # noqa: F401  (re-exported: the model's vocabulary)
    ABANDONED, ADVANCED, ALWAYS_CLOSED, ALWAYS_OPEN, ANSWERED, AUDIO, BY_SCHEDULE, CLOSED, CONSECUTIVE, GROUP_TYPES,
    MELODIES, MUSIC, NO_ANSWER, OPENINGS, OUTCOMES, OVERFLOWED, RING_MODES, RINGBACK, SIMPLE, SIMULTANEOUS,
)


class CallGroup(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="call_groups", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    kind = peewee.CharField(max_length=8, default=SIMPLE)  # GROUP_TYPES; advanced never goes back
    comment = peewee.CharField(max_length=200, default="")
    melody = peewee.CharField(max_length=16, default=RINGBACK)  # MELODIES
    melody_audio = peewee.ForeignKeyField(AudioFile, null=True, backref="call_groups")  # default ON DELETE
    ring_mode = peewee.CharField(max_length=16, default=SIMULTANEOUS)
    member_seconds = peewee.IntegerField(default=15)  # consecutive: each member rings this long
    total_seconds = peewee.IntegerField(default=60)  # the whole ringing phase (simple groups)
    no_answer_destination = DestinationField(null=True)  # None: hang up
    opening = peewee.CharField(max_length=8, default=ALWAYS_OPEN)
    schedule = peewee.ForeignKeyField(Schedule, null=True, backref="call_groups")  # default ON DELETE
    closed_destination = DestinationField(null=True)
    short_number = peewee.CharField(max_length=16, null=True)  # mirrored in core ShortNumber
    # Advanced groups only:
    queue_size = peewee.IntegerField(default=10)
    max_wait = peewee.IntegerField(default=300)  # seconds in the queue before overflowing
    overflow_destination = DestinationField(null=True)
    announce_every = peewee.IntegerField(default=60)  # seconds between position announcements; 0: only changes
    rounds = peewee.IntegerField(default=1)  # consecutive ringing: passes over the members
    callback_key = peewee.CharField(max_length=1, default="")  # "" : no queue callback
    service_level_seconds = peewee.IntegerField(default=20)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "name"), True),)


class GroupMember(BaseModel):
    """A user of the group's tenant, or an external E.164 number; rung in `position` order."""

    group = peewee.ForeignKeyField(CallGroup, backref="members", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, backref="group_memberships", on_delete="CASCADE")
    number = peewee.CharField(max_length=16, null=True)
    position = peewee.IntegerField(default=0)
    paused = peewee.BooleanField(default=False)  # the user logged out of the group's calls (*51)

    class Meta:
        indexes = ((("group", "user"), True), (("group", "number"), True))


class GroupCall(BaseModel):
    """One call handled by a group flow, written when the flow ends (the statistics' source)."""

    group = peewee.ForeignKeyField(CallGroup, backref="calls", on_delete="CASCADE")
    call_uuid = peewee.CharField(max_length=64)
    started_at = peewee.DateTimeField(index=True)  # UTC
    outcome = peewee.CharField(max_length=12)  # OUTCOMES
    wait_seconds = peewee.FloatField(default=0)  # until answered, abandoned or overflowed
    member_user = peewee.ForeignKeyField(User, null=True, backref="group_calls", on_delete="SET NULL")
    member_number = peewee.CharField(max_length=16, null=True)
    talk_seconds = peewee.FloatField(default=0)


def add_member_paused(migrator, db) -> None:
    """group_member.paused: a member logs out of (and back into) the groups' calls from the phone."""
    from playhouse.migrate import migrate

    migrate(migrator.add_column(GroupMember._meta.table_name, "paused", GroupMember.paused))


MODELS = (CallGroup, GroupMember, GroupCall)
# Upgrade steps, oldest first (fs_plugins.db). Version 1 -> 2 adds group_member.paused.
MIGRATIONS: tuple = (add_member_paused,)
