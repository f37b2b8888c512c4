"""Voicemail boxes: a user's own (`/me/voicemail`) and the customer's general box for its
administrators (`/t/<domain>/voicemail`). The messages (listen in the browser, delete) are
mod_voicemail's, through fs_plugins.voicemail.inbox; the settings (PIN, e-mail) voicemail.app's.
`user` None is the general box everywhere below, as in those modules."""
from __future__ import annotations

from flask import Blueprint, request, send_file
from flask_babel import gettext as _

from fs_plugins.errors import NotFound
from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import ADMIN, SELF, area
from fs_plugins.portal.pages import attempt, page
from fs_plugins.voicemail import app as voicemail
from fs_plugins.voicemail import inbox
from fs_plugins.voicemail.messages import VoicemailUnavailable

bp = Blueprint("me_voicemail", __name__)


def _show(tenant: str, user: str | None, base: str, outcome=None, form=""):
    ctx = app_context()
    try:
        messages, unavailable = inbox.list_messages(ctx, tenant, user), False
    except VoicemailUnavailable:
        messages, unavailable = [], True
    try:
        box = voicemail.get_box(ctx, tenant, user)
    except NotFound:
        box = None
    return page("me/voicemail.html", outcome=outcome, form=form, messages=messages, unavailable=unavailable, box=box,
                base=base, box_title=None if user else _("General voicemail"))


def _listen(tenant: str, user: str | None, uuid: str):
    try:
        path = inbox.recording(app_context(), tenant, user, uuid)
    except VoicemailUnavailable:
        raise NotFound("message", "voicemail is not reachable") from None
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


def _delete(tenant: str, user: str | None, uuid: str, base: str):
    try:
        outcome = attempt(lambda: inbox.delete_message(app_context(), tenant, user, uuid),
                          lambda done: _("Message from %(caller)s deleted.",
                                         caller=done.value.caller_name or done.value.caller_number))
    except VoicemailUnavailable:
        outcome = None  # nothing deleted; the page shown says voicemail cannot be reached now
    return _show(tenant, user, base, outcome, "messages")


def _settings(tenant: str, user: str | None, base: str):
    pin = request.form.get("pin", "")

    def change():
        return voicemail.set_box(app_context(), tenant, user, pin=pin or None,
                                 email=request.form.get("email", "").strip(),
                                 attach=request.form.get("attach") == "yes")

    notice = _("Voicemail settings saved; the new PIN works from now on.") if pin else _("Voicemail settings saved.")
    return _show(tenant, user, base, attempt(change, notice), "settings")


@bp.get("/me/voicemail")
@area(SELF)
def messages():
    return _show(*me(), "/me/voicemail")


@bp.get("/me/voicemail/<uuid>.wav")
@area(SELF)
def listen(uuid: str):
    return _listen(*me(), uuid)


@bp.post("/me/voicemail/<uuid>/delete")
@area(SELF)
def delete(uuid: str):
    return _delete(*me(), uuid, "/me/voicemail")


@bp.post("/me/voicemail/settings")
@area(SELF)
def settings():
    return _settings(*me(), "/me/voicemail")


@bp.get("/t/<domain>/voicemail")
@area(ADMIN)
def general(domain: str):
    return _show(domain, None, f"/t/{domain}/voicemail")


@bp.get("/t/<domain>/voicemail/<uuid>.wav")
@area(ADMIN)
def general_listen(domain: str, uuid: str):
    return _listen(domain, None, uuid)


@bp.post("/t/<domain>/voicemail/<uuid>/delete")
@area(ADMIN)
def general_delete(domain: str, uuid: str):
    return _delete(domain, None, uuid, f"/t/{domain}/voicemail")


@bp.post("/t/<domain>/voicemail/settings")
@area(ADMIN)
def general_settings(domain: str):
    return _settings(domain, None, f"/t/{domain}/voicemail")
