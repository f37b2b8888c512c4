"""The customer's feature codes (what users dial from their phones: *78, *72 number …) and pickup
groups (whose ringing calls each user takes with *8), through fs_plugins.featurecodes.app."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.featurecodes import app
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.i18n import page_text
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_featurecodes", __name__)

# What each feature does, as the page says it (kinds.FEATURES holds the English of the CLI, shown only for a
# feature this table does not name yet; tests/test_portal_featurecodes.py fails when one is missing).
LABELS = {
    "forward_always_on": _l("Forward every call to the number dialled after the code"),
    "forward_always_off": _l("Stop forwarding every call"),
    "forward_no_answer_on": _l("Forward unanswered calls to the number dialled after the code"),
    "forward_no_answer_off": _l("Stop forwarding unanswered calls"),
    "forward_busy_on": _l("Forward calls while busy to the number dialled after the code"),
    "forward_busy_off": _l("Stop forwarding calls while busy"),
    "dnd_on": _l("Do not disturb on"),
    "dnd_off": _l("Do not disturb off"),
    "dnd_toggle": _l("Do not disturb on or off"),
    "voicemail": _l("Your own voicemail box"),
    "voicemail_any": _l("Any voicemail box of the customer"),
    "queue_login": _l("Take the calls of your call groups again"),
    "queue_logout": _l("Stop taking the calls of your call groups"),
    "pickup_group": _l("Answer a call ringing a colleague of your pickup group"),
    "pickup_direct": _l("Answer the call ringing the extension dialled after the code"),
    "intercom": _l("Talk through the speaker of the extension dialled after the code"),
    "paging": _l("Talk through the speakers of the call group whose short number is dialled after the code"),
}
FOLLOWED_BY = {"number": _l("number"), "extension": _l("extension")}


def _page(domain: str, outcome: Outcome | None = None, form: str = ""):
    ctx = app_context()
    return page("admin/featurecodes.html", outcome=outcome, form=form, domain=domain,
                codes=app.list_codes(ctx, domain), pickup=app.list_pickup(ctx, domain), labels=page_text(LABELS),
                followed_by=page_text(FOLLOWED_BY))


@bp.get("/t/<domain>/feature-codes")
@area(ADMIN)
def feature_codes(domain: str):
    admin_tenant(domain, "change the feature codes")
    return _page(domain)


@bp.post("/t/<domain>/feature-codes/<feature>")
@area(ADMIN)
def change_code(domain: str, feature: str):
    admin_tenant(domain, "change the feature codes")
    if request.form.get("action") == "reset":
        outcome = attempt(lambda: app.reset_code(app_context(), domain, feature),
                          _("%(feature)s has its default code again.", feature=feature))
    else:
        outcome = attempt(lambda: app.set_code(app_context(), domain, feature, request.form.get("code", "")),
                          _("%(feature)s changed.", feature=feature))
    return _page(domain, outcome, feature)


@bp.post("/t/<domain>/pickup/<extension>")
@area(ADMIN)
def change_pickup(domain: str, extension: str):
    admin_tenant(domain, "change pickup groups")
    outcome = attempt(lambda: app.set_pickup_group(app_context(), domain, extension, request.form.get("group", "")),
                      _("Pickup group of %(extension)s saved.", extension=extension))
    return _page(domain, outcome, f"pickup-{extension}")
