"""A user's call handling: forwards (immediate, no answer after N seconds, busy, not registered),
do not disturb with its mode, and simultaneous ring. Every change is callhandling.app's. The page
ends with the feature codes that change the same settings from the phone (featurecodes.app)."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.application import Changed
from fs_plugins.callhandling import app as callhandling
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.forms import destination, whole_number
from fs_plugins.portal.guard import SELF, area
from fs_plugins.portal.i18n import page_text
from fs_plugins.portal.pages import attempt, page
from fs_plugins.portal.views.admin_featurecodes import FOLLOWED_BY, LABELS

bp = Blueprint("me", __name__)

WHEN = (  # callhandling.app.FORWARDS' keys, as a person reads them
    ("always", _l("Always (immediate)")),
    ("no-answer", _l("When I do not answer")),
    ("busy", _l("When I am busy")),
    ("not-registered", _l("When my phone is not connected")),
)
FORWARD_KINDS = (
    ("voicemail", _l("My voicemail")),
    ("user", _l("Another extension")),
    ("number", _l("An external number")),
    ("group", _l("A call group")),
    ("ivr", _l("An IVR menu")),
)
RING_KINDS = (("number", _l("An external number")), ("user", _l("Another extension")))
DND_MODES = (  # models.callhandling.DND_MODES
    ("busy", _l("Callers hear busy")),
    ("forward-busy", _l("Calls follow my busy forward")),
    ("voicemail", _l("Calls go to my voicemail")),
)


def _show(outcome=None, form=""):
    tenant, extension = me()
    done = outcome.value if outcome is not None and outcome.ok else None
    # a change answers with the settings as they now are (read after its commit): the page shows
    # those, not what a second read of the same rows would give
    settings = done.value if isinstance(done, Changed) else callhandling.show(app_context(), tenant, extension)
    codes = [code for code in featurecodes.list_codes(app_context(), tenant) if code.code]
    return page("me/forwards.html", outcome=outcome, form=form, settings=settings, when_options=page_text(WHEN),
                forward_kinds=page_text(FORWARD_KINDS), ring_kinds=page_text(RING_KINDS),
                dnd_modes=page_text(DND_MODES), codes=codes, code_labels=page_text(LABELS),
                followed_by=page_text(FOLLOWED_BY))


@bp.get("/me/forwards")
@area(SELF)
def forwards():
    return _show()


@bp.post("/me/forwards/<when>")
@area(SELF)
def set_forward(when: str):
    tenant, extension = me()
    labels = dict(WHEN)
    if request.form.get("action") == "clear":
        outcome = attempt(lambda: callhandling.clear_forward(app_context(), tenant, extension, when),
                          _("Forward removed: %(when)s.", when=labels.get(when, when)))
        return _show(outcome, when)

    def change():
        seconds = whole_number(request.form.get("seconds"), "seconds") if when == "no-answer" else None
        to = destination(request.form.get("kind"), request.form.get("target"), extension)
        return callhandling.set_forward(app_context(), tenant, extension, when, to, seconds)

    outcome = attempt(change, lambda done: _("Forward saved: %(when)s → %(to)s.", when=labels.get(when, when),
                                             to=_target_label(done.value, when)))
    return _show(outcome, when)


def _target_label(settings, when: str) -> str:
    found = getattr(settings, callhandling.FORWARDS[when])
    return found.label if found else ""


@bp.post("/me/dnd")
@area(SELF)
def set_dnd():
    tenant, extension = me()
    on = request.form.get("on") == "yes"
    outcome = attempt(lambda: callhandling.set_dnd(app_context(), tenant, extension, on, request.form.get("mode")),
                      _("Do not disturb is on.") if on else _("Do not disturb is off."))
    return _show(outcome, "dnd")


@bp.post("/me/simring")
@area(SELF)
def add_ring():
    tenant, extension = me()

    def change():
        to = destination(request.form.get("kind"), request.form.get("target"), extension)
        delay = whole_number(request.form.get("delay") or "0", "delay")
        return callhandling.add_ring(app_context(), tenant, extension, to, delay, request.form.get("confirm") == "yes")

    outcome = attempt(change, _("Added to the simultaneous ring."))
    return _show(outcome, "simring")


@bp.post("/me/simring/remove")
@area(SELF)
def remove_ring():
    tenant, extension = me()
    outcome = attempt(lambda: callhandling.remove_ring(app_context(), tenant, extension, request.form.get("to", "")),
                      _("Removed from the simultaneous ring."))
    return _show(outcome, "simring")
