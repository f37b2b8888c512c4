"""The audit log: `record` after every change, `entries` for whoever may read it.

Operators read every entry; a tenant admin reads their tenant's. A change is recorded in the same
transaction as the change itself (call `record` inside it), so there is never a change without its
entry nor an entry for a change that rolled back.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from fs_plugins import prepared
from fs_plugins.access.principal import OPERATOR, Principal
from fs_plugins.ids import MAX_ID
from fs_plugins.models import utcnow
from fs_plugins.models.audit import AuditEntry

SECRET_FIELDS = {"password", "pin", "secret", "key", "token", "password_hash", "a1_hash"}


@dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime
    tenant: str
    actor: str
    role: str
    source: str
    action: str
    target: str
    detail: dict


def record(actor: Principal, action: str, target: str = "", tenant=None, detail: dict | None = None) -> None:
    """Write who did `action` to `target` (in `tenant`, a Tenant row or None) with the changed fields."""
    prepared.insert(  # on every change: peewee's builder cost more CPU than the insert (benches/b6_api.py)
        AuditEntry, at=utcnow(), tenant_id=getattr(tenant, "id", None), tenant_domain=getattr(tenant, "domain", ""),
        actor=actor.name[:160], role=actor.role, source=(actor.source or "")[:64], action=action,
        target=target[:300], detail=json.dumps(_without_secrets(detail or {}), default=str, sort_keys=True),
    )


def entries(reader: Principal, tenant_id: int | None = None, before_id: int | None = None, limit: int = 50,
            since: dt.datetime | None = None) -> list[Entry]:
    """Newest first. A tenant admin only ever gets their tenant's entries, whatever is asked."""
    query = AuditEntry.select().order_by(AuditEntry.id.desc()).limit(limit)
    if reader.role != OPERATOR:
        tenant_id = reader.tenant_id if reader.tenant_id is not None else -1
    if tenant_id is not None:
        query = query.where(AuditEntry.tenant_id == tenant_id)
    if before_id is not None and before_id <= MAX_ID:  # a bound past every id leaves them all
        query = query.where(AuditEntry.id < max(before_id, 0))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return [Entry(row.id, row.at, row.tenant_domain, row.actor, row.role, row.source, row.action, row.target,
                  json.loads(row.detail or "{}")) for row in query]


def _without_secrets(detail: dict) -> dict:
    return {key: ("(changed)" if key in SECRET_FIELDS else value) for key, value in detail.items()}
