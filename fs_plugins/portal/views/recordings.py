"""Call recordings in the portal: a user's own (`/me/recordings`: the calls in their call log) and
the customer's for its administrators (`/t/<domain>/recordings`, with delete). Listen in the
browser or download; who sees which recording is fs_plugins.recording.app's."""
from __future__ import annotations

from flask import Blueprint, send_file
from flask_babel import gettext as _

from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import ADMIN, SELF, area
from fs_plugins.portal.pages import attempt, page
from fs_plugins.recording import app as recording

bp = Blueprint("recordings", __name__)


def _show(tenant: str, user: str, base: str, outcome=None):
    listed = recording.list_recordings(app_context(), tenant, user=user)
    return page("me/recordings.html", outcome=outcome, recordings=listed, base=base, admin=not user)


def _file(tenant: str, recording_id: int):
    view, path = recording.recording_path(app_context(), tenant, recording_id)
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0, download_name=f"{view.call_id}.wav")


@bp.get("/me/recordings")
@area(SELF)
def mine():
    tenant, extension = me()
    return _show(tenant, extension, "/me/recordings")


@bp.get("/me/recordings/<int:recording_id>.wav")
@area(SELF)
def my_file(recording_id: int):
    return _file(me()[0], recording_id)


@bp.get("/t/<domain>/recordings")
@area(ADMIN)
def tenant_recordings(domain: str):
    return _show(domain, "", f"/t/{domain}/recordings")


@bp.get("/t/<domain>/recordings/<int:recording_id>.wav")
@area(ADMIN)
def tenant_file(domain: str, recording_id: int):
    return _file(domain, recording_id)


@bp.post("/t/<domain>/recordings/<int:recording_id>/delete")
@area(ADMIN)
def delete(domain: str, recording_id: int):
    outcome = attempt(lambda: recording.remove_recording(app_context(), domain, recording_id),
                      lambda done: _("Recording of the call of %(when)s deleted.",
                                     when=done.value.started.strftime("%Y-%m-%d %H:%M")))
    return _show(domain, "", f"/t/{domain}/recordings", outcome)
