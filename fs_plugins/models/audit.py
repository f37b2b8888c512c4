"""The audit log: every change, who made it, when, from where.

Rows keep the tenant's id and domain as plain values, not a foreign key: the record of a tenant's
removal (and everything before it) must outlive the tenant. `detail` is JSON of the fields that
changed; secrets (passwords, keys) are never written here, only the fact that they changed.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow


class AuditEntry(BaseModel):
    at = peewee.DateTimeField(default=utcnow)
    tenant_id = peewee.IntegerField(null=True)  # None: an operator-wide change (API keys of operators)
    tenant_domain = peewee.CharField(max_length=253, default="")
    actor = peewee.CharField(max_length=160)  # "login ana@acme.example.com", "key ck_ab12cd34 (billing)"
    role = peewee.CharField(max_length=16)
    source = peewee.CharField(max_length=64, default="")  # client address, or "cli"
    action = peewee.CharField(max_length=64)  # "user.create"
    target = peewee.CharField(max_length=300, default="")  # "user 1001"
    detail = peewee.TextField(default="{}")

    class Meta:
        indexes = ((("tenant_id", "id"), False),)


MODELS = (AuditEntry,)
MIGRATIONS: tuple = ()
