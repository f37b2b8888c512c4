"""The tenant's audio library, the application layer: list, show, upload, record by phone, remove.

The library is the tenant administrator's. A file is validated and converted before its row is
written (fs_plugins.audio.library; a refused upload leaves nothing behind), a recording by phone
lasts as long as the call (fs_plugins.audio.phone), and a file something still plays is not removed
(AudioInUse, a Conflict naming what plays it). Each change writes its audit entry with its row.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope
from fs_plugins.audio import library, phone
from fs_plugins.errors import NotFound
from fs_plugins.models import Tenant, database
from fs_plugins.models.audio import AudioFile


@dataclass(frozen=True)
class AudioView:
    tenant: str  # the tenant's domain
    id: int
    name: str  # what `message:NAME`, a menu's welcome or a group's melody names
    duration_ms: int
    sample_rate: int
    source: str  # upload or recording
    original_format: str
    created_at: dt.datetime  # naive UTC


def list_audio(ctx: AppContext, tenant: str) -> list[AudioView]:
    owner = _tenant(ctx, tenant, "read the audio library")
    return [_view(owner, row) for row in library.list_audio(owner)]


def get_audio(ctx: AppContext, tenant: str, audio: str) -> AudioView:
    """By name, or by id when no file has that name."""
    owner = _tenant(ctx, tenant, "read the audio library")
    return _view(owner, library.get_audio(owner, audio, "audio"))


def audio_path(ctx: AppContext, tenant: str, audio: str) -> Path:
    """The playable file, for a front end that lets people listen to it."""
    owner = _tenant(ctx, tenant, "read the audio library")
    path = Path(library.get_audio(owner, audio, "audio").path)
    if not path.is_file():
        raise NotFound("audio", "the file is not on this server")
    return path


def upload_audio(ctx: AppContext, tenant: str, name: str, file: str | os.PathLike,
                 keep_file_name: bool = False) -> Changed[AudioView]:
    """Validate and convert the sound `file` (WAV, MP3, OGG, FLAC) and store a playable copy as `name`;
    `keep_file_name`: under `file`'s own name when it is a stored file's (another library's, moved)."""
    owner = _tenant(ctx, tenant, "change the audio library")
    with database.atomic():
        row = library.upload(ctx.config, owner, name, file, stored_as=Path(file).name if keep_file_name else None)
        ctx.record("audio.create", owner, f"audio {row.name}", {"source": "upload"})
    return Changed(_view(owner, row))


def record_audio(ctx: AppContext, tenant: str, name: str, call: str, wait: float = 180.0) -> Changed[AudioView]:
    """Call `call` (an extension of the tenant or a phone number), record what is dictated there
    and store it as `name` once confirmed (key 3); RecordingFailed (field ``call``) otherwise."""
    owner = _tenant(ctx, tenant, "change the audio library")
    name = library.check_name(name)
    library.check_unique(owner, name)
    raw = phone.record_by_phone(ctx.config, owner, call, wait)
    with database.atomic():
        row = library.store_recording(ctx.config, owner, name, raw)
        ctx.record("audio.create", owner, f"audio {row.name}", {"source": "phone", "call": call})
    return Changed(_view(owner, row))


def remove_audio(ctx: AppContext, tenant: str, audio: str) -> Changed[AudioView]:
    owner = _tenant(ctx, tenant, "change the audio library")
    row = library.get_audio(owner, audio, "audio")
    view = _view(owner, row)
    with database.atomic():
        ctx.record("audio.delete", owner, f"audio {row.name}")
        library.remove_audio(row)  # AudioInUse names what still plays it; the file goes last
    return Changed(view)


def _tenant(ctx: AppContext, domain: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner


def _view(owner: Tenant, row: AudioFile) -> AudioView:
    return AudioView(owner.domain, row.id, row.name, row.duration_ms, row.sample_rate, row.source,
                     row.original_format, row.created_at)
