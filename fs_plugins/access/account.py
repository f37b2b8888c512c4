"""A person's own login, the application layer: signing in and out, changing their password, and
the forgotten-password link that sets a new one.

The REST API's /session and the portal's sign-in, account and reset pages call these. Before
signing in the caller is a visitor (principal.visitor(address)); the entries written for them name
the login they acted as ("login ana"), or the visitor and their address for a reset link asked
for. Failed sign-ins and reset requests are counted outside any transaction (fs_plugins.access.
throttle), so a refusal stays counted; every change is one transaction with its audit entry:
session.open, session.close, login.update (a password changed knowing the current one),
login.reset-link and login.password-reset. A new password ends every session of the login; the
browser that changed it carries on in a new one (the returned SignedIn).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from fs_plugins.access import logins, resets, sessions
from fs_plugins.access.logins import AuthFailed, LoginView
from fs_plugins.access.principal import Principal
from fs_plugins.application import AppContext, Changed
from fs_plugins.errors import Forbidden, InvalidInput, NotFound
from fs_plugins.models import Tenant, database
from fs_plugins.models.access import Login


@dataclass(frozen=True)
class SignedIn:
    principal: Principal  # who the session acts as
    session: sessions.Opened  # its token goes in the cookie, never anywhere else
    login: LoginView


@dataclass(frozen=True)
class ResetLink:
    """A link to choose a new password, for the front end to send to `email` (never shown)."""

    username: str
    email: str
    token: str  # for the link; stored only as a hash


def sign_in(ctx: AppContext, username: str, password: str, user_agent: str = "") -> SignedIn:
    """A new session for these credentials; AuthFailed (which part was wrong is never said) or
    Throttled after too many failures from the address or on the username."""
    row = logins.authenticate(username, password, ctx.principal.source)  # outside the transaction: stays counted
    with database.atomic():
        return _open_session(ctx, row, user_agent)


def sign_out(ctx: AppContext, token: str) -> bool:
    """End the session whose cookie holds `token` (False: there was none, nothing is recorded)."""
    with database.atomic():
        closed = sessions.close(token)
        if closed:
            owner = Tenant.get_or_none(Tenant.id == ctx.principal.tenant_id) if ctx.principal.tenant_id else None
            ctx.record("session.close", owner, ctx.principal.name)
    return closed


def change_password(ctx: AppContext, current_password: str, new_password: str, user_agent: str = "") -> SignedIn:
    """The signed-in person's new password, given their current one (InvalidInput current_password
    when wrong, counted as a failed sign-in). Every session of the login ends; the new one returned
    is for the browser that asked."""
    if ctx.principal.login_id is None:
        raise Forbidden("only a person signed in with a login changes its password")  # an API key has none
    row = logins.get(ctx.principal.login_id)
    try:
        logins.authenticate(row.username, current_password, ctx.principal.source)
    except AuthFailed:
        raise InvalidInput("current_password", "this is not the current password") from None
    with database.atomic():
        logins.set_login(row, password=new_password, field="new_password")
        ctx.record("login.update", logins.tenant_of(row), f"login {row.username}", {"password": new_password})
        return _open_session(ctx, row, user_agent)


def request_reset(ctx: AppContext, who: str) -> ResetLink | None:
    """A reset link for the enabled login named `who` (its username or its user's e-mail), or None
    when there is none or it has no address to send it to; the caller must answer the same either
    way. Throttled per address and per name asked for."""
    issued = resets.issue(who, ctx.principal.source)
    if issued is None:
        return None
    ctx.record("login.reset-link", logins.tenant_of(issued.login), f"login {issued.login.username}")
    return ResetLink(issued.login.username, issued.email, issued.token)


def reset_username(token: str) -> str | None:
    """The username a live reset link is for (None: unknown, used or expired)."""
    pending = resets.pending(token)
    return pending.login.username if pending is not None else None


def reset_password(ctx: AppContext, token: str, password: str) -> Changed[LoginView]:
    """Set the password a reset link was sent for, spending the link (and every other open link of
    the login) and ending the login's sessions."""
    pending = resets.pending(token)
    if pending is None:
        raise NotFound("token", "this link is unknown, used or expired; ask for a new one")
    row: Login = pending.login
    with database.atomic():
        logins.set_login(row, password=password)
        resets.redeem(pending)
        as_login = replace(ctx, principal=logins.principal(row, ctx.principal.source))
        as_login.record("login.password-reset", logins.tenant_of(row), f"login {row.username}", {"password": password})
    return Changed(logins.view(row))


def _open_session(ctx: AppContext, row: Login, user_agent: str) -> SignedIn:
    who = logins.principal(row, ctx.principal.source)
    opened = sessions.open_session(row, who.source, user_agent)
    replace(ctx, principal=who).record("session.open", logins.tenant_of(row), f"login {row.username}")
    return SignedIn(who, opened, logins.view(row))
