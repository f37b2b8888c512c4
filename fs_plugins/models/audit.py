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

# Names the REST API wrote before it called the application layer, and the application layer's
# names for the same change, which the CLI and the portal have always written. (The API's
# "callhandling.update", one entry per PATCH, is kept: the app records each forward and DND change
# on its own, and an old entry cannot be split after the fact.)
RENAMED_ACTIONS = {
    "user.sip-password": "user.update",
    "number.route": "number.update",
    "simring.add": "simring.create",
    "simring.remove": "simring.delete",
    "restriction.set": "restriction.update",
    "restriction.clear": "restriction.delete",
}


def one_name_per_change(migrator, db) -> None:
    """audit: one action name per change whatever the front end (the REST API's old names renamed)"""
    with db.bind_ctx([AuditEntry]):
        for old, new in RENAMED_ACTIONS.items():
            AuditEntry.update(action=new).where(AuditEntry.action == old).execute()


MIGRATIONS: tuple = (one_name_per_change,)
