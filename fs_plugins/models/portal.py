"""What the web portal keeps of its own: password-reset links.

A link carries a random 256-bit token; the table holds its SHA-256 (as sessions do), so a copy of
the database resets nobody's password. A link works once, and only until `expires_at`.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.access import Login
from fs_plugins.models.base import BaseModel, utcnow


class PasswordReset(BaseModel):
    token_hash = peewee.CharField(max_length=64, primary_key=True)
    login = peewee.ForeignKeyField(Login, on_delete="CASCADE", backref="password_resets")
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)
    used_at = peewee.DateTimeField(null=True)


MODELS = (PasswordReset,)
MIGRATIONS: tuple = ()
