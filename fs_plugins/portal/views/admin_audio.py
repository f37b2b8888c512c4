"""The customer's audio library: listen, upload, delete, and the seed's "Grabación de voz": give the
message a name and a phone, Centralita calls it and the recording confirmed there (mod_voicemail's own
instructions, key 3 to keep) joins the library. Everything goes through fs_plugins.audio.app."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, request, send_file
from flask_babel import gettext as _

from fs_plugins.audio import app
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_audio", __name__)


def _library(domain: str, outcome: Outcome | None = None, form: str = "", values: dict | None = None):
    return page("admin/audio.html", outcome=outcome, form=form, domain=domain,
                files=app.list_audio(app_context(), domain), values=values or {})


@bp.get("/t/<domain>/audio")
@area(ADMIN)
def audio(domain: str):
    admin_tenant(domain, "manage the audio library")
    return _library(domain)


@bp.get("/t/<domain>/audio/<int:audio_id>.wav")
@area(ADMIN)
def listen(domain: str, audio_id: int):
    admin_tenant(domain, "manage the audio library")
    path = app.audio_path(app_context(), domain, str(audio_id))
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


def add_to_library(domain: str, how: str) -> app.AudioView:
    """The posted message stored in the library: an uploaded file (`how` upload) or one recorded by
    phone (`how` record: the request lasts as long as the call, a few minutes at most). The IVR
    editor's welcome tab posts the same forms (macros/audio.html)."""
    form = request.form
    name = form.get("name", "")
    if how == "record":
        return app.record_audio(app_context(), domain, name.strip(), form.get("call", "").strip()).value
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise InvalidInput("file", _("choose an audio file"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        sent.save(path)
        return app.upload_audio(app_context(), domain, name, path).value


def how_posted() -> str:
    return "record" if request.form.get("how") == "record" else "upload"


def added(audio: app.AudioView, how: str) -> str:
    if how == "record":
        return _("%(name)s recorded by phone and added to the library.", name=audio.name)
    return _("%(name)s added to the library (%(seconds)s s).", name=audio.name, seconds=round(audio.duration_ms / 1000, 1))


def posted_values() -> dict:
    return {"name": request.form.get("name", "").strip(), "call": request.form.get("call", "").strip()}


@bp.post("/t/<domain>/audio")
@bp.post("/t/<domain>/audio/record")
@area(ADMIN)
def add(domain: str):
    """Upload, or the "Grabación de voz" dialog."""
    admin_tenant(domain, "manage the audio library")
    how = "record" if request.path.endswith("/record") else how_posted()
    outcome = attempt(lambda: add_to_library(domain, how), lambda audio: added(audio, how))
    return _library(domain, outcome, how, posted_values() if not outcome.ok else None)


@bp.post("/t/<domain>/audio/<int:audio_id>/delete")
@area(ADMIN)
def delete(domain: str, audio_id: int):
    admin_tenant(domain, "manage the audio library")
    audio = app.get_audio(app_context(), domain, str(audio_id))

    def remove():  # AudioInUse names what still plays it
        return app.remove_audio(app_context(), domain, str(audio.id)).value

    return _library(domain, attempt(remove, _("%(name)s deleted.", name=audio.name)))
