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


@bp.post("/t/<domain>/audio")
@area(ADMIN)
def upload(domain: str):
    admin_tenant(domain, "manage the audio library")
    name, sent = request.form.get("name", ""), request.files.get("file")

    def store():
        if sent is None or not sent.filename:
            raise InvalidInput("file", _("choose an audio file"))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            sent.save(path)
            return app.upload_audio(app_context(), domain, name, path).value

    outcome = attempt(store, lambda audio: _("%(name)s added to the library (%(seconds)s s).", name=audio.name,
                                             seconds=round(audio.duration_ms / 1000, 1)))
    return _library(domain, outcome, "upload", {"name": name} if not outcome.ok else None)


@bp.post("/t/<domain>/audio/record")
@area(ADMIN)
def record(domain: str):
    """The "Grabación de voz" dialog: the request lasts as long as the call (a few minutes at most)."""
    admin_tenant(domain, "manage the audio library")
    values = {"name": request.form.get("name", "").strip(), "call": request.form.get("call", "").strip()}

    def call():
        return app.record_audio(app_context(), domain, values["name"], values["call"]).value

    outcome = attempt(call, lambda audio: _("%(name)s recorded by phone and added to the library.", name=audio.name))
    return _library(domain, outcome, "record", values if not outcome.ok else None)


@bp.post("/t/<domain>/audio/<int:audio_id>/delete")
@area(ADMIN)
def delete(domain: str, audio_id: int):
    admin_tenant(domain, "manage the audio library")
    audio = app.get_audio(app_context(), domain, str(audio_id))

    def remove():  # AudioInUse names what still plays it
        return app.remove_audio(app_context(), domain, str(audio.id)).value

    return _library(domain, attempt(remove, _("%(name)s deleted.", name=audio.name)))
