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
from typing import NamedTuple

from fs_plugins import prepared
from fs_plugins.access import secrets, throttle
from fs_plugins.access.logins import AuthFailed, TenantSuspended, Throttled, scope_rows
from fs_plugins.access.principal import Principal
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.fsvalues import check_text
from fs_plugins.models import Tenant, User, utcnow
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


# Every API request checks its key: one indexed query (prepared SQL, as DESIGN.md asks of hot paths)
# instead of the query builder's three. It brings the whole tenant and user rows: a request's scope
# checks take them instead of reading them again (B6's /me reads: two of five round trips).
def _columns(alias: str, model) -> str:
    return ", ".join(f'{alias}."{field.column_name}"' for field in model._meta.sorted_fields)


_KEY_COLUMNS = 7  # k.id … k.last_used_at
_TENANT_COLUMNS = len(Tenant._meta.sorted_fields)
_KEY_SQL = (f'SELECT k.id, k.secret_hash, k.role, k.name, k.expires_at, k.revoked_at, k.last_used_at, '
            f'{_columns("t", Tenant)}, {_columns("u", User)} FROM api_key k LEFT JOIN tenant t ON t.id = k.tenant_id'
            ' LEFT JOIN "user" u ON u.id = k.user_id WHERE k.prefix = ?')


class KeyRows(NamedTuple):
    principal: Principal
    tenant: Tenant | None  # None for an operator key
    user: User | None  # None for a key that is no user's


def _model_row(model, values: tuple):
    """The row of `model` from its columns in the order of its fields (as prepared.get_or_none makes
    it); None when the LEFT JOIN found none."""
    names = [field.name for field in model._meta.sorted_fields]
    if values[names.index(model._meta.primary_key.name)] is None:
        return None
    return prepared.row_of(model, names, values)


def authenticate(key: str, address: str) -> Principal:
    """The principal a presented key grants (authenticate_with_rows)."""
    return authenticate_with_rows(key, address).principal


def authenticate_with_rows(key: str, address: str) -> KeyRows:
    """The principal a presented key grants, with its tenant's and user's rows read in the same query;
    AuthFailed / Throttled (failures counted per address); TenantSuspended for a good key of a
    suspended tenant (an operator key has no tenant: it still works).

    A key is 256 random bits: guessing one is hopeless, so the limit is there to stop the noise of
    a guesser; it is consulted when a key fails, which keeps the check of a good key to one query."""
    scheme, _, rest = (key or "").replace("\x00", "\ufffd").partition("_")  # PostgreSQL refuses NUL
    prefix, _, secret = rest.partition("_")
    row = None
    if scheme == PREFIX and prefix and secret:
        db = ApiKey._meta.database
        row = prepared.run_planned(db, _KEY_SQL, (prefix,)).fetchone()
    now = utcnow()
    tenant = user = None
    if row is not None:
        tenant = _model_row(Tenant, row[_KEY_COLUMNS:_KEY_COLUMNS + _TENANT_COLUMNS])
        user = _model_row(User, row[_KEY_COLUMNS + _TENANT_COLUMNS:])
    # A user's key stops with its user: disabled by their admin, the person reaches nothing (as sign-in).
    if row is None or not secrets.matches(secret, row[1]) or row[5] is not None or _passed(row[4], now) \
            or (user is not None and not user.enabled):
        counted = throttle.subjects(None, address)
        wait = throttle.retry_after(counted)
        if wait:
            raise Throttled(wait)
        throttle.record_failure(counted)
        raise AuthFailed()
    key_id, _, role, name, _, _, last_used = row[:_KEY_COLUMNS]
    if tenant is not None and tenant.suspended:
        raise TenantSuspended(tenant.domain)
    if last_used is None or now - _as_datetime(last_used) >= TOUCH_EVERY:
        ApiKey.update(last_used_at=now).where(ApiKey.id == key_id).execute()
    if user is not None and tenant is not None and user.tenant_id == tenant.id:
        user.tenant = tenant  # the row already read: asking user.tenant reads nothing
    principal = Principal(role, tenant.id if tenant else None, tenant.domain if tenant else "",
                          user.id if user else None, user.extension if user else "",
                          f"key {PREFIX}_{prefix} ({name})", address)
    return KeyRows(principal, tenant, user)


def _passed(expires_at, now: dt.datetime) -> bool:
    return expires_at is not None and _as_datetime(expires_at) <= now


def _as_datetime(value) -> dt.datetime:
    """SQLite hands timestamps back as text, PostgreSQL as datetimes."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
