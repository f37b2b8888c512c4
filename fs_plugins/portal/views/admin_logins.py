"""A customer's logins, for its administrators (and the operator): who may sign in to the portal, as
one of the customer's users (their own space) or as an administrator; create one with its first
password, give a new password, disable or enable, delete. Every change is fs_plugins.access.app's,
audited there; a new password or disabling ends the person's sessions. A login of another customer
(or an operator's) is not found: 404, as every page outside the caller's scope."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from fs_plugins.access import app as access
from fs_plugins.access.principal import TENANT_ADMIN, USER
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_logins", __name__)
ROLES = (USER, TENANT_ADMIN)  # an operator's login is the operator's to create (centralita login add)


def _logins_page(domain: str, outcome: Outcome | None = None, form: str = "", values: dict | None = None):
    return page("admin/logins.html", outcome=outcome, form=form, domain=domain, values=values or {"role": USER},
                logins=access.list_logins(app_context(), domain), roles=ROLES)


@bp.get("/t/<domain>/logins")
@area(ADMIN)
def logins(domain: str):
    return _logins_page(domain)


@bp.post("/t/<domain>/logins")
@area(ADMIN)
def add_login(domain: str):
    values = {name: request.form.get(name, "").strip() for name in ("username", "role", "extension")}
    password = request.form.get("password", "")  # as typed: spaces are part of a password
    outcome = attempt(lambda: access.add_login(app_context(), values["username"], password, values["role"], domain,
                                               values["extension"] or None),
                      lambda done: _("Login %(username)s created: give the person their password.",
                                     username=done.value.username))
    return _logins_page(domain, outcome, "" if outcome.ok else "add", None if outcome.ok else values)


@bp.post("/t/<domain>/logins/<username>/password")
@area(ADMIN)
def set_password(domain: str, username: str):
    found = access.get_login(app_context(), username, domain)  # 404 when not this customer's
    outcome = attempt(lambda: access.set_login(app_context(), found.username, request.form.get("password", ""),
                                               tenant=domain),
                      _("New password for %(username)s: their open sessions have ended.", username=found.username))
    return _logins_page(domain, outcome, found.username)


@bp.post("/t/<domain>/logins/<username>/enabled")
@area(ADMIN)
def set_enabled(domain: str, username: str):
    found = access.get_login(app_context(), username, domain)
    enabled = request.form.get("enabled") == "yes"
    outcome = attempt(lambda: access.set_login(app_context(), found.username, enabled=enabled, tenant=domain),
                      _("Login %(username)s enabled.", username=found.username) if enabled
                      else _("Login %(username)s disabled: it can no longer sign in.", username=found.username))
    return _logins_page(domain, outcome, found.username)


@bp.post("/t/<domain>/logins/<username>/delete")
@area(ADMIN)
def remove_login(domain: str, username: str):
    found = access.get_login(app_context(), username, domain)
    outcome = attempt(lambda: access.remove_login(app_context(), found.username, domain),
                      _("Login %(username)s deleted.", username=found.username))
    return _logins_page(domain, outcome, found.username)
