"""Call recording: /api/v1/tenants/{domain}/recordings (the tenant's recordings: list, show,
download, delete), /recording-options (announcement and retention), /recording-policies (who is
recorded), and /api/v1/me/recordings (a user's: the recordings of the calls in their own call log,
both parties of an internal call). Who sees what is fs_plugins/recording/app.py's."""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import send_file

from fs_plugins.api.common import app_context
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import SELF, TENANT, access, principal
from fs_plugins.recording import app
from fs_plugins.recording.kinds import MODES

bp = APIBlueprint("recordings", __name__, url_prefix="/api/v1", tag="Call recording")


class RecordingOut(Schema):
    id = Integer(required=True)
    call_id = String(required=True, metadata={"description": "the call-log entries' call_id"})
    started = UtcDateTime(required=True)
    size = Integer(required=True, metadata={"description": "bytes"})
    parties = List(String(), required=True, metadata={"description": "the extensions whose call log holds the call"})


class RecordingList(Schema):
    items = List(Nested(RecordingOut), required=True)


class RecordingsQuery(Schema):
    user = String(load_default="", metadata={"description": "only the calls in this user's log (an extension)"})
    limit = Integer(load_default=100, validate=Range(1, 1000))


class OptionsOut(Schema):
    announce = Boolean(required=True, metadata={"description": "\"this call may be recorded\" before a recorded call"})
    retention_days = Integer(required=True, metadata={"description": "recordings older than this are deleted"})


class OptionsPatch(Schema):
    announce = Boolean(metadata={"example": True})
    retention_days = Integer(metadata={"example": 30})


class PolicyOut(Schema):
    user = String(required=True, metadata={"description": "the extension; \"\" for a group's policy"})
    group = String(required=True, metadata={"description": "the call group's name; \"\" for a user's"})
    mode = String(required=True)


class PolicyList(Schema):
    items = List(Nested(PolicyOut), required=True)


class PolicyIn(Schema):
    mode = String(required=True, validate=OneOf(MODES), metadata={
        "description": "never, inbound, outbound, all or on_demand (*2 during the call); a group: never, "
                       "inbound or on_demand", "example": "all"})


def _items(views) -> dict:
    return {"items": [asdict(view) for view in views]}


def _download(domain: str, recording: str):
    view, path = app.recording_path(app_context(), domain, recording)
    return send_file(path, mimetype="audio/wav", as_attachment=True, download_name=f"{view.call_id}.wav",
                     max_age=0, conditional=False)


@bp.get("/tenants/<domain>/recordings")
@access(TENANT)
@bp.input(RecordingsQuery, location="query", arg_name="query")
@bp.output(RecordingList)
def list_recordings(domain, query):
    """The tenant's recordings, newest first (or those of one user's calls)."""
    return _items(app.list_recordings(app_context(), domain, user=query["user"], limit=query["limit"]))


@bp.get("/tenants/<domain>/recordings/<recording>")
@access(TENANT)
@bp.output(RecordingOut)
def get_recording(domain, recording):
    """One recording."""
    return asdict(app.get_recording(app_context(), domain, recording))


@bp.get("/tenants/<domain>/recordings/<recording>/file")
@access(TENANT)
@bp.output({}, content_type="audio/wav", description="The recording (WAV, one party a channel)")
def download_recording(domain, recording):
    """Download the recording."""
    return _download(domain, recording)


@bp.delete("/tenants/<domain>/recordings/<recording>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_recording(domain, recording):
    """Delete a recording, row and file."""
    app.remove_recording(app_context(), domain, recording)
    return ""


@bp.get("/tenants/<domain>/recording-options")
@access(TENANT)
@bp.output(OptionsOut)
def get_options(domain):
    """The announcement and how long recordings are kept."""
    return asdict(app.settings(app_context(), domain))


@bp.patch("/tenants/<domain>/recording-options")
@access(TENANT)
@bp.input(OptionsPatch, arg_name="body", example={"announce": True, "retention_days": 30})
@bp.output(OptionsOut)
def change_options(domain, body):
    """Change the announcement or the retention (1 to 3650 days)."""
    return asdict(app.set_settings(app_context(), domain, announce=body.get("announce"),
                                   retention_days=body.get("retention_days")).value)


@bp.get("/tenants/<domain>/recording-policies")
@access(TENANT)
@bp.output(PolicyList)
def list_policies(domain):
    """Every user and group that is recorded (anyone else: never)."""
    return _items(app.list_policies(app_context(), domain))


@bp.put("/tenants/<domain>/recording-policies/users/<extension>")
@access(TENANT)
@bp.input(PolicyIn, arg_name="body", example={"mode": "all"})
@bp.output(PolicyOut)
def set_user_policy(domain, extension, body):
    """A user's policy."""
    return asdict(app.set_policy(app_context(), domain, body["mode"], user=extension).value)


@bp.put("/tenants/<domain>/recording-policies/groups/<group>")
@access(TENANT)
@bp.input(PolicyIn, arg_name="body", example={"mode": "inbound"})
@bp.output(PolicyOut)
def set_group_policy(domain, group, body):
    """A call group's policy."""
    return asdict(app.set_policy(app_context(), domain, body["mode"], group=group).value)


@bp.get("/me/recordings")
@access(SELF)
@bp.output(RecordingList)
def list_my_recordings():
    """The recordings of the calls in the caller's own call log."""
    me = principal()
    return _items(app.list_recordings(app_context(), me.tenant_domain, user=me.extension))


@bp.get("/me/recordings/<recording>/file")
@access(SELF)
@bp.output({}, content_type="audio/wav", description="The recording (WAV)")
def download_my_recording(recording):
    """Download a recording of one of the caller's calls."""
    me = principal()
    return _download(me.tenant_domain, recording)
