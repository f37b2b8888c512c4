"""Signing in and out, the language switch, and the forgotten-password e-mail with its reset link."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, redirect, request
from flask_babel import gettext as _

from fs_plugins.access import account, sessions
from fs_plugins.access.logins import AuthFailed, TenantSuspended, Throttled
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.portal import i18n, mail
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import PUBLIC, area
from fs_plugins.portal.pages import Outcome, page

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path of this site: never `//elsewhere` or `https://elsewhere` (no open redirect)."""
    target = target or "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def with_session(response, signed: account.SignedIn):
    """Put the new session's cookie on `response` (the REST API reads the same cookie)."""
    response.set_cookie(sessions.COOKIE, signed.session.token, max_age=int(sessions.LIFETIME.total_seconds()),
                        path="/", httponly=True, secure=request.is_secure, samesite="Lax")
    return response


@bp.route("/login", methods=["GET", "POST"])
@area(PUBLIC)
def login():
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.principal is not None:
            return redirect(target)
        return page("auth/login.html", target=target, username="", notice=_said(request.args.get("said", "")))
    username = request.form.get("username", "")
    try:
        signed = account.sign_in(app_context(), username, request.form.get("password", ""),
                                 request.headers.get("User-Agent", ""))
    except AuthFailed:
        return page("auth/login.html", 401, target=target, username=username,
                    errors={"password": _("Wrong username or password.")})
    except Throttled as exc:
        return page("auth/login.html", 429, target=target, username=username,
                    errors={"_": _("Too many failed attempts. Try again in %(minutes)s minutes.",
                                   minutes=max(1, -(-exc.retry_after // 60)))})
    except TenantSuspended as exc:
        return page("auth/login.html", 403, target=target, username=username,
                    errors={"_": _("The account of %(domain)s is suspended: nobody can sign in to it until "
                                   "your provider resumes it.", domain=exc.domain)})
    return with_session(redirect(target), signed)


def _said(what: str) -> str:
    """What the page just before sign-in did (it redirected here with ?said=…)."""
    return {"signed-out": _("You have signed out."),
            "password-reset": _("Your new password is set. Sign in with it.")}.get(what, "")


@bp.post("/logout")
@area(PUBLIC)
def logout():
    token = request.cookies.get(sessions.COOKIE, "")
    if g.principal is not None:
        account.sign_out(app_context(), token)
    response = redirect("/login?said=signed-out")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@bp.post("/language")
@area(PUBLIC)
def language():
    chosen = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen, max_age=LANGUAGE_COOKIE_SECONDS, path="/", samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.route("/forgot", methods=["GET", "POST"])
@area(PUBLIC)
def forgot():
    if request.method == "GET":
        return page("auth/forgot.html", who="")
    who = request.form.get("who", "")
    if not who.strip():
        return page("auth/forgot.html", who=who, errors={"who": _("Give your username or e-mail address.")})
    try:
        issued = account.request_reset(app_context(), who) if _reset_links_possible() else None
    except Throttled as exc:
        return page("auth/forgot.html", 429, who=who,
                    errors={"_": _("Too many requests. Try again in %(minutes)s minutes.",
                                   minutes=max(1, -(-exc.retry_after // 60)))})
    if issued is not None:
        _send_reset_mail(issued)
    # The same answer whether or not the account exists: the form must not tell who has one.
    return page("auth/forgot.html", who="", notice=_(
        "If that account exists, a link to choose a new password is on its way to its e-mail address. "
        "The link works once, for one hour."))


def _reset_links_possible() -> bool:
    """A reset link names the portal's address, which only `portal_url` says for sure: the request's
    Host header is whatever the asker typed, so a link built from it would take the account's owner,
    and the token in it, to the asker's site (Host header poisoning). Without it no link is sent."""
    if current_app.config["CENTRALITA"].portal_url:
        return True
    log.warning("password reset asked for, no link sent: set portal_url (the address people reach the portal at)")
    return False


def _send_reset_mail(issued: account.ResetLink) -> None:
    config = current_app.config["CENTRALITA"]
    link = config.portal_url.rstrip("/") + "/reset/" + issued.token
    body = _("Someone, hopefully you, asked to reset the password of %(username)s in Centralita.\n\n"
             "Open this link within an hour to choose a new password (it works only once):\n%(link)s\n\n"
             "If it was not you, ignore this message: your password stays as it is.",
             username=issued.username, link=link)
    try:
        mail.send(config, mail.message(config, issued.email, _("Your Centralita password"), body))
    except mail.MailNotSent as exc:
        log.warning("password reset e-mail for login %s not sent: %s", issued.username, exc)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@area(PUBLIC)
def reset(token: str):
    username = account.reset_username(token)
    if username is None:
        return page("auth/reset.html", 404, valid=False)
    if request.method == "GET":
        return page("auth/reset.html", valid=True, username=username)
    outcome = _new_password(token)
    if not outcome.ok:
        return page("auth/reset.html", valid=True, username=username, outcome=outcome)
    return redirect("/login?said=password-reset")


def _new_password(token: str) -> Outcome:
    password, again = request.form.get("password", ""), request.form.get("password_again", "")
    if password != again:
        return Outcome(errors={"password_again": _("The two passwords are not the same.")})
    try:
        done = account.reset_password(app_context(), token, password)  # ends every session the login had
    except (InvalidInput, NotFound) as exc:
        return Outcome.refused(exc)
    return Outcome(done.value)
