"""Call recordings in the portal: a user's own (`/me/recordings`: the calls in their call log) and
the customer's for its administrators (`/t/<domain>/recordings`, with delete, the options
(announcement, how long recordings are kept) and who is recorded). Listen in the browser or
download; who sees which recording is fs_plugins.recording.app's."""
from __future__ import annotations

from flask import Blueprint, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import ADMIN, SELF, area
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.recording import app as recording
from fs_plugins.recording.kinds import ALL, GROUP_MODES, INBOUND, MODES, NEVER, ON_DEMAND, OUTBOUND

bp = Blueprint("recordings", __name__)

MODE_LABELS = {
    NEVER: _l("Never"),
    INBOUND: _l("Calls received"),
    OUTBOUND: _l("Calls made"),
    ALL: _l("Every call"),
    ON_DEMAND: _l("Only when the user presses *2 during the call"),
}


def _show(tenant: str, user: str, base: str, outcome=None, form: str = "", values=None):
    ctx = app_context()
    listed = recording.list_recordings(ctx, tenant, user=user)
    admin = not user
    return page("me/recordings.html", outcome=outcome, recordings=listed, base=base, admin=admin, form=form,
                values=values or {}, options=recording.settings(ctx, tenant) if admin else None,
                policies=recording.list_policies(ctx, tenant) if admin else [],
                user_modes=[(mode, MODE_LABELS[mode]) for mode in MODES],
                group_modes=[(mode, MODE_LABELS[mode]) for mode in GROUP_MODES], mode_labels=MODE_LABELS)


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


@bp.post("/t/<domain>/recordings/options")
@area(ADMIN)
def change_options(domain: str):
    days = request.form.get("retention_days", "").strip()
    # A number the application checks (1 to 3650); text that is not one (nor 10 digits or more, which
    # int() may refuse past 4300) is refused as the same field.
    retention = int(days) if days.isascii() and days.isdecimal() and len(days) < 10 else days
    outcome = attempt(lambda: recording.set_settings(app_context(), domain, announce="announce" in request.form,
                                                     retention_days=retention),
                      _("Recording options saved."))
    return _show(domain, "", f"/t/{domain}/recordings", outcome, "options", request.form)


@bp.post("/t/<domain>/recordings/policies/<kind>")
@area(ADMIN)
def change_policy(domain: str, kind: str):
    """`kind` is "user" (the form names an extension) or "group" (a call group's name)."""
    if kind not in ("user", "group"):
        return _show(domain, "", f"/t/{domain}/recordings")[0], 404
    who = request.form.get(kind, "").strip()
    mode = request.form.get("mode", "")
    if not who:  # the application would name its "user" field for either form
        return _show(domain, "", f"/t/{domain}/recordings",
                     Outcome.refused(InvalidInput(kind, "name either a user or a call group")), kind, request.form)
    outcome = attempt(lambda: recording.set_policy(app_context(), domain, mode, **{kind: who}),
                      lambda done: _("%(who)s: %(mode)s.", who=who, mode=MODE_LABELS[done.value.mode]))
    return _show(domain, "", f"/t/{domain}/recordings", outcome, kind, request.form)
