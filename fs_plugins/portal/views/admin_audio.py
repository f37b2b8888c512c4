"""The customer's audio library: listen, upload, delete, and the seed's "Grabación de voz": give the
message a name and a phone, Centralita calls it and the recording confirmed there (mod_voicemail's own
instructions, key 3 to keep) joins the library. Everything is fs_plugins.audio's (library, phone)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, g, request, send_file
from flask_babel import gettext as _

from fs_plugins import audit
from fs_plugins.audio import library, phone
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import database
from fs_plugins.portal.context import admin_tenant
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_audio", __name__)


def _library(domain: str, owner, outcome: Outcome | None = None, form: str = "", values: dict | None = None):
    return page("admin/audio.html", outcome=outcome, form=form, domain=domain, files=library.list_audio(owner),
                values=values or {})


@bp.get("/t/<domain>/audio")
@area(ADMIN)
def audio(domain: str):
    return _library(domain, admin_tenant(domain, "manage the audio library"))


@bp.get("/t/<domain>/audio/<int:audio_id>.wav")
@area(ADMIN)
def listen(domain: str, audio_id: int):
    row = library.get_audio(admin_tenant(domain, "manage the audio library"), str(audio_id))
    if not Path(row.path).is_file():
        raise NotFound("audio", "the file is not on this server")
    return send_file(row.path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.post("/t/<domain>/audio")
@area(ADMIN)
def upload(domain: str):
    owner = admin_tenant(domain, "manage the audio library")
    config = current_app.config["CENTRALITA"]
    name, sent = request.form.get("name", ""), request.files.get("file")

    def store():
        if sent is None or not sent.filename:
            raise InvalidInput("file", _("choose an audio file"))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            sent.save(path)
            with database.atomic():
                row = library.upload(config, owner, name, path)
                audit.record(g.principal, "audio.create", f"audio {row.name}", owner, {"source": "upload"})
        return row

    outcome = attempt(store, lambda row: _("%(name)s added to the library (%(seconds)s s).", name=row.name,
                                           seconds=round(row.duration_ms / 1000, 1)))
    return _library(domain, owner, outcome, "upload", {"name": name} if not outcome.ok else None)


@bp.post("/t/<domain>/audio/record")
@area(ADMIN)
def record(domain: str):
    """The "Grabación de voz" dialog: the request lasts as long as the call (a few minutes at most)."""
    owner = admin_tenant(domain, "manage the audio library")
    config = current_app.config["CENTRALITA"]
    values = {"name": request.form.get("name", "").strip(), "call": request.form.get("call", "").strip()}

    def call():
        name = library.check_name(values["name"])
        library.check_unique(owner, name)
        raw = phone.record_by_phone(config, owner, values["call"])
        with database.atomic():
            row = library.store_recording(config, owner, name, raw)
            audit.record(g.principal, "audio.create", f"audio {row.name}", owner, {"source": "phone"})
        return row

    outcome = attempt(call, lambda row: _("%(name)s recorded by phone and added to the library.", name=row.name))
    outcome.errors = {("call" if key == "--call" else key): message for key, message in outcome.errors.items()}
    return _library(domain, owner, outcome, "record", values if not outcome.ok else None)


@bp.post("/t/<domain>/audio/<int:audio_id>/delete")
@area(ADMIN)
def delete(domain: str, audio_id: int):
    owner = admin_tenant(domain, "manage the audio library")
    row = library.get_audio(owner, str(audio_id))

    def remove():
        library.remove_audio(row)  # AudioInUse names what still plays it
        audit.record(g.principal, "audio.delete", f"audio {row.name}", owner)
        return row

    return _library(domain, owner, attempt(remove, _("%(name)s deleted.", name=row.name)))
