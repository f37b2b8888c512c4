"""Call recording, the application layer: policies, the tenant's options, and the recordings.

Who may do what: the tenant's administrator (or the operator) sets policies and options and reads
or deletes any recording of the tenant; a user reads their own policy and the recordings of the
calls in their own call log (the made and the received entry of an internal call: both parties),
and nothing else. Out of scope is absent (NotFound), so no recording's existence leaks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN

from fs_plugins.access.principal import USER
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.models import Tenant, database, utcnow
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.groups import CallGroup
from fs_plugins.models.recording import Recording, RecordingPolicy, RecordingSettings
from fs_plugins.recording.kinds import DEFAULT_RETENTION_DAYS, GROUP_MODES, MAX_RETENTION_DAYS, MODES, NEVER
from fs_plugins.recording.rules import absolute, recordings_dir


@dataclass(frozen=True)
class PolicyView:
    tenant: str
    user: str  # the extension, or "" for a group's
    group: str  # the group's name, or ""
    mode: str


@dataclass(frozen=True)
class SettingsView:
    tenant: str
    announce: bool
    retention_days: int


@dataclass(frozen=True)
class RecordingView:
    id: int
    tenant: str
    call_id: str
    started: dt.datetime  # UTC, aware
    size: int
    parties: tuple[str, ...]  # the extensions whose call log holds the call


def set_policy(ctx: AppContext, tenant: str, mode: str, user: str = "", group: str = "") -> Changed[PolicyView]:
    """The policy of one user (`user`: the extension) or one call group (`group`: its name)."""
    require_admin(ctx, "change who is recorded")
    owner = tenant_in_scope(ctx, tenant)
    mode = (mode or "").strip()
    if bool(user) == bool(group):
        raise InvalidInput("user", "name either a user or a call group")
    allowed = GROUP_MODES if group else MODES
    if mode not in allowed:
        raise InvalidInput("mode", f"{mode!r}: one of {', '.join(allowed)}")
    with database.atomic():
        if user:
            row_user, row_group = user_in_scope(ctx, owner, user), None
            found = RecordingPolicy.get_or_none(RecordingPolicy.user == row_user)
        else:
            row_user, row_group = None, _group(owner, group)
            found = RecordingPolicy.get_or_none(RecordingPolicy.group == row_group)
        row = found or RecordingPolicy(tenant=owner, user=row_user, group=row_group)
        row.mode, row.updated_at = mode, utcnow()
        row.save()
        ctx.record("recording.policy", owner, f"user {user}" if user else f"group {group}", {"mode": mode})
    return Changed(PolicyView(owner.domain, user, group, mode))


def list_policies(ctx: AppContext, tenant: str) -> list[PolicyView]:
    """Every user's and group's policy that is not "never"; a user sees only their own."""
    owner = tenant_in_scope(ctx, tenant)
    rows = (RecordingPolicy.select(RecordingPolicy, CallGroup)
            .join(CallGroup, join_type=JOIN.LEFT_OUTER, on=(RecordingPolicy.group == CallGroup.id))
            .where(RecordingPolicy.tenant == owner, RecordingPolicy.mode != NEVER))
    views = []
    for row in rows:
        extension = row.user.extension if row.user_id else ""
        if ctx.principal.role == USER and row.user_id != ctx.principal.user_id:
            continue
        views.append(PolicyView(owner.domain, extension, row.group.name if row.group_id else "", row.mode))
    return sorted(views, key=lambda v: (v.group, v.user))


def settings(ctx: AppContext, tenant: str) -> SettingsView:
    return _settings_view(tenant_in_scope(ctx, tenant))


def set_settings(ctx: AppContext, tenant: str, announce: bool | None = None,
                 retention_days: int | None = None) -> Changed[SettingsView]:
    require_admin(ctx, "change the recording options")
    owner = tenant_in_scope(ctx, tenant)
    if retention_days is not None and (not isinstance(retention_days, int) or isinstance(retention_days, bool)
                                       or not 1 <= retention_days <= MAX_RETENTION_DAYS):
        raise InvalidInput("retention_days", f"a whole number of days from 1 to {MAX_RETENTION_DAYS}")
    if announce is not None and not isinstance(announce, bool):
        raise InvalidInput("announce", "true or false")
    with database.atomic():
        row = (RecordingSettings.get_or_none(RecordingSettings.tenant == owner)
               or RecordingSettings(tenant=owner, retention_days=DEFAULT_RETENTION_DAYS))
        if announce is not None:
            row.announce = announce
        if retention_days is not None:
            row.retention_days = retention_days
        row.updated_at = utcnow()
        row.save()
        ctx.record("recording.settings", owner, "recording options",
                   {"announce": row.announce, "retention_days": row.retention_days})
    return Changed(_settings_view(owner))


def list_recordings(ctx: AppContext, tenant: str, user: str = "", limit: int = 100) -> list[RecordingView]:
    """The tenant's recordings, newest first (an admin: all, or one user's with `user`; a user: their own)."""
    owner = tenant_in_scope(ctx, tenant)
    query = Recording.select().where(Recording.tenant == owner)
    if user or ctx.principal.role == USER:
        person = user_in_scope(ctx, owner, user or ctx.principal.extension)
        calls = CallEntry.select(CallEntry.call_id).where(CallEntry.tenant == owner, CallEntry.user == person)
        query = query.where(Recording.call_id.in_(calls))
    else:
        require_admin(ctx, "read the tenant's recordings")
    rows = list(query.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(max(1, min(limit, 1000))))
    return [_view(owner, row) for row in rows]


def get_recording(ctx: AppContext, tenant: str, recording_id: int) -> RecordingView:
    owner = tenant_in_scope(ctx, tenant)
    return _view(owner, _visible(ctx, owner, recording_id))


def recording_path(ctx: AppContext, tenant: str, recording_id: int) -> tuple[RecordingView, Path]:
    """The recording and its file, for a download (NotFound when the file is gone from disk)."""
    owner = tenant_in_scope(ctx, tenant)
    row = _visible(ctx, owner, recording_id)
    path = absolute(recordings_dir(ctx.config), row.file)
    if not path.is_file():
        raise NotFound("recording", f"recording {recording_id}'s file is missing")
    return _view(owner, row), path


def remove_recording(ctx: AppContext, tenant: str, recording_id: int) -> Changed[RecordingView]:
    require_admin(ctx, "delete recordings")
    owner = tenant_in_scope(ctx, tenant)
    row = _visible(ctx, owner, recording_id)
    view = _view(owner, row)
    with database.atomic():
        row.delete_instance()
        ctx.record("recording.delete", owner, f"recording of call {row.call_id}")
    absolute(recordings_dir(ctx.config), row.file).unlink(missing_ok=True)
    return Changed(view)


def _visible(ctx: AppContext, owner: Tenant, recording_id) -> Recording:
    row_id = parse_id(recording_id)
    if row_id is None:
        raise NotFound("recording", f"no recording {recording_id!r}")
    row = Recording.get_or_none(Recording.id == row_id, Recording.tenant == owner)
    if row is not None and ctx.principal.role == USER:
        mine = CallEntry.select().where(CallEntry.tenant == owner, CallEntry.call_id == row.call_id,
                                        CallEntry.user == ctx.principal.user_id).exists()
        row = row if mine else None
    if row is None:
        raise NotFound("recording", f"no recording {recording_id} in {owner.domain}")
    return row


def _group(owner: Tenant, name: str) -> CallGroup:
    row = CallGroup.get_or_none(CallGroup.tenant == owner, CallGroup.name == (name or "").strip())
    if row is None:
        raise NotFound("group", f"no call group {name!r} in {owner.domain}")
    return row


def _settings_view(owner: Tenant) -> SettingsView:
    row = RecordingSettings.get_or_none(RecordingSettings.tenant == owner)
    if row is None:
        return SettingsView(owner.domain, False, DEFAULT_RETENTION_DAYS)
    return SettingsView(owner.domain, row.announce, row.retention_days)


def _view(owner: Tenant, row: Recording) -> RecordingView:
    parties = (CallEntry.select(CallEntry.user).where(CallEntry.tenant == owner, CallEntry.call_id == row.call_id,
                                                      CallEntry.user.is_null(False)))
    extensions = sorted({entry.user.extension for entry in parties})
    started = dt.datetime.fromtimestamp(row.started_at, dt.timezone.utc)
    return RecordingView(row.id, owner.domain, row.call_id, started, row.size, tuple(extensions))
