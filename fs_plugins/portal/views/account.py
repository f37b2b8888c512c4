"""The signed-in person's own login: changing the password."""
from __future__ import annotations

from flask import Blueprint, make_response, request
from flask_babel import gettext as _

from fs_plugins.access import account
from fs_plugins.access.logins import Throttled
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import SIGNED_IN, area
from fs_plugins.portal.pages import Outcome, page
from fs_plugins.portal.views.auth import with_session

bp = Blueprint("account", __name__)


@bp.route("/account/password", methods=["GET", "POST"])
@area(SIGNED_IN)
def password():
    if request.method == "GET":
        return page("account/password.html")
    outcome = _change()
    if not outcome.ok:
        return page("account/password.html", outcome=outcome)
    # The change ended every session of the login, this one too: carry on in the new one.
    body, status = page("account/password.html", outcome=outcome)
    return with_session(make_response(body, status), outcome.value)


def _change() -> Outcome:
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    if new != again:
        return Outcome(errors={"new_password_again": _("The two passwords are not the same.")})
    try:
        signed = account.change_password(app_context(), request.form.get("current_password", ""), new,
                                         request.headers.get("User-Agent", ""))
    except Throttled as exc:
        return Outcome(errors={"current_password": _("Too many failed attempts. Try again in %(minutes)s minutes.",
                                                     minutes=max(1, -(-exc.retry_after // 60)))})
    except InvalidInput as exc:
        if exc.field == "current_password":
            return Outcome(errors={"current_password": _("This is not your current password.")})
        return Outcome.refused(exc)
    return Outcome(signed, _("Your password has been changed. Your other sessions have been signed out."))
