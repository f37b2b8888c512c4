"""Voicemail boxes: a box per user and the tenant's general box, served to mod_voicemail.

FreeSWITCH's mod_voicemail records, stores, e-mails and lights the message-waiting lamp; we only
feed it through the xml_curl directory (`directory_params`). The PIN is kept as `vm-a1-hash`
(md5 of "box:domain:pin"), which mod_voicemail checks itself, so no clear PIN is stored or served.
The general box is the directory user "general" of the tenant's domain (dialplan:
`voicemail default <domain> general`); it exists only while the tenant has a general box row.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fs_plugins import prepared

GENERAL = "general"
# What the directory reads of a box, in the order box_from_row takes; the directory's user lookup
# joins them in (xml_curl/lookups.py: one query per REGISTER), prefixed with the table's alias.
BOX_COLUMNS = ("pin_hash", "email", "attach_audio", "keep_after_email", "enabled")
_BOX_SQL = f"SELECT {', '.join(BOX_COLUMNS)} FROM voicemail_box WHERE user_id = ?"
_GENERAL_SQL = (f"SELECT {', '.join(BOX_COLUMNS)} FROM voicemail_box "
                "WHERE tenant_id = ? AND user_id IS NULL ORDER BY id LIMIT 1")


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
    sql = _BOX_SQL if user_id is not None else _GENERAL_SQL
    return box_from_row(prepared.run_planned(db, sql, (user_id if user_id is not None else tenant_id,)).fetchone())


def box_from_row(row: tuple | None) -> BoxInfo | None:
    """The BoxInfo of BOX_COLUMNS' values; None for no row, or a left join's all-NULL one
    (`enabled` is never NULL in a row)."""
    if row is None or row[4] is None:
        return None
    pin, email, attach, keep, enabled = row
    return BoxInfo(pin or "", email, bool(attach), bool(keep), bool(enabled))
