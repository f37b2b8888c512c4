"""People's logins: create, change, remove, list, and check a username + password.

A login's scope follows its role: an operator has no tenant, a tenant admin has one (and may also
be one of its users, to reach /me), a user login belongs to exactly one user.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from fs_plugins import validate
from fs_plugins.access import passwords, throttle
from fs_plugins.access.principal import OPERATOR, TENANT_ADMIN, USER, Principal
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.access import ROLES, Login, Session

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{2,253}\Z")


class AuthFailed(Exception):
    """Wrong credentials (which part was wrong is never said)."""


class TenantSuspended(Exception):
    """Right credentials of a suspended customer's login or key: refused, and told why (the
    operator resumes it; nothing of the tenant is reachable meanwhile)."""

    def __init__(self, domain: str):
        super().__init__(f"tenant {domain} is suspended")
        self.domain = domain


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed attempts; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginView:
    id: int
    username: str
    role: str
    tenant: str | None
    extension: str | None
    enabled: bool
    created_at: object
    last_login_at: object


def view(row: Login) -> LoginView:
    return LoginView(row.id, row.username, row.role, row.tenant.domain if row.tenant_id else None,
                     row.user.extension if row.user_id else None, row.enabled, row.created_at, row.last_login_at)


def username(value: str, field: str = "username") -> str:
    value = (value or "").strip().lower()
    if not _USERNAME.match(value):
        raise InvalidInput(field, f"{value!r} must be 3 to 254 characters: letters, digits and . _ @ + -")
    return value


def scope_rows(role: str, tenant: Tenant | None, extension: str | None) -> tuple:
    """(tenant, user) rows a role needs; refuses combinations that would grant more or less than meant."""
    if role not in ROLES:
        raise InvalidInput("role", f"{role!r} is not one of {', '.join(ROLES)}")
    if role == OPERATOR:
        if tenant is not None or extension:
            raise InvalidInput("tenant", "an operator reaches every tenant; give no tenant or user")
        return None, None
    if tenant is None:
        raise InvalidInput("tenant", f"a {role} belongs to a tenant")
    if role == USER and not extension:
        raise InvalidInput("extension", "a user login belongs to a user: give the extension")
    return tenant, _user(tenant, extension) if extension else None


def _user(tenant: Tenant, extension: str) -> User:
    found = User.get_or_none(User.tenant == tenant, User.extension == validate.extension(extension))
    if found is None:
        raise NotFound("extension", f"no user {extension!r} in {tenant.domain}")
    return found


def add_login(name: str, password: str, role: str, tenant: Tenant | None = None,
              extension: str | None = None) -> Login:
    name = username(name)
    owner, user = scope_rows(role, tenant, extension)
    hashed = passwords.hash_password(password)
    with database.atomic():
        if Login.select().where(Login.username == name).exists():
            raise Conflict("username", f"{name} is already a login")
        return Login.create(username=name, password_hash=hashed, role=role, tenant=owner, user=user)


def find(name: str, tenant: Tenant | None = None) -> Login:
    query = Login.select().where(Login.username == (name or "").strip().lower())
    if tenant is not None:
        query = query.where(Login.tenant == tenant)
    row = query.first()
    if row is None:
        raise NotFound("username", f"no login {name!r}")
    return row


def get(login_id: int) -> Login:
    row = Login.get_or_none(Login.id == login_id)
    if row is None:
        raise NotFound("username", "this login no longer exists")
    return row


def set_login(row: Login, password: str | None = None, enabled: bool | None = None,
              field: str = "password") -> Login:
    """Change what is given; `field` names the password as the caller knows it (new_password)."""
    if password is not None:
        row.password_hash = passwords.hash_password(password, field)
    if enabled is not None:
        row.enabled = enabled
    with database.atomic():
        row.save()
        if password is not None or enabled is False:
            # A changed password or a disabled login ends every session it had.
            Session.delete().where(Session.login == row).execute()
    return row


def remove(row: Login) -> None:
    row.delete_instance(recursive=True)  # its sessions and reset links go with it


def logins(tenant: Tenant | None = None) -> list[Login]:
    query = Login.select().order_by(Login.username)
    if tenant is not None:
        query = query.where(Login.tenant == tenant)
    return list(query)


def authenticate(name: str, password: str, address: str) -> Login:
    """The enabled login these credentials open, or AuthFailed / Throttled; TenantSuspended for the
    right password of a suspended tenant's login (said only to someone who knows the password)."""
    # No username holds a NUL, and PostgreSQL refuses one in a query (a 500): count it as what it is, a miss.
    name = (name or "").replace("\x00", "\ufffd")
    counted = throttle.subjects(name, address)
    wait = throttle.retry_after(counted)
    if wait:
        raise Throttled(wait)
    row = Login.get_or_none(Login.username == (name or "").strip().lower())
    if not passwords.verify(row.password_hash if row else None, password or "") or not row.enabled \
            or (row.user_id and not row.user.enabled):  # a disabled user's person signs in no more
        throttle.record_failure(counted)
        raise AuthFailed()
    if row.tenant_id and row.tenant.suspended:
        raise TenantSuspended(row.tenant.domain)
    row.last_login_at = utcnow()
    if passwords.needs_rehash(row.password_hash):
        row.password_hash = passwords.hash_password(password)
    row.save()
    return row


def principal(row: Login, source: str = "") -> Principal:
    tenant = row.tenant if row.tenant_id else None
    user = row.user if row.user_id else None
    role = row.role if row.role in (OPERATOR, TENANT_ADMIN, USER) else USER
    return Principal(role, tenant.id if tenant else None, tenant.domain if tenant else "",
                     user.id if user else None, user.extension if user else "", f"login {row.username}", source,
                     row.id)


def tenant_of(row: Login) -> Tenant | None:
    return row.tenant if row.tenant_id else None
