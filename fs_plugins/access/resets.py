"""Password-reset links: single use, expiring, kept only as a hash (the table is the portal component's,
fs_plugins/models/portal.py: the portal is where people ask for one).

Asking for a link never tells whether the account exists: the answer is the same either way, and a
request is throttled like a failed sign-in (per address and per account), so the form can neither
list accounts nor flood anyone's mailbox.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from fs_plugins.access import secrets, throttle
from fs_plugins.access.logins import Throttled
from fs_plugins.models import User, database, utcnow
from fs_plugins.models.access import Login
from fs_plugins.models.portal import PasswordReset

VALID_FOR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    login: Login
    email: str
    token: str  # for the link; never stored


def email_of(login: Login) -> str | None:
    """Where a login's reset link goes: its user's e-mail, else the username when it is an address."""
    if login.user_id and login.user.email:
        return login.user.email
    return login.username if "@" in login.username else None


def issue(who: str, address: str, now: dt.datetime | None = None) -> Issued | None:
    """A new link for the enabled login named `who` (username, or its user's e-mail), or None.

    Every request counts against the address and the name asked for; Throttled past the limit."""
    who = (who or "").strip().lower()
    counted = [f"reset:address {address or '?'}", f"reset:{who}"]
    wait = throttle.retry_after(counted, now)
    if wait:
        raise Throttled(wait)
    throttle.record_failure(counted, now)
    login = _find(who)
    email = email_of(login) if login is not None else None
    if email is None:
        return None
    token = secrets.new_token()
    now = now or utcnow()
    PasswordReset.create(token_hash=secrets.digest(token), login=login, created_at=now, expires_at=now + VALID_FOR)
    return Issued(login, email, token)


def _find(who: str) -> Login | None:
    if not who:
        return None
    row = Login.get_or_none(Login.username == who, Login.enabled == True)  # noqa: E712
    if row is not None:
        return row
    matches = list(Login.select().join(User, on=(Login.user == User.id))
                   .where(fn.LOWER(User.email) == who, Login.enabled == True).limit(2))  # noqa: E712
    return matches[0] if len(matches) == 1 else None  # an address two logins share names neither


def pending(token: str, now: dt.datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset a link's token names, or None."""
    row = PasswordReset.get_or_none(PasswordReset.token_hash == secrets.digest(token or ""))
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.login.enabled:
        return None
    return row


def redeem(row: PasswordReset, now: dt.datetime | None = None) -> None:
    """Spend a link and every other open link of the same login (one reset closes them all)."""
    with database.atomic():
        (PasswordReset.update(used_at=now or utcnow())
         .where(PasswordReset.login == row.login_id, PasswordReset.used_at.is_null()).execute())
