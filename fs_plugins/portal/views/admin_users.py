"""A customer's users and numbers, for its administrators (and the operator): create a user with a
generated SIP password shown once, edit, reset the password, disable or enable; route each number.
Every change is fs_plugins.core.app's; the tenant in the URL is checked there (404 out of scope)."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from fs_plugins.core import app as core
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin", __name__)
USERS_PAGE = 100


def _users_page(domain: str, outcome: Outcome | None = None, form: str = "", values: dict | None = None,
                secret: tuple[str, str] | None = None):
    after, search = request.args.get("after") or None, request.args.get("q", "").strip()
    # One page more than shown tells whether there is a next one; NotFound (404) outside the caller's scope.
    users = core.list_users(app_context(), domain, after=after, limit=USERS_PAGE + 1, search=search or None)
    following = users[USERS_PAGE - 1].extension if len(users) > USERS_PAGE else None
    return page("admin/users.html", outcome=outcome, form=form, users=users[:USERS_PAGE], domain=domain,
                values=values or {}, secret=secret, q=search, following=following, paged=bool(after))


@bp.get("/t/<domain>/users")
@area(ADMIN)
def users(domain: str):
    return _users_page(domain)


@bp.post("/t/<domain>/users")
@area(ADMIN)
def add_user(domain: str):
    values = {name: request.form.get(name, "").strip() for name in ("extension", "name", "email")}
    outcome = attempt(lambda: core.add_user(app_context(), domain, values["extension"], values["name"],
                                            values["email"] or None),
                      lambda done: _("User %(extension)s (%(name)s) created.", extension=done.value.user.extension,
                                     name=done.value.user.name))
    if not outcome.ok:
        return _users_page(domain, outcome, "add", values)
    created = outcome.value.value
    return _users_page(domain, outcome, secret=(created.user.extension, created.sip_password))


@bp.post("/t/<domain>/users/<extension>/password")
@area(ADMIN)
def reset_password(domain: str, extension: str):
    outcome = attempt(lambda: core.reset_sip_password(app_context(), domain, extension),
                      _("New SIP password for %(extension)s. Set it on the phone now: it is shown only this once.",
                        extension=extension))
    secret = (extension, outcome.value.value.sip_password) if outcome.ok else None
    return _users_page(domain, outcome, secret=secret)


@bp.post("/t/<domain>/users/<extension>/enabled")
@area(ADMIN)
def set_enabled(domain: str, extension: str):
    enabled = request.form.get("enabled") == "yes"
    outcome = attempt(lambda: core.set_user(app_context(), domain, extension, enabled=enabled),
                      _("User %(extension)s enabled.", extension=extension) if enabled
                      else _("User %(extension)s disabled: its phones can no longer register.", extension=extension))
    return _users_page(domain, outcome)


@bp.route("/t/<domain>/users/<extension>", methods=["GET", "POST"])
@area(ADMIN)
def edit_user(domain: str, extension: str):
    current = core.get_user(app_context(), domain, extension)
    if request.method == "GET":
        return page("admin/user.html", user=current, domain=domain, values={"name": current.name,
                                                                          "email": current.email or ""})
    values = {name: request.form.get(name, "").strip() for name in ("name", "email")}
    outcome = attempt(lambda: core.set_user(app_context(), domain, extension, name=values["name"],
                                            email=values["email"]),
                      _("User %(extension)s saved.", extension=extension))
    if not outcome.ok:
        return page("admin/user.html", outcome=outcome, user=current, domain=domain, values=values)
    return _users_page(domain, outcome)


@bp.get("/t/<domain>/numbers")
@area(ADMIN)
def numbers(domain: str):
    return _numbers_page(domain)


def _numbers_page(domain: str, outcome: Outcome | None = None, form: str = ""):
    ctx = app_context()
    return page("admin/numbers.html", outcome=outcome, form=form, domain=domain,
                numbers=core.list_numbers(ctx, domain), short_numbers=core.list_short_numbers(ctx, domain))


@bp.post("/t/<domain>/numbers/<number>")
@area(ADMIN)
def route_number(domain: str, number: str):
    destination = request.form.get("destination", "").strip()
    outcome = attempt(lambda: core.route_number(app_context(), domain, number, destination),
                      lambda done: _("%(number)s now goes to %(label)s.", number=done.value.number,
                                     label=done.value.label))
    return _numbers_page(domain, outcome, number)
