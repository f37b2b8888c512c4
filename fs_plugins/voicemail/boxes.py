"""Voicemail boxes: a box per user and the tenant's general box, served to mod_voicemail.

FreeSWITCH's mod_voicemail records, stores, e-mails and lights the message-waiting lamp; we only
feed it through the xml_curl directory (`directory_params`). The PIN is kept as `vm-a1-hash`
(md5 of "box:domain:pin"), which mod_voicemail checks itself, so no clear PIN is stored or served.
The general box is the directory user "general" of the tenant's domain (dialplan:
`voicemail default <domain> general`); it exists only while the tenant has a general box row.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import peewee

from fs_plugins import validate
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.groups import VoicemailBox

GENERAL = "general"
_PIN = re.compile(r"[0-9]{4,10}\Z")
_EMAIL_UNSAFE = re.compile(r"[\x00-\x1f\x7f${}\[\],|^<>\"']")
_BOX_SQL = ("SELECT pin_hash, email, attach_audio, keep_after_email, enabled FROM voicemail_box "
            "WHERE user_id = {p}")
_GENERAL_SQL = ("SELECT pin_hash, email, attach_audio, keep_after_email, enabled FROM voicemail_box "
                "WHERE tenant_id = {p} AND user_id IS NULL ORDER BY id LIMIT 1")


@dataclass(frozen=True)
class BoxInfo:
    """What the directory needs of a box (loaded with prepared SQL on the hot path)."""

    pin_hash: str
    email: str | None
    attach_audio: bool
    keep_after_email: bool
    enabled: bool


def pin_hash(box: str, domain: str, pin: str) -> str:
    return hashlib.md5(f"{box}:{domain}:{pin}".encode()).hexdigest()


def directory_params(info: BoxInfo | None) -> list[tuple[str, str]]:
    """mod_voicemail's <param>s for a user (its own box) or the general box. Pure."""
    if info is None:
        return []
    if not info.enabled:
        return [("vm-enabled", "false")]
    params = [("vm-enabled", "true")]
    if info.pin_hash:
        params.append(("vm-a1-hash", info.pin_hash))
    if info.email:
        params += [("vm-mailto", info.email), ("vm-email-all-messages", "true"),
                   ("vm-attach-file", "true" if info.attach_audio else "false"),
                   ("vm-keep-local-after-email", "true" if info.keep_after_email else "false")]
    return params


def box_info(db, user_id: int | None, tenant_id: int | None = None) -> BoxInfo | None:
    """A user's box (or, with user_id None, the tenant's general box): one indexed lookup, raw SQL
    because the directory answers every REGISTER (DESIGN.md: hot paths skip the query builder)."""
    sql = (_BOX_SQL if user_id is not None else _GENERAL_SQL).format(p=db.param)
    row = db.execute_sql(sql, (user_id if user_id is not None else tenant_id,)).fetchone()
    if row is None:
        return None
    pin, email, attach, keep, enabled = row
    return BoxInfo(pin or "", email, bool(attach), bool(keep), bool(enabled))


# ---- service --------------------------------------------------------------------------------

def _owner(tenant: Tenant, extension: str | None) -> User | None:
    if extension is None:
        return None
    user = User.get_or_none(User.tenant == tenant, User.extension == extension.strip())
    if user is None:
        raise InvalidInput("--user", f"no user with extension {extension!r} in {tenant.domain}")
    return user


def find(tenant: Tenant, extension: str | None) -> VoicemailBox | None:
    owner = _owner(tenant, extension)
    query = VoicemailBox.select().where(VoicemailBox.tenant == tenant)
    return query.where(VoicemailBox.user.is_null() if owner is None else VoicemailBox.user == owner).first()


def set_box(tenant: Tenant, extension: str | None, *, pin: str | None = None, email: str | None = None,
            attach: bool | None = None, keep: bool | None = None, enabled: bool | None = None) -> VoicemailBox:
    """Create or change a box (extension None: the general box). Only the given values change."""
    owner = _owner(tenant, extension)
    if pin is not None and pin != "" and not _PIN.match(pin):
        raise InvalidInput("--pin", "must be 4 to 10 digits")
    checked_email = validate.email(email, "--email") if email else email
    if checked_email and _EMAIL_UNSAFE.search(checked_email):
        raise InvalidInput("--email", "must not contain quotes, brackets, '$', '{', '}' or separators")
    with database.atomic():
        box = find(tenant, extension) or VoicemailBox(tenant=tenant, user=owner)
        if pin is not None:
            box.pin_hash = pin_hash(owner.extension if owner else GENERAL, tenant.domain, pin) if pin else ""
        if email is not None:
            box.email = checked_email or None
        for name, value in (("attach_audio", attach), ("keep_after_email", keep), ("enabled", enabled)):
            if value is not None:
                setattr(box, name, value)
        box.updated_at = utcnow()
        box.save()
    return box


def remove_box(tenant: Tenant, extension: str | None) -> None:
    box = find(tenant, extension)
    if box is None:
        raise NotFound("--user" if extension else "voicemail", "no such voicemail box")
    box.delete_instance()


def boxes(tenant: Tenant) -> list[VoicemailBox]:
    return list(VoicemailBox.select(VoicemailBox, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
                .where(VoicemailBox.tenant == tenant).order_by(VoicemailBox.id))
