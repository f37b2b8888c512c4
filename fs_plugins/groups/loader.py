"""Rows → the frozen records.Group a call works on, members' call handling included.

Loaded once when a call reaches the group (no connection is held for the call). Members' DND and
forwards come from the call-handling loader (fs_plugins.callhandling.loader), so a group honours
exactly what a direct call to the user would; external members use the tenant's restrictions.
Everything is filtered by the tenant's domain, so an id from another tenant is simply not found.
"""
from __future__ import annotations

import logging

import peewee

from fs_plugins.audio import resolve_audio
from fs_plugins.callhandling import loader as callhandling
from fs_plugins.errors import NotFound
from fs_plugins.groups.records import Group, Member
from fs_plugins.models import Tenant, User, database
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.groups import AUDIO, BY_SCHEDULE, CallGroup, GroupMember
from fs_plugins.schedule.loader import load_schedule

log = logging.getLogger(__name__)


def load_group(domain: str, group_id: str | int, resolve=resolve_audio) -> Group:
    """`resolve`: audio id -> what FreeSWITCH plays (fs_plugins.audio.audio_resolver)."""
    try:
        wanted = int(group_id)
    except (TypeError, ValueError):
        raise NotFound("group", f"no group {group_id!r} in {domain!r}") from None
    row = (CallGroup.select(CallGroup, Tenant).join(Tenant)
           .where(Tenant.domain == domain, CallGroup.id == wanted).first())
    if row is None:
        raise NotFound("group", f"no group {group_id!r} in {domain!r}")
    return to_record(row, row.tenant, resolve)


def to_record(row: CallGroup, tenant: Tenant, resolve=resolve_audio) -> Group:
    db = database.obj if hasattr(database, "obj") else database
    tenant_allowed = callhandling.outbound(db, tenant.id, "").allowed
    schedule = None
    if row.opening == BY_SCHEDULE and row.schedule_id is not None:
        try:
            schedule = load_schedule(tenant.id, row.schedule_id)
        except NotFound:
            log.warning("group %s: schedule %s is gone; treating the group as open", row.id, row.schedule_id)
    return Group(
        id=row.id, tenant_id=tenant.id, domain=tenant.domain, country=tenant.country, name=row.name,
        kind=row.kind, ring_mode=row.ring_mode, member_seconds=row.member_seconds,
        total_seconds=row.total_seconds, members=tuple(_members(db, row, tenant, tenant_allowed)),
        no_answer=row.no_answer_destination, opening=row.opening, schedule=schedule,
        closed_destination=row.closed_destination, **_melody(row, tenant, resolve), queue_size=row.queue_size,
        max_wait=row.max_wait, overflow=row.overflow_destination, announce_every=row.announce_every,
        rounds=row.rounds, callback_key=row.callback_key, service_level_seconds=row.service_level_seconds,
        allowed=tenant_allowed,
    )


def _melody(row: CallGroup, tenant: Tenant, resolve) -> dict:
    if row.melody != AUDIO or row.melody_audio_id is None:
        return {"melody": row.melody}
    path = resolve(tenant.domain, str(row.melody_audio_id))
    audio = AudioFile.get_or_none(AudioFile.id == row.melody_audio_id)
    if path is None or audio is None:
        log.warning("group %s: melody audio %s is missing; callers hear ringback", row.id, row.melody_audio_id)
        return {"melody": "ringback"}
    return {"melody": AUDIO, "melody_path": path, "melody_seconds": audio.duration_ms / 1000}


def _members(db, row: CallGroup, tenant: Tenant, tenant_allowed: frozenset[str]):
    query = (GroupMember.select(GroupMember, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
             .where(GroupMember.group == row.id).order_by(GroupMember.position, GroupMember.id))
    for member in query:
        if member.number:
            yield Member(key=member.number, number=member.number, allowed=tenant_allowed)
            continue
        user = member.user
        if user is None or user.tenant_id != tenant.id or not user.enabled:
            continue  # a row changed behind the service's back never rings another tenant's phone
        data = callhandling.user_call(db, tenant.id, user.id)
        forward = data.settings.forward_always
        forward_extension = None
        if forward is not None and forward.kind == "user":
            target = User.get_or_none(User.tenant == tenant.id, User.id == forward.object_id,
                                      User.enabled == True)  # noqa: E712
            forward_extension = target.extension if target else None
        yield Member(key=f"{user.extension}@{tenant.domain}", user_id=user.id, extension=user.extension,
                     dnd=data.settings.dnd, forward=forward, forward_extension=forward_extension,
                     allowed=data.allowed, paused=bool(member.paused))
