"""Limits on guessing passwords and keys, kept in the database so every node enforces the same count.

A failure is counted against each subject it concerns (the username tried, the client address).
A subject with LIMITS[kind] failures inside WINDOW is refused until its oldest counted failure
leaves the window; a success does not erase failures (a guesser who also owns one valid account
must not reset the count with it).
"""
from __future__ import annotations

import datetime as dt

from fs_plugins.models import utcnow
from fs_plugins.models.access import AuthFailure

WINDOW = dt.timedelta(minutes=15)
# "reset": password-reset e-mails asked for, per address and per account (the portal's own count,
# so asking for links never locks anyone out of signing in).
# "phonebook": failed SIP-credential checks of desk-phone phonebooks (Basic/Digest), per address.
# "provisioning": failed device-credential checks of phone configuration files, per address.
LIMITS = {"login": 5, "address": 20, "reset": 5, "phonebook": 10, "provisioning": 10}


def subjects(username: str | None, address: str) -> list[str]:
    found = [f"address:{address or '?'}"]
    if username:
        found.append(f"login:{username.strip().lower()}")
    return found


def retry_after(names: list[str], now: dt.datetime | None = None) -> int:
    """Seconds until every subject may try again; 0 when none is blocked."""
    now = now or utcnow()
    wait = 0
    for name in names:
        limit = LIMITS[name.partition(":")[0]]
        recent = (AuthFailure.select(AuthFailure.at)
                  .where(AuthFailure.subject == name, AuthFailure.at > now - WINDOW)
                  .order_by(AuthFailure.at.desc()).limit(limit))
        times = [row.at for row in recent]
        if len(times) >= limit:
            wait = max(wait, int((times[-1] + WINDOW - now).total_seconds()) + 1)
    return wait


def record_failure(names: list[str], now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    for name in names:
        AuthFailure.create(subject=name, at=now)
    # Forget what no longer counts, so the table stays the size of the current window.
    AuthFailure.delete().where(AuthFailure.subject.in_(names), AuthFailure.at <= now - WINDOW).execute()
