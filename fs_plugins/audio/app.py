"""The tenant's audio library, the application layer: list, show, upload, record by phone, remove.

The library is the tenant administrator's. A file is validated and converted before its row is
written (fs_plugins.audio.library; a refused upload leaves nothing behind), a recording by phone
lasts as long as the call (fs_plugins.audio.phone), and a file something still plays is not removed
(AudioInUse, a Conflict naming what plays it). Each change writes its audit entry with its row.

The API and the CLI start a recording as a job (`start_recording`): everything that can be refused is
checked first, a RecordingJob row says how it goes (calling, recording, done with the new file,
failed with why), and the call itself runs in the background the front end provides (the API a
greenlet of its server, the CLI one it follows to the end, `recorded_audio`). Either shows the
other's jobs, and a name being recorded is refused to both. The portal's pop-up starts one too and
follows it by polling.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope
from fs_plugins.audio import library, phone
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import Tenant, database
from fs_plugins.models.audio import (JOB_CALLING, JOB_DONE, JOB_FAILED, JOB_RECORDING, AudioFile,
                                     RecordingJob)
from fs_plugins.models.base import utcnow

log = logging.getLogger(__name__)
# A failed job's detail when no refusal of the application layer says why (the portal translates them).
JOB_LOST = "the server that made the call stopped before it ended"
JOB_CRASHED = "the server failed; nothing was stored"


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


def record_audio(ctx: AppContext, tenant: str, name: str, call: str, wait: float = 180.0,
                 answered: Callable[[], None] = lambda: None, media_server: str | None = None) -> Changed[AudioView]:
    """Call `call` (an extension of the tenant or a phone number), record what is dictated there
    and store it as `name` once confirmed (key 3); RecordingFailed (field ``call``) otherwise.
    `answered` is told when the phone answers; `media_server` names the FreeSWITCH to call through
    (None: the cluster's routing, fs_plugins/cluster/originate.py)."""
    owner = _tenant(ctx, tenant, "change the audio library")
    name = library.check_name(name)
    library.check_unique(owner, name)
    raw = phone.record_by_phone(ctx.config, owner, call, wait, answered, media_server)
    with database.atomic():
        row = library.store_recording(ctx.config, owner, name, raw)
        ctx.record("audio.create", owner, f"audio {row.name}", {"source": "phone", "call": call})
    return Changed(_view(owner, row))


@dataclass(frozen=True)
class RecordingJobView:
    tenant: str  # the tenant's domain
    id: int
    name: str  # the audio file it makes
    call: str  # the extension or number called
    state: str  # calling, recording, done or failed
    detail: str  # why it failed ("" otherwise)
    audio: AudioView | None  # the new file, once done
    created_at: dt.datetime  # naive UTC
    updated_at: dt.datetime


def start_recording(ctx: AppContext, tenant: str, name: str, call: str, wait: float,
                    run: Callable[[Callable[[], AudioView | None]], None],
                    media_server: str | None = None) -> Changed[RecordingJobView]:
    """Check what `record_audio` would refuse (the name, `call`, the media server named,
    FreeSWITCH answering), write the job, and hand `run` the recording to do in the background (it
    returns the file the job made, None when the job failed); the job as it starts (calling)."""
    owner = _tenant(ctx, tenant, "change the audio library")
    name = library.check_name(name)
    library.check_unique(owner, name)
    if RecordingJob.select().where(RecordingJob.tenant == owner, RecordingJob.name == name,
                                   RecordingJob.state.in_((JOB_CALLING, JOB_RECORDING)),
                                   RecordingJob.give_up_at > utcnow()).exists():
        raise Conflict("name", f"{name!r} is being recorded already")
    phone.dial_string(ctx.config, owner, call)  # a bad number is refused now, not in the job
    phone.check_reachable(ctx.config, media_server)
    now = utcnow()
    with database.atomic():
        job = RecordingJob.create(tenant=owner, name=name, call=call.strip(), created_at=now, updated_at=now,
                                  give_up_at=now + dt.timedelta(seconds=wait + phone.ORIGINATE_SECONDS + 30))
        ctx.record("audio.record", owner, f"recording {name}",
                   {"call": call, **({"media_server": media_server.strip().lower()} if media_server else {})})
    run(lambda: _record_job(ctx, owner.domain, job.id, name, call, wait, media_server))
    return Changed(_job_view(owner, job))


def recording_job(ctx: AppContext, tenant: str, job_id: int) -> RecordingJobView:
    """A recording job of the tenant, as it goes now (one whose process ended without telling is failed)."""
    owner = _tenant(ctx, tenant, "read the audio library")
    job = RecordingJob.get_or_none(RecordingJob.id == job_id, RecordingJob.tenant == owner)
    if job is None:
        raise NotFound("job", f"no recording job {job_id} in {owner.domain}")
    if job.state in (JOB_CALLING, JOB_RECORDING) and job.give_up_at <= utcnow():
        job.state, job.detail = JOB_FAILED, JOB_LOST
    return _job_view(owner, job)


def recorded_audio(job: RecordingJobView) -> AudioView:
    """The file a job made; RecordingFailed (field ``call``) with the job's reason when it failed."""
    if job.state == JOB_DONE and job.audio is not None:
        return job.audio
    raise phone.RecordingFailed(job.detail or f"the recording is {job.state}, not done")


def _record_job(ctx: AppContext, domain: str, job_id: int, name: str, call: str, wait: float,
                media_server: str | None = None) -> AudioView | None:
    """The job's recording, in the background: its row follows the call. The file it made (None if
    it failed): the very one, not whatever bears its name by then."""
    try:
        done = record_audio(ctx, domain, name, call, wait, answered=lambda: _job_state(job_id, JOB_RECORDING),
                            media_server=media_server)
        _job_state(job_id, JOB_DONE, audio=done.value.id)
        return done.value
    except InvalidInput as exc:  # nothing confirmed, no answer, FreeSWITCH gone, or the name taken meanwhile
        _job_state(job_id, JOB_FAILED, detail=exc.message)
    except Exception:
        log.exception("recording job %d failed", job_id)
        _job_state(job_id, JOB_FAILED, detail=JOB_CRASHED)
    return None


def _job_state(job_id: int, state: str, detail: str = "", audio: int | None = None) -> None:
    RecordingJob.update(state=state, detail=detail[:512], audio=audio, updated_at=utcnow()).where(
        RecordingJob.id == job_id).execute()


def _job_view(owner: Tenant, job: RecordingJob) -> RecordingJobView:
    audio = AudioFile.get_or_none(AudioFile.id == job.audio_id) if job.audio_id else None
    return RecordingJobView(owner.domain, job.id, job.name, job.call, job.state, job.detail,
                            _view(owner, audio) if audio else None, job.created_at, job.updated_at)


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
