"""Who is looking at a page, and what a form post must prove, decided before any view runs.

The session is the access module's (fs_plugins.access.sessions): the same HttpOnly cookie the REST
API reads, so one sign-in serves both, and the same end rules (idle time, lifetime, a password
change or a disabled login ends it). Every POST made with a session must carry that session's CSRF
token, as the form field `csrf_token` or htmx's `X-CSRF-Token` header (base.html sends it on every
htmx request). The forms shown before signing in (sign-in, forgotten password, reset) are protected
by a double-submit token instead: a random value in a SameSite=Strict cookie that the form repeats.

Views say who may see them with @area(...): PUBLIC, SIGNED_IN, SELF (a user: their own settings),
ADMIN (an operator or a tenant admin), OPERATOR. A page outside the caller's area answers 404, as
the API does: nobody learns that a page or another tenant's object exists.
"""
from __future__ import annotations

import functools
import hmac
from urllib.parse import quote

from flask import Flask, abort, g, make_response, redirect, request

from fs_plugins.access import secrets, sessions
from fs_plugins.access.principal import OPERATOR as OPERATOR_ROLE
from fs_plugins.access.principal import TENANT_ADMIN

PUBLIC, SIGNED_IN, SELF, ADMIN, OPERATOR = "public", "signed-in", "self", "admin", "operator"
FORM_COOKIE = "centralita_form"
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def area(level: str):
    def mark(view):
        view._area = level
        return view

    return mark


def install(app: Flask) -> None:
    @app.before_request
    def _guard():
        view = app.view_functions.get(request.endpoint or "")
        if view is None or request.endpoint == "static":
            return None  # routing answers 404/405 itself; the stylesheet and scripts need no session
        level = getattr(view, "_area", SIGNED_IN)
        token = request.cookies.get(sessions.COOKIE, "")
        g.principal, g.tenant_row, g.user_row = (sessions.resume_with_rows(token, request.remote_addr or "")
                                                 or (None, None, None))
        g.csrf_token = sessions.csrf_token(token) if g.principal else form_token()
        if level != PUBLIC and g.principal is None:
            return _to_sign_in()  # an expired session's post changes nothing: sign in again
        if request.method not in SAFE_METHODS and not _csrf_ok(token):
            abort(403)
        if level != PUBLIC and not allowed(level, g.principal):
            abort(404)
        return None

    @app.after_request
    def _form_cookie(response):
        if g.get("new_form_token"):
            response.set_cookie(FORM_COOKIE, g.new_form_token, httponly=True, samesite="Strict",
                                secure=request.is_secure, path="/")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")  # pages show personal data
            response.headers.setdefault("Referrer-Policy", "no-referrer")  # reset links carry a token
        return response


def allowed(level: str, principal) -> bool:
    return level in levels_of(principal)


def levels_of(principal) -> frozenset[str]:
    """The areas `principal` may open (PUBLIC aside): decided by their role and whether they have an
    extension of their own, so once for each kind of caller, not on every page (the menu asks for
    every level it shows, on every page)."""
    return _levels(principal.role, principal.has_self)


@functools.lru_cache(maxsize=64)  # a handful of roles, with or without an extension
def _levels(role: str, has_self: bool) -> frozenset[str]:
    return frozenset(level for level, granted in ((SIGNED_IN, True), (SELF, has_self),
                                                  (ADMIN, role in (OPERATOR_ROLE, TENANT_ADMIN)),
                                                  (OPERATOR, role == OPERATOR_ROLE)) if granted)


def form_token() -> str:
    """The double-submit token of the forms shown before signing in (set as a cookie if new)."""
    existing = request.cookies.get(FORM_COOKIE, "")
    if existing:
        return existing
    g.new_form_token = secrets.new_token()
    return g.new_form_token


def _csrf_ok(session_token: str) -> bool:
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if g.principal is not None:
        return hmac.compare_digest(sent.encode(), sessions.csrf_token(session_token).encode())  # typed text: any
    expected = request.cookies.get(FORM_COOKIE, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _to_sign_in():
    target = "/login?next=" + quote(request.full_path.rstrip("?"), safe="")
    if request.headers.get("HX-Request"):
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target  # htmx: a full navigation, not a login form in a fragment
        return response
    return redirect(target)
