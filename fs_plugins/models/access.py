"""Who may use the API and the portal: people's logins, their sessions, integrations' API keys.

Nothing here stores a secret in clear. Login passwords are argon2id hashes (fs_plugins.access.
passwords), separate from the SIP a1-hash: a leaked portal password must not register a phone,
nor a leaked SIP password open the portal. Session ids and API keys are random 256-bit tokens,
so a plain SHA-256 of them is enough to make a stolen table useless (no dictionary to try),
and it keeps the per-request check to one indexed lookup.

Rows carry the scope they grant: `role` is operator (every tenant), tenant-admin (one tenant)
or user (one user's own data); tenant and user are set as the role needs them.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User

ROLES = ("operator", "tenant-admin", "user")


class Login(BaseModel):
    """A person who signs in with a username and a password."""

    username = peewee.CharField(max_length=254, unique=True)  # stored lower-case
    password_hash = peewee.CharField(max_length=255)  # argon2id, PHC string
    role = peewee.CharField(max_length=16)
    tenant = peewee.ForeignKeyField(Tenant, null=True, on_delete="CASCADE", backref="logins")
    user = peewee.ForeignKeyField(User, null=True, on_delete="CASCADE", backref="logins")
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_login_at = peewee.DateTimeField(null=True)


class Session(BaseModel):
    """A signed-in browser or client: the cookie holds the token, the table its SHA-256."""

    token_hash = peewee.CharField(max_length=64, primary_key=True)
    login = peewee.ForeignKeyField(Login, on_delete="CASCADE", backref="sessions")
    created_at = peewee.DateTimeField(default=utcnow)
    last_seen_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)
    address = peewee.CharField(max_length=64, default="")
    user_agent = peewee.CharField(max_length=255, default="")


class ApiKey(BaseModel):
    """An integration's key `ck_<prefix>_<secret>`: the prefix finds the row, the hash proves it."""

    prefix = peewee.CharField(max_length=16, unique=True)
    secret_hash = peewee.CharField(max_length=64)
    name = peewee.CharField(max_length=120)
    role = peewee.CharField(max_length=16)
    tenant = peewee.ForeignKeyField(Tenant, null=True, on_delete="CASCADE", backref="api_keys")
    user = peewee.ForeignKeyField(User, null=True, on_delete="CASCADE", backref="api_keys")
    created_at = peewee.DateTimeField(default=utcnow)
    created_by = peewee.CharField(max_length=160, default="")
    expires_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)


class AuthFailure(BaseModel):
    """One failed login or key check, by what it counts against ("login:ana", "address:10.0.0.7").

    In the database, not in a process, so the limit holds whichever node a guess reaches.
    """

    subject = peewee.CharField(max_length=300)
    at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("subject", "at"), False),)


MODELS = (Login, Session, ApiKey, AuthFailure)
MIGRATIONS: tuple = ()
