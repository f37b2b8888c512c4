"""The tenant's audio library (component "audio"): uploaded and phone-recorded messages.

Each row is one FreeSWITCH-playable WAV (8 or 16 kHz, mono, 16-bit) stored under
``<data_dir>/audio/<tenant domain>/``; `path` is where it was written. The same files serve as IVR
welcome messages and prompts, closed-hours messages and ``message:<id>`` destinations.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant

SOURCE_UPLOAD = "upload"
SOURCE_RECORDING = "recording"


class AudioFile(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="audio_files", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)  # chosen by the user, unique in the tenant
    path = peewee.CharField(max_length=1024)  # absolute path of the stored playable WAV
    sample_rate = peewee.IntegerField()
    duration_ms = peewee.IntegerField()
    source = peewee.CharField(max_length=16, default=SOURCE_UPLOAD)
    original_format = peewee.CharField(max_length=16, default="")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "name"), True),)


MODELS = (AudioFile,)
MIGRATIONS: tuple = ()
