"""The recordings' sweep: file what FreeSWITCH wrote, delete what outlived its tenant's retention.

`serve` runs it every recording_sweep_seconds (and `centralita recording sweep` once). A file
`<tenant id>/<call uuid>.wav` becomes a Recording once the call log has an entry of that call *in
that tenant* (the CDR arrives after the hang-up, when the file is closed): a file in a tenant's
folder naming another tenant's call is never filed, so no tenant reaches another's call. A
recording older than the tenant's retention_days (default kinds.DEFAULT_RETENTION_DAYS) is deleted,
row and file. Nothing here decides who sees what (app.py does).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from fs_plugins.models import Tenant, database
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.recording import Recording, RecordingSettings
from fs_plugins.recording.kinds import DEFAULT_RETENTION_DAYS
from fs_plugins.recording.rules import absolute, parse_file

log = logging.getLogger(__name__)
DAY = 86400
ORPHAN_DAYS = 2  # a file whose call never reached the call log: logged once it is this old


@dataclass(frozen=True)
class SweepResult:
    filed: int = 0
    expired: int = 0
    waiting: int = 0  # files whose call has no log entry yet


def sweep(root: str, now: float | None = None) -> SweepResult:
    now = time.time() if now is None else now
    filed, waiting = _file_new(Path(root), now)
    return SweepResult(filed, _expire(Path(root), now), waiting)


def _file_new(root: Path, now: float) -> tuple[int, int]:
    if not root.is_dir():
        return 0, 0
    tenants = {row.id for row in Tenant.select(Tenant.id)}
    filed = waiting = 0
    for folder in sorted(root.iterdir()):
        if not (folder.is_dir() and folder.name.isdecimal() and int(folder.name) in tenants):
            continue
        known = {row.call_id for row in Recording.select(Recording.call_id).where(Recording.tenant == int(folder.name))}
        for path in sorted(folder.glob("*.wav")):
            parsed = parse_file(f"{folder.name}/{path.name}")
            if parsed is None or parsed[1] in known:
                continue
            tenant_id, call_id = parsed
            started = (CallEntry.select(CallEntry.started_at)
                       .where(CallEntry.tenant == tenant_id, CallEntry.call_id == call_id)
                       .order_by(CallEntry.started_at).first())
            if started is None:
                waiting += 1
                if now - path.stat().st_mtime > ORPHAN_DAYS * DAY:
                    log.warning("recording %s names no call of tenant %s in the call log", path, tenant_id)
                continue
            with database.atomic():
                Recording.create(tenant=tenant_id, call_id=call_id, file=f"{tenant_id}/{path.name}",
                                 size=path.stat().st_size, started_at=started.started_at)
            filed += 1
    return filed, waiting


def _expire(root: Path, now: float) -> int:
    retention = {row.tenant_id: row.retention_days for row in RecordingSettings.select()}
    expired = 0
    tenant_ids = [row.tenant_id for row in Recording.select(Recording.tenant).distinct()]
    for tenant_id in tenant_ids:
        cutoff = int(now) - retention.get(tenant_id, DEFAULT_RETENTION_DAYS) * DAY
        old = list(Recording.select().where(Recording.tenant == tenant_id, Recording.started_at < cutoff))
        for row in old:
            with database.atomic():
                row.delete_instance()
            if parse_file(row.file) is not None:  # a hand-edited name never points outside root
                absolute(str(root), row.file).unlink(missing_ok=True)
            expired += 1
        if old:
            log.info("tenant %s: %d recordings past %d days deleted", tenant_id, len(old),
                     retention.get(tenant_id, DEFAULT_RETENTION_DAYS))
    return expired
