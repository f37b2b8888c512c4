"""Audio at call time and in destinations: id -> what FreeSWITCH plays (the file, or its URL when
FreeSWITCH does not share this disk: fs_plugins/mediaurls.py); ``message:<name>`` -> Destination."""
from __future__ import annotations

import functools
import os
from pathlib import Path

from fs_plugins.audio.library import get_audio
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.mediaurls import Media, from_config
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.core import Tenant


def resolve_audio(tenant_domain: str, audio_id: str, media: Media | None = None) -> str | None:
    """The stored file of audio `audio_id` of the tenant, if it exists (on disk too); with `media`,
    the URL FreeSWITCH fetches it from."""
    row_id = parse_id(audio_id)
    if row_id is None or not tenant_domain:
        return None
    row = (AudioFile.select(AudioFile.path).join(Tenant)
           .where(Tenant.domain == tenant_domain, AudioFile.id == row_id).first())
    if row is None or not os.path.isfile(row.path):
        return None
    return media.audio(tenant_domain, Path(row.path).name) if media else row.path


def audio_resolver(config):
    """resolve_audio as `config` wants it: files, or URLs when `media_base_url` is set."""
    media = from_config(config)
    return functools.partial(resolve_audio, media=media) if media else resolve_audio


def resolve(tenant: Tenant, reference: str, field: str) -> Destination:
    """``message:<name or id>`` as typed by a user -> ``message:<id>`` of this tenant."""
    try:
        return Destination("message", str(get_audio(tenant, reference, field).id))
    except NotFound as exc:
        raise InvalidInput(field, exc.message) from None


def describe(tenant: Tenant, destination: Destination) -> str:
    row = AudioFile.get_or_none(AudioFile.tenant == tenant, AudioFile.id == destination.object_id)
    return f"message:{row.name}" if row else "message:? (deleted audio)"
