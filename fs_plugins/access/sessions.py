"""Server-side sessions for people signed in with a login (the API's cookie and the portal's).

The browser holds a random token in an HttpOnly cookie; the table holds its SHA-256, so a copy of
the database opens no session. A session ends after IDLE without use, after LIFETIME in any case,
on logout, when its login's password changes or the login is disabled, and when the operator
suspends its tenant (core.app.suspend_tenant deletes them; one found meanwhile is not resumed). A
session of a user's login is not resumed while that user is disabled (core.app.set_user), and
resumes if the user is enabled again before it expires.

Cookie-authenticated writes must also carry the session's CSRF token (X-CSRF-Token): it is derived
from the session token (HMAC), so it needs no storage and dies with the session; a page of another
site can make the browser send the cookie but cannot read the token.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import NamedTuple

import peewee

from fs_plugins import prepared
from fs_plugins.access import secrets
from fs_plugins.access.logins import principal
from fs_plugins.access.principal import Principal
from fs_plugins.models import Tenant, User, utcnow
from fs_plugins.models.access import Login, Session

COOKIE = "centralita_session"
IDLE = dt.timedelta(hours=12)
LIFETIME = dt.timedelta(days=7)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen is written at most this often, not on every request


@dataclass(frozen=True)
class Opened:
    token: str  # for the cookie; never stored
    csrf_token: str
    expires_at: dt.datetime


def open_session(login: Login, address: str = "", user_agent: str = "") -> Opened:
    token = secrets.new_token()
    now = utcnow()
    row = Session.create(token_hash=secrets.digest(token), login=login, created_at=now, last_seen_at=now,
                         expires_at=now + IDLE, address=address[:64], user_agent=(user_agent or "")[:255])
    return Opened(token, csrf_token(token), row.expires_at)


def csrf_token(token: str) -> str:
    return secrets.derived(token, "csrf")


def _session_joined() -> peewee.ModelSelect:
    """A session by its token's hash (the first parameter), with its login, tenant and user; LIMIT 1 (the second)."""
    return (Session.select(Session, Login, Tenant, User).join(Login)
            .join(Tenant, peewee.JOIN.LEFT_OUTER).switch(Login).join(User, peewee.JOIN.LEFT_OUTER)
            .where(Session.token_hash == "").limit(1))


@functools.cache
def _layout() -> tuple[tuple[type[peewee.Model], slice, tuple[str, ...]], ...]:
    """(model, its columns, its fields' names) for each model of _session_joined, in the order its
    SELECT lists them: what peewee's cursor wrapper works out from the query again on every read
    (column names, joins, converters: more CPU than the read itself)."""
    layout, start = [], 0
    selected = _session_joined()._returning
    for model in (Session, Login, Tenant, User):
        fields = [field for field in selected if field.model is model]
        # by identity: a peewee field's == builds an expression, always true as a list element
        if [field.model for field in selected[start:start + len(fields)]] != [model] * len(fields):
            raise RuntimeError(f"{model.__name__}'s columns are not where the session's read expects them")
        layout.append((model, slice(start, start + len(fields)), tuple(field.name for field in fields)))
        start += len(fields)
    return tuple(layout)


def _joined_rows(values: tuple) -> Session:
    """The session of _session_joined's row with its login, and the login's tenant and user (None when
    the LEFT JOIN found none), as peewee makes them from that row (prepared.row_of)."""
    (session, session_columns, session_names), (login, login_columns, login_names), *others = _layout()
    tenant, user = (prepared.row_of(model, names, values[columns]) if values[columns][0] is not None else None
                    for model, columns, names in others)  # [0]: the id
    login = prepared.row_of(login, login_names, values[login_columns], {"tenant": tenant, "user": user})
    return prepared.row_of(session, session_names, values[session_columns], {"login": login})


class Resumed(NamedTuple):
    principal: Principal
    tenant: Tenant | None  # None for the operator
    user: User | None  # None for a login that is no user (the operator, a tenant admin without an extension)


def resume_with_rows(token: str, source: str = "") -> Resumed | None:
    """The principal of a live session with its tenant's and user's rows, read in one query (session,
    login, tenant and user joined): every portal page asks for all three, and three round trips a page
    were a measurable share of a page view (B7); the rows spare a page's scope checks reading them again
    (application.AppContext.own_tenant). None if gone, expired, the login or its user disabled, or its
    tenant suspended."""
    if not token:
        return None
    # Prepared on serve's connection: PostgreSQL planned it for longer than it ran it; its SQL written
    # once (prepared.select_written): peewee writing these four models' columns cost more than the read.
    # fetchall: the read is over (SQLite's statement reset) before anything else runs
    read = prepared.select_written(Session._meta.database, _session_joined, (secrets.digest(token), 1))
    found = read.cursor.fetchall()
    row = _joined_rows(found[0]) if found else None
    now = utcnow()
    if row is None or row.expires_at <= now:
        return None
    login = row.login
    if not login.enabled:
        return None
    user = login.user if login.user_id else None
    if user is not None and not user.enabled:  # the person's user disabled by their admin
        return None
    tenant = login.tenant if login.tenant_id else None
    if tenant is not None and tenant.suspended:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        deadline = min(now + IDLE, row.created_at + LIFETIME)
        Session.update(last_seen_at=now, expires_at=deadline).where(Session.token_hash == row.token_hash).execute()
    if user is not None and tenant is not None and user.tenant_id == tenant.id:
        user.tenant = tenant  # the row already read: asking user.tenant reads nothing
    return Resumed(principal(login, source), tenant, user)


def close(token: str) -> bool:
    """End the session of `token`; False when there was none."""
    return Session.delete().where(Session.token_hash == secrets.digest(token or "")).execute() > 0

