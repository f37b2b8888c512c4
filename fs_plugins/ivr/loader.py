"""Rows → the frozen Menu the flow runs, with every reference checked once at load time.

A destination whose row has gone (a deleted user, menu or audio file) is left out: its key then
counts as an invalid key, and a dangling exit, closed or forward destination becomes a hang-up.
That is the call-time fallback; saving such a menu is refused by the service.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from fs_plugins.channel import tone
from fs_plugins.destinations import HANGUP, Destination
from fs_plugins.ivr import rules
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.core import Tenant, User
from fs_plugins.models.ivr import IvrMenu, IvrOption
from fs_plugins.schedule.loader import load_schedule

log = logging.getLogger(__name__)
DEFAULT_PROMPT = tone(300, 800)  # a short beep when a menu has no usable prompt

AudioResolver = Callable[[str, str], "str | None"]


def live_menu(tenant_id: int, menu_id: int) -> IvrMenu | None:
    return IvrMenu.get_or_none(IvrMenu.tenant == tenant_id, IvrMenu.id == menu_id, IvrMenu.deleted_at.is_null())


def existing(tenant_id: int, destinations: Iterable[Destination]) -> set[Destination]:
    """The destinations whose target still exists in the tenant (kinds without rows always do)."""
    wanted = {d for d in destinations if d is not None}
    by_kind: dict[str, set[int]] = {}
    for d in wanted:
        if d.object_id is not None:
            by_kind.setdefault("user" if d.kind == "voicemail" else d.kind, set()).add(d.object_id)
    found: dict[str, set[int]] = {}
    tables = {"user": (User, User.tenant), "ivr": (IvrMenu, IvrMenu.tenant), "message": (AudioFile, AudioFile.tenant)}
    for kind, ids in by_kind.items():
        if kind not in tables:
            found[kind] = ids  # a feature table we cannot see (call groups): trust it
            continue
        model, tenant_field = tables[kind]
        query = model.select(model.id).where(tenant_field == tenant_id, model.id.in_(sorted(ids)))
        if model is IvrMenu:
            query = query.where(IvrMenu.deleted_at.is_null())
        found[kind] = {row.id for row in query}
    return {d for d in wanted
            if d.object_id is None or d.object_id in found.get("user" if d.kind == "voicemail" else d.kind, ())}


def load_menu(tenant_domain: str, menu_id: int, resolve_audio: AudioResolver) -> rules.Menu | None:
    tenant = Tenant.get_or_none(Tenant.domain == tenant_domain)
    row = live_menu(tenant.id, menu_id) if tenant else None
    if row is None:
        return None
    options = {o.key: o.destination for o in IvrOption.select().where(IvrOption.menu == row)}
    alive = existing(tenant.id, [*options.values(), row.exit_destination, row.closed_destination,
                                 row.forward_destination])
    for key, destination in sorted(options.items()):
        if destination not in alive:
            log.warning("ivr %s of %s: key %s points to missing %s; treated as invalid", row.id, tenant_domain,
                        key, destination)
    exit_destination = row.exit_destination if row.exit_destination in alive else HANGUP

    def audio(audio_id):
        return resolve_audio(tenant_domain, str(audio_id)) if audio_id else None

    return rules.Menu(
        id=row.id, tenant=tenant_domain, name=row.name,
        prompt=audio(row.prompt_audio_id) or DEFAULT_PROMPT,
        options={k: d for k, d in options.items() if d in alive},
        exit_destination=exit_destination,
        max_loops=row.max_loops, timeout_seconds=float(row.timeout_seconds),
        welcome=audio(row.welcome_audio_id), timeout_prompt=audio(row.timeout_audio_id),
        invalid_prompt=audio(row.invalid_audio_id),
        forward_mode=row.forward_mode,
        forward_destination=row.forward_destination if row.forward_destination in alive else exit_destination,
        closed_destination=row.closed_destination if row.closed_destination in alive else exit_destination,
        schedule=_schedule(tenant.id, row.schedule_id),
        extensions=_extensions(tenant.id) if row.direct_dial else {},
    )


def _schedule(tenant_id: int, schedule_id: int | None):
    if schedule_id is None:
        return None
    return load_schedule(tenant_id, schedule_id)


def _extensions(tenant_id: int) -> dict[str, int]:
    query = User.select(User.id, User.extension).where(User.tenant == tenant_id, User.enabled == True)  # noqa: E712
    return {u.extension: u.id for u in query}
