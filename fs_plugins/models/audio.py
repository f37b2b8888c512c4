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


# A recording by phone's progress: calling (FreeSWITCH rings the phone), recording (answered: the
# person dictates), done (`audio` names the new file) or failed (`detail` says why).
JOB_CALLING, JOB_RECORDING, JOB_DONE, JOB_FAILED = "calling", "recording", "done", "failed"


class RecordingJob(BaseModel):
    """One recording by phone asked through the API; in the database, so any API node answers a
    poll. `give_up_at`: past it, a job still calling or recording was lost with its process."""

    tenant = peewee.ForeignKeyField(Tenant, backref="recording_jobs", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)  # the audio file it will make
    call = peewee.CharField(max_length=64)  # the extension or number called
    state = peewee.CharField(max_length=16, default=JOB_CALLING)
    detail = peewee.CharField(max_length=512, default="")
    audio = peewee.ForeignKeyField(AudioFile, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    give_up_at = peewee.DateTimeField()


def add_recording_jobs(migrator, db) -> None:
    """the recording_job table: recordings by phone the API answers 202 for and lets poll"""
    db.create_tables([RecordingJob], safe=True)


MODELS = (AudioFile, RecordingJob)
MIGRATIONS: tuple = (add_recording_jobs,)
