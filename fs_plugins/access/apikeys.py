"""API keys for integrations (a provider's panel, billing): shown once, kept as a hash, revocable.

A key reads `ck_<prefix>_<secret>`. The prefix is public (lists, logs, the audit log name keys by
it); the secret is 256 random bits whose SHA-256 is stored. A key has the scope of a role (an
operator key, a tenant-admin key for one tenant, a user key for one user), an optional expiry, and
records when it was last used.
"""
from __future__ import annotations

import datetime as dt
import secrets as random
from dataclasses import dataclass

from fs_plugins.access import secrets, throttle
from fs_plugins.access.logins import AuthFailed, Throttled, scope_rows
from fs_plugins.access.principal import Principal
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.fsvalues import check_text
from fs_plugins.models import Tenant, utcnow
from fs_plugins.models.access import ApiKey

PREFIX = "ck"
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Created:
    row: ApiKey
    key: str  # the only time the whole key exists outside the caller's hands


def create(name: str, role: str, tenant: Tenant | None = None, extension: str | None = None,
           expires_at: dt.datetime | None = None, created_by: str = "") -> Created:
    name = check_text(name, "name")
    owner, user = scope_rows(role, tenant, extension)
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("expires_at", "must be in the future")
    prefix, secret = random.token_hex(5), secrets.new_token()
    row = ApiKey.create(prefix=prefix, secret_hash=secrets.digest(secret), name=name, role=role, tenant=owner,
                        user=user, expires_at=expires_at, created_by=created_by[:160])
    return Created(row, f"{PREFIX}_{prefix}_{secret}")


def find(prefix: str, tenant: Tenant | None = None) -> ApiKey:
    query = ApiKey.select().where(ApiKey.prefix == (prefix or "").strip())
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    row = query.first()
    if row is None:
        raise NotFound("prefix", f"no API key {prefix!r}")
    return row


def keys(tenant: Tenant | None = None) -> list[ApiKey]:
    query = ApiKey.select().order_by(ApiKey.created_at, ApiKey.id)
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    return list(query)


def revoke(row: ApiKey) -> ApiKey:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.save()
    return row


def authenticate(key: str, address: str) -> Principal:
    """The principal a presented key grants, or AuthFailed / Throttled (counted per address)."""
    counted = throttle.subjects(None, address)
    wait = throttle.retry_after(counted)
    if wait:
        raise Throttled(wait)
    scheme, _, rest = (key or "").partition("_")
    prefix, _, secret = rest.partition("_")
    row = ApiKey.get_or_none(ApiKey.prefix == prefix) if scheme == PREFIX and prefix and secret else None
    now = utcnow()
    if (row is None or not secrets.matches(secret, row.secret_hash) or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now)):
        throttle.record_failure(counted)
        raise AuthFailed()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        ApiKey.update(last_used_at=now).where(ApiKey.id == row.id).execute()
    return principal(row, address)


def principal(row: ApiKey, source: str = "") -> Principal:
    tenant = row.tenant if row.tenant_id else None
    user = row.user if row.user_id else None
    return Principal(row.role, tenant.id if tenant else None, tenant.domain if tenant else "",
                     user.id if user else None, user.extension if user else "",
                     f"key {PREFIX}_{row.prefix} ({row.name})", source)
