"""A user's voicemail: the messages (listen in the browser, delete) and the box's settings (PIN,
e-mail). Messages are mod_voicemail's, through fs_plugins.voicemail.inbox; settings voicemail.app's."""
from __future__ import annotations

from flask import Blueprint, request, send_file
from flask_babel import gettext as _

from fs_plugins.errors import NotFound
from fs_plugins.voicemail import app as voicemail
from fs_plugins.voicemail import inbox
from fs_plugins.voicemail.messages import VoicemailUnavailable
from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import SELF, area
from fs_plugins.portal.pages import attempt, page

bp = Blueprint("me_voicemail", __name__)


def _show(outcome=None, form=""):
    tenant, extension = me()
    ctx = app_context()
    try:
        messages, unavailable = inbox.list_messages(ctx, tenant, extension), False
    except VoicemailUnavailable:
        messages, unavailable = [], True
    try:
        box = voicemail.get_box(ctx, tenant, extension)
    except NotFound:
        box = None
    return page("me/voicemail.html", outcome=outcome, form=form, messages=messages, unavailable=unavailable, box=box)


@bp.get("/me/voicemail")
@area(SELF)
def messages():
    return _show()


@bp.get("/me/voicemail/<uuid>.wav")
@area(SELF)
def listen(uuid: str):
    tenant, extension = me()
    try:
        path = inbox.recording(app_context(), tenant, extension, uuid)
    except VoicemailUnavailable:
        raise NotFound("message", "voicemail is not reachable") from None
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.post("/me/voicemail/<uuid>/delete")
@area(SELF)
def delete(uuid: str):
    tenant, extension = me()
    outcome = attempt(lambda: inbox.delete_message(app_context(), tenant, extension, uuid),
                      lambda done: _("Message from %(caller)s deleted.",
                                     caller=done.value.caller_name or done.value.caller_number))
    return _show(outcome, "messages")


@bp.post("/me/voicemail/settings")
@area(SELF)
def settings():
    tenant, extension = me()
    pin = request.form.get("pin", "")

    def change():
        return voicemail.set_box(app_context(), tenant, extension, pin=pin or None,
                                 email=request.form.get("email", "").strip(),
                                 attach=request.form.get("attach") == "yes")

    notice = _("Voicemail settings saved; the new PIN works from now on.") if pin else _("Voicemail settings saved.")
    return _show(attempt(change, notice), "settings")
