"""The signed-in person's own login: changing the password."""
from __future__ import annotations

from flask import Blueprint, g, make_response, request
from flask_babel import gettext as _

from fs_plugins import audit
from fs_plugins.access import logins, secrets, sessions
from fs_plugins.access.logins import AuthFailed, Throttled
from fs_plugins.errors import InvalidInput
from fs_plugins.models import database
from fs_plugins.models.access import Session
from fs_plugins.portal.guard import SIGNED_IN, area
from fs_plugins.portal.pages import Outcome, page
from fs_plugins.portal.views.auth import start_session

bp = Blueprint("account", __name__)


def current_login():
    token = request.cookies.get(sessions.COOKIE, "")
    return Session.get(Session.token_hash == secrets.digest(token)).login


@bp.route("/account/password", methods=["GET", "POST"])
@area(SIGNED_IN)
def password():
    if request.method == "GET":
        return page("account/password.html")
    row = current_login()
    outcome = _change(row)
    if not outcome.ok:
        return page("account/password.html", outcome=outcome)
    # The change ended every session of the login, this one too: carry on in a new one.
    body, status = page("account/password.html", outcome=outcome)
    return start_session(make_response(body, status), row)


def _change(row) -> Outcome:
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    try:
        logins.authenticate(row.username, request.form.get("current_password", ""), request.remote_addr or "")
    except AuthFailed:
        return Outcome(errors={"current_password": _("This is not your current password.")})
    except Throttled as exc:
        return Outcome(errors={"current_password": _("Too many failed attempts. Try again in %(minutes)s minutes.",
                                                     minutes=max(1, -(-exc.retry_after // 60)))})
    if new != again:
        return Outcome(errors={"new_password_again": _("The two passwords are not the same.")})
    try:
        with database.atomic():
            logins.set_login(row, password=new)
            audit.record(g.principal, "login.update", f"login {row.username}", g.get("tenant_row"), {"password": True})
    except InvalidInput as exc:
        return Outcome(errors={"new_password": exc.message})
    return Outcome(row, _("Your password has been changed. Your other sessions have been signed out."))
