"""/api/v1/tenants/{domain}/audio: the tenant's audio library (what menus, groups and `message:`
destinations play): list, upload (multipart), show, download, remove, and record by phone.

Uploads are validated and converted by the application layer (fs_plugins.audio.app) before a row
is written: a refused file leaves nothing behind. A file something still plays is not removed (409
naming what plays it). Recording by phone calls the given extension or number through FreeSWITCH
and answers at once: 202 with a Location of the recording job, which the client polls (calling,
recording, done with the new file once confirmed with key 3, or failed with why); 422 (field `name`,
`call` or `media_server`, an optional media server to call through) or 409 (`name`) for what can be
refused before calling, 503 when this server has no FreeSWITCH to call through or its event socket
does not answer.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

import gevent
from apiflask import APIBlueprint
from apiflask.fields import File, Integer, List, Nested, String
from apiflask.validators import Range
from flask import send_file

from fs_plugins.api.common import app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import TENANT, access
from fs_plugins.api.openapi import needs_freeswitch
from fs_plugins.api.problems import FreeswitchMissing
from fs_plugins.api.schema import Schema
from fs_plugins.audio import app
from fs_plugins.dbpool import release
from fs_plugins.errors import InvalidInput
from fs_plugins.models import database

bp = APIBlueprint("audio", __name__, url_prefix="/api/v1/tenants/<domain>/audio", tag="Audio library")


class AudioOut(Schema):
    id = Integer(required=True)
    name = String(required=True, metadata={"description": "what message:NAME, a menu's prompts or a group's "
                                                          "melody (audio:NAME) name"})
    duration_ms = Integer(required=True)
    sample_rate = Integer(required=True)
    source = String(required=True, metadata={"description": "upload or recording"})
    original_format = String(required=True)
    created_at = UtcDateTime(required=True)


class AudioList(Schema):
    items = List(Nested(AudioOut), required=True)


class AudioUpload(Schema):
    name = String(required=True, metadata={"example": "Bienvenida"})
    file = File(required=True, metadata={"description": "WAV, MP3, OGG or FLAC"})


class RecordIn(Schema):
    name = String(required=True, metadata={"example": "Bienvenida"})
    call = String(required=True, metadata={"description": "an extension of the tenant, or a phone number",
                                           "example": "1001"})
    wait = Integer(load_default=180, validate=Range(10, 900),
                   metadata={"description": "seconds the call may last before giving up"})
    media_server = String(load_default=None, allow_none=True,
                          metadata={"description": "the media server (FreeSWITCH) to call through, by name; "
                                                   "default: where the phone is registered, else the first "
                                                   "enabled one answering", "example": "fs1"})


class RecordingJobOut(Schema):
    id = Integer(required=True)
    name = String(required=True, metadata={"description": "the audio file it makes"})
    call = String(required=True, metadata={"description": "the extension or number called"})
    state = String(required=True, metadata={"description": "calling, recording, done or failed",
                                            "enum": ["calling", "recording", "done", "failed"]})
    detail = String(required=True, metadata={"description": "why it failed (empty otherwise)"})
    audio = Nested(AudioOut, required=True, allow_none=True, metadata={"description": "the new file, once done"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


def _location(view) -> dict:
    return {"Location": f"/api/v1/tenants/{view.tenant}/audio/{quote(view.name, safe='')}"}


@bp.get("")
@access(TENANT)
@bp.output(AudioList)
def list_audio(domain):
    """The tenant's audio files by name."""
    return {"items": app.list_audio(app_context(), domain)}


@bp.post("")
@access(TENANT)
@bp.input(AudioUpload, location="files", arg_name="body")
@bp.output(AudioOut, status_code=201)
def upload_audio(domain, body):
    """Upload a sound file (multipart: `name`, `file`); it is converted to what FreeSWITCH plays."""
    upload = body["file"]
    with tempfile.TemporaryDirectory(prefix="centralita-upload-") as folder:
        # The converter reads a file by path; the upload's own name never reaches the disk.
        path = Path(folder) / "upload"
        upload.save(path)
        if path.stat().st_size == 0:
            raise InvalidInput("file", "the file is empty")
        view = app.upload_audio(app_context(), domain, body["name"], path).value
    return with_etag(AudioOut, view, 201, _location(view))


@bp.post("/recordings")
@access(TENANT)
@needs_freeswitch
@bp.input(RecordIn, arg_name="body", example={"name": "Bienvenida", "call": "1001"})
@bp.output(RecordingJobOut, status_code=202, description="The recording job, calling (poll its Location)")
def record_audio(domain, body):
    """Record by phone: the extension or number is called, hears the instructions, dictates after the
    beep, presses # then 3 to keep it. Answers at once with the job to poll (the call may last up
    to `wait` seconds)."""
    ctx = app_context()
    if not ctx.config.fs_event_socket_port:
        raise FreeswitchMissing("this server has no FreeSWITCH event socket to call through")
    job = app.start_recording(ctx, domain, body["name"], body["call"], float(body["wait"]), _in_background,
                              body["media_server"]).value
    return job, 202, {"Location": _job_location(job)}


@bp.get("/recordings/<int:job>")
@access(TENANT)
@bp.output(RecordingJobOut)
def get_recording_job(domain, job):
    """A recording by phone as it goes: calling, recording, done (`audio` is the new file) or failed (`detail`)."""
    return app.recording_job(app_context(), domain, job)


def _job_location(job) -> str:
    return f"/api/v1/tenants/{job.tenant}/audio/recordings/{job.id}"


def _in_background(work) -> None:
    """The recording in a greenlet of its own, its pooled connection handed back when it ends."""

    def run():
        try:
            work()
        finally:
            release(database)

    gevent.spawn(run)


@bp.get("/<audio>")
@access(TENANT)
@bp.output(AudioOut)
def get_audio(domain, audio):
    """One audio file's details (with its ETag)."""
    return with_etag(AudioOut, app.get_audio(app_context(), domain, audio))


@bp.get("/<audio>/file")
@access(TENANT)
@bp.output({}, content_type="audio/wav", description="The file as FreeSWITCH plays it (WAV)")
def download_audio(domain, audio):
    """Download the playable file."""
    ctx = app_context()
    name = app.get_audio(ctx, domain, audio).name
    return send_file(app.audio_path(ctx, domain, audio), mimetype="audio/wav", as_attachment=True,
                     download_name=f"{name}.wav", max_age=0, conditional=False)


@bp.delete("/<audio>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_audio(domain, audio):
    """Remove a file (409 while a menu, group or destination plays it)."""
    ctx = app_context()
    check_if_match(schema_of(AudioOut).dump(app.get_audio(ctx, domain, audio)), required=False)
    app.remove_audio(ctx, domain, audio)
    return ""
