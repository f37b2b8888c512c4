"""Voicemail boxes, the application layer: list, show, create or change, remove.

A user's box is changed by the tenant's administrator or by the user themselves; the general box
(``user`` None) only by the administrator. A user's directory entry carries the box's settings,
so every change to it tells FreeSWITCH to drop that cached entry; the general box is never cached.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee

from fs_plugins import validate
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.voicemail.boxes import GENERAL, pin_hash

_PIN = re.compile(r"[0-9]{4,10}\Z")
_EMAIL_UNSAFE = re.compile(r"[\x00-\x1f\x7f${}\[\],|^<>\"']")


@dataclass(frozen=True)
class BoxView:
    tenant: str  # the tenant's domain
    box: str  # the user's extension, or "general"
    pin_set: bool
    email: str | None
    attach_audio: bool
    keep_after_email: bool
    enabled: bool


def list_boxes(ctx: AppContext, tenant: str) -> list[BoxView]:
    require_admin(ctx, "list the tenant's voicemail boxes")
    owner = tenant_in_scope(ctx, tenant)
    rows = (VoicemailBox.select(VoicemailBox, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
            .where(VoicemailBox.tenant == owner).order_by(VoicemailBox.id))
    return [_view(owner, row) for row in rows]


def get_box(ctx: AppContext, tenant: str, user: str | None) -> BoxView:
    found = find_box(ctx, tenant, user)
    if found is None:
        raise NotFound("user" if user else "general", "no such voicemail box")
    return found


def find_box(ctx: AppContext, tenant: str, user: str | None) -> BoxView | None:
    """The box, or None when it does not exist yet (the user, though, must be in scope)."""
    owner = tenant_in_scope(ctx, tenant)
    row = _find(owner, _box_user(ctx, owner, user))
    return None if row is None else _view(owner, row)


def set_box(ctx: AppContext, tenant: str, user: str | None, *, pin: str | None = None, email: str | None = None,
            attach: bool | None = None, keep: bool | None = None, enabled: bool | None = None) -> Changed[BoxView]:
    """Create or change a box (user None: the general box). Only the given values change; an empty
    PIN or e-mail removes it."""
    owner = tenant_in_scope(ctx, tenant)
    box_user = _box_user(ctx, owner, user)
    if pin is not None and pin != "" and not _PIN.match(pin):
        raise InvalidInput("pin", "must be 4 to 10 digits")
    checked_email = validate.email(email) if email else email
    if checked_email and _EMAIL_UNSAFE.search(checked_email):
        raise InvalidInput("email", "must not contain quotes, brackets, '$', '{', '}' or separators")
    given = {k: v for k, v in (("pin", pin), ("email", email), ("attach", attach), ("keep", keep),
                               ("enabled", enabled)) if v is not None}
    with database.atomic():
        row = _find(owner, box_user) or VoicemailBox(tenant=owner, user=box_user)
        if pin is not None:
            row.pin_hash = pin_hash(box_user.extension if box_user else GENERAL, owner.domain, pin) if pin else ""
        if email is not None:
            row.email = checked_email or None
        for name, value in (("attach_audio", attach), ("keep_after_email", keep), ("enabled", enabled)):
            if value is not None:
                setattr(row, name, bool(value))
        row.updated_at = utcnow()
        row.save()
        ctx.record("voicemail.update", owner, f"voicemail {box_user.extension if box_user else GENERAL}", given)
    return Changed(_view(owner, row), _flush(ctx, owner, box_user))


def remove_box(ctx: AppContext, tenant: str, user: str | None) -> Changed[BoxView]:
    owner = tenant_in_scope(ctx, tenant)
    box_user = _box_user(ctx, owner, user)
    with database.atomic():
        row = _find(owner, box_user)
        if row is None:
            raise NotFound("user" if user else "general", "no such voicemail box")
        view = _view(owner, row)
        row.delete_instance()
        ctx.record("voicemail.delete", owner, f"voicemail {view.box}")
    return Changed(view, _flush(ctx, owner, box_user))


def _box_user(ctx: AppContext, owner: Tenant, user: str | None) -> User | None:
    if user is None:
        require_admin(ctx, "manage the general voicemail box")
        return None
    return user_in_scope(ctx, owner, user)


def _find(owner: Tenant, user: User | None) -> VoicemailBox | None:
    query = VoicemailBox.select().where(VoicemailBox.tenant == owner)
    return query.where(VoicemailBox.user.is_null() if user is None else VoicemailBox.user == user).first()


def _flush(ctx: AppContext, owner: Tenant, user: User | None):
    """FreeSWITCH caches the user's directory entry, which carries the box settings: drop it."""
    return ctx.freeswitch.flush_users([(user.extension, owner.domain)] if user else [])


def _view(owner: Tenant, row: VoicemailBox) -> BoxView:
    return BoxView(owner.domain, row.user.extension if row.user_id else GENERAL, bool(row.pin_hash), row.email,
                   bool(row.attach_audio), bool(row.keep_after_email), bool(row.enabled))
