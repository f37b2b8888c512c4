"""Voicemail boxes (component "voicemail"). Rules and uses: fs_plugins/voicemail/.

A box keeps what FreeSWITCH's mod_voicemail reads from the directory: the PIN only as
`vm-a1-hash` (md5 of "box:domain:pin", which mod_voicemail checks), never in clear. The table was
first created by the "groups" component; a database that has it records "voicemail" at version 1
on its next upgrade without touching it (tables are created only when missing).
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User


class VoicemailBox(BaseModel):
    """A user's box (user set) or the tenant's general box (user NULL, box id "general")."""

    tenant = peewee.ForeignKeyField(Tenant, backref="voicemail_boxes", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, unique=True, backref="voicemail_box", on_delete="CASCADE")
    pin_hash = peewee.CharField(max_length=32, default="")  # md5("box:domain:pin"); "" : no PIN set
    email = peewee.CharField(max_length=254, null=True)
    attach_audio = peewee.BooleanField(default=True)
    keep_after_email = peewee.BooleanField(default=True)
    enabled = peewee.BooleanField(default=True)
    updated_at = peewee.DateTimeField(default=utcnow)


MODELS = (VoicemailBox,)
MIGRATIONS: tuple = ()
