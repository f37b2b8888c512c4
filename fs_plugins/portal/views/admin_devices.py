"""The customer's provisioned desk phones (`/t/<domain>/devices`): add one by MAC for a user (its
provisioning secret is shown once, on the page that added it), change its keys, brand or user (another
user: a new secret, shown once the same way), list, remove; through
fs_plugins.provisioning.app."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.provisioning import app
from fs_plugins.provisioning.kinds import VENDORS

bp = Blueprint("admin_devices", __name__)
VENDOR_NAMES = {"yealink": "Yealink", "snom": "Snom", "grandstream": "Grandstream", "cisco": "Cisco SPA/MPP",
                "fanvil": "Fanvil (X)"}


ADD_FORM = "add"


def _page(domain: str, outcome: Outcome | None = None, added=None, posted: str = ""):
    """`posted`: the form a refused post came from (ADD_FORM, or the MAC of the phone whose keys
    form it was): only that form shows the errors and what was typed; the others stay as stored."""
    refused = bool(outcome and outcome.errors)
    return page("admin/devices.html", outcome=outcome, domain=domain, devices=app.list_devices(app_context(), domain),
                vendors=[(vendor, VENDOR_NAMES[vendor]) for vendor in VENDORS], added=added,
                posted=posted if refused else "", form=request.form if refused else {}, add_form=ADD_FORM)


@bp.get("/t/<domain>/devices")
@area(ADMIN)
def devices(domain: str):
    admin_tenant(domain, "list phones")
    return _page(domain)


@bp.post("/t/<domain>/devices")
@area(ADMIN)
def add(domain: str):
    admin_tenant(domain, "add phones")
    form = request.form
    outcome = attempt(lambda: app.add_device(app_context(), domain, form.get("mac", ""), form.get("vendor", ""),
                                             form.get("user", ""), _extensions(form), form.get("general_mwi") == "yes"),
                      lambda done: _("Phone %(mac)s added for user %(user)s.", mac=done.value.device.mac,
                                     user=done.value.device.user))
    return _page(domain, outcome, added=outcome.value.value if outcome.value else None, posted=ADD_FORM)


@bp.post("/t/<domain>/devices/<mac>/keys")
@area(ADMIN)
def keys(domain: str, mac: str):
    admin_tenant(domain, "change phones")
    form = request.form
    outcome = attempt(lambda: app.change_device(app_context(), domain, mac, _extensions(form),
                                                form.get("general_mwi") == "yes", user=form.get("user") or None,
                                                vendor=form.get("vendor") or None),
                      _changed)
    # Given to another user, the phone has a new password: shown once, as when it was added.
    given = outcome.value.value if outcome.value and outcome.value.value.secret else None
    return _page(domain, outcome, added=given, posted=mac)


def _changed(done) -> str:
    device = done.value.device
    if done.value.secret:
        return _("Phone %(mac)s now belongs to user %(user)s: give it the new password below; the previous "
                 "user has a new SIP password.", mac=device.mac, user=device.user)
    return _("Phone %(mac)s: its keys change at its next fetch.", mac=device.mac)


def _extensions(form) -> tuple[str, ...]:
    return tuple(item for item in form.get("blf", "").replace(" ", ",").split(",") if item)


@bp.post("/t/<domain>/devices/<mac>/delete")
@area(ADMIN)
def remove(domain: str, mac: str):
    admin_tenant(domain, "remove phones")
    outcome = attempt(lambda: app.remove_device(app_context(), domain, mac),
                      lambda done: _("Phone %(mac)s removed; user %(user)s has a new SIP password.",
                                     mac=done.value.mac, user=done.value.user))
    return _page(domain, outcome)
