"""A voicemail box's messages, the application layer: who may list, play and delete them.

A user reaches their own box, the tenant's administrator every box of the tenant and the general
one; anything else does not exist for the caller (NotFound). The messages themselves stay in
mod_voicemail (fs_plugins.voicemail.messages reads them through FreeSWITCH's API).
"""
from __future__ import annotations

from pathlib import Path

from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.errors import NotFound
from fs_plugins.fsapi import FreeswitchApi
from fs_plugins.models import database
from fs_plugins.voicemail.boxes import GENERAL
from fs_plugins.voicemail.messages import Message, MessageStore, playable


def _store(ctx: AppContext, tenant: str, user: str | None, api=None) -> tuple:
    owner = tenant_in_scope(ctx, tenant)
    if user is None:
        require_admin(ctx, "read the general voicemail box")
        box = GENERAL
    else:
        box = user_in_scope(ctx, owner, user).extension
    return owner, MessageStore(api or FreeswitchApi(ctx.config), owner.domain, box)


def list_messages(ctx: AppContext, tenant: str, user: str | None, api=None) -> list[Message]:
    """Newest first. VoicemailUnavailable when FreeSWITCH cannot be asked."""
    return _store(ctx, tenant, user, api)[1].messages()


def recording(ctx: AppContext, tenant: str, user: str | None, uuid: str, api=None) -> Path:
    """The message's audio file, marked heard; NotFound when the message or its file is not here."""
    _owner, store = _store(ctx, tenant, user, api)
    message = store.get(uuid)
    path = playable(message, ctx.config.voicemail_files_dir) if message else None
    if path is None:
        raise NotFound("message", "no such message, or its recording is not readable on this server")
    store.mark_heard(uuid)
    return path


def delete_message(ctx: AppContext, tenant: str, user: str | None, uuid: str, api=None) -> Changed[Message]:
    owner, store = _store(ctx, tenant, user, api)
    message = store.delete(uuid)
    if message is None:
        raise NotFound("message", "no such message")
    with database.atomic():
        ctx.record("voicemail.message.delete", owner, f"voicemail {store.box}",
                   {"message": uuid, "from": message.caller_number})
    return Changed(message)
