"""The tenant's audio library's rows and files (fs_plugins.audio.app is the way in): validated
upload, phone recordings, listing, removal, lookup.

Files live under ``<data_dir>/audio/<tenant domain>/<random>.wav``; the user's name for a file is
only a label in the database (unique per tenant), so nothing typed by a user becomes a path or
reaches FreeSWITCH. A file is written under a temporary name and renamed into place before its
row is inserted; if the insert fails the file is removed again, so a refused or failed upload
leaves nothing behind.
"""
from __future__ import annotations

import logging
import os
import re
import uuid
from pathlib import Path

import peewee

from fs_plugins import references
from fs_plugins.audio import convert
from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.models.audio import SOURCE_RECORDING, SOURCE_UPLOAD, AudioFile
from fs_plugins.models.base import database
from fs_plugins.models.core import Tenant

log = logging.getLogger(__name__)
MAX_NAME = 64
_STORED = re.compile(r"[0-9a-f]{32}\.wav\Z")  # the names _store gives files


class AudioInUse(Conflict):
    def __init__(self, name: str, users: list[str]):
        super().__init__("name", f"audio {name!r} is still used by {', '.join(users)}; change those first")
        self.users = users


def check_name(name: str | None, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(field, "a name is required")
    if len(name) > MAX_NAME:
        raise InvalidInput(field, f"at most {MAX_NAME} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name) or "${" in name:
        raise InvalidInput(field, "control characters and ${ are not allowed")
    return name


def tenant_folder(config: Config, tenant: Tenant) -> Path:
    if "/" in tenant.domain or tenant.domain.startswith("."):
        raise InvalidInput("tenant", f"domain {tenant.domain!r} cannot name a folder")
    return Path(config.data_dir).resolve() / "audio" / tenant.domain


def upload(config: Config, tenant: Tenant, name: str, source: str | os.PathLike, *, field: str = "file",
           origin: str = SOURCE_UPLOAD, stored_as: str | None = None) -> AudioFile:
    """Validate and convert `source`, store the playable copy under `name` (in the file `stored_as`
    when that is a free name of the library's own form, so a tenant moved keeps its file names)."""
    name = check_name(name)
    check_unique(tenant, name)
    playable = convert.decode(source, config.audio_max_seconds, field)
    return _store(config, tenant, name, playable, origin, stored_as)


def store_recording(config: Config, tenant: Tenant, name: str, recorded: str | os.PathLike) -> AudioFile:
    """A confirmed phone recording joins the library (converted like an upload); the raw file goes."""
    row = upload(config, tenant, name, recorded, field="recording", origin=SOURCE_RECORDING)
    Path(recorded).unlink(missing_ok=True)
    return row


def _store(config: Config, tenant: Tenant, name: str, playable: convert.Playable, origin: str,
           stored_as: str | None = None) -> AudioFile:
    folder = tenant_folder(config, tenant)
    folder.mkdir(parents=True, exist_ok=True)
    keep = stored_as and _STORED.match(stored_as) and not (folder / stored_as).exists()
    final = folder / (stored_as if keep else f"{uuid.uuid4().hex}.wav")
    temporary = final.with_suffix(".part")
    try:
        convert.write_wav(playable, temporary)
        os.replace(temporary, final)
        with database.atomic():
            row = AudioFile.create(tenant=tenant, name=name, path=str(final), sample_rate=playable.rate,
                                   duration_ms=playable.duration_ms, source=origin,
                                   original_format=playable.source_format)
    except peewee.IntegrityError:
        _discard(temporary, final)
        raise Conflict("name", f"an audio file named {name!r} already exists") from None
    except BaseException:
        _discard(temporary, final)
        raise
    log.info("audio %s stored for %s (%d ms, %d Hz)", row.id, tenant.domain, row.duration_ms, row.sample_rate)
    return row


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def check_unique(tenant: Tenant, name: str, field: str = "name") -> None:
    if AudioFile.select().where(AudioFile.tenant == tenant, AudioFile.name == name).exists():
        raise Conflict(field, f"an audio file named {name!r} already exists")


def list_audio(tenant: Tenant) -> list[AudioFile]:
    return list(AudioFile.select().where(AudioFile.tenant == tenant).order_by(AudioFile.name))


def get_audio(tenant: Tenant, reference: str, field: str = "name") -> AudioFile:
    """By name, or by id when no file has that name."""
    reference = (reference or "").strip()
    row = AudioFile.get_or_none(AudioFile.tenant == tenant, AudioFile.name == reference)
    if row is None and (row_id := parse_id(reference)) is not None:
        row = AudioFile.get_or_none(AudioFile.tenant == tenant, AudioFile.id == row_id)
    if row is None:
        raise NotFound(field, f"no audio file {reference!r} in {tenant.domain}")
    return row


def audio_users(audio_id: int) -> list[str]:
    """What still plays this file: destination columns holding ``message:<id>`` and foreign keys to
    AudioFile in any component's table."""
    rows = references.rows_referring_to(Destination("message", str(audio_id)), model=AudioFile, row_id=audio_id)
    return sorted({references.describe_row(row) for row in rows})


def remove_audio(row: AudioFile) -> None:
    users = audio_users(row.id)
    if users:
        raise AudioInUse(row.name, users)
    with database.atomic():
        row.delete_instance()
    Path(row.path).unlink(missing_ok=True)
