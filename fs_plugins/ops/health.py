"""Is this process ready to serve: the checks behind /readyz, the metrics' gauges and `doctor`.

Each check answers a `Check(name, ok, detail)`; `detail` is fit for an anonymous caller of
/readyz (no addresses, no error text: those go to the log, once per change of state).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import peewee

from fs_plugins import db as dbmod
from fs_plugins import plugins
from fs_plugins.errors import NotFound
from fs_plugins.fsapi import FreeswitchApi, FreeswitchUnavailable
from fs_plugins.models import database
from fs_plugins.models.core import Tenant
from fs_plugins.models.groups import CallGroup

log = logging.getLogger(__name__)
SOCKET_CACHE_SECONDS = 10.0  # a scrape every 15 s must not open a connection to FreeSWITCH each time


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database_check(db: peewee.Database | None = None) -> tuple[Check, Exception | None]:
    started = time.perf_counter()
    try:
        (db or database.obj).execute_sql("SELECT 1").fetchall()
    except Exception as exc:  # any failure means the database is not usable
        return Check("database", False, "not reachable"), exc
    return Check("database", True, f"answers in {1000 * (time.perf_counter() - started):.1f} ms"), None


def schema_check(db: peewee.Database | None = None) -> tuple[Check, Exception | None]:
    """Every installed component recorded at the version this code expects."""
    try:
        recorded = dbmod.schema_versions(db or database.obj)
    except Exception as exc:  # noqa: BLE001 - unreachable is the database check's to report
        return Check("schema", False, "cannot be read"), exc
    behind = [f"{name} {recorded.get(name, 0)} < {dbmod.latest_version(steps)}"
              for name, _models, steps in plugins.installed().components
              if recorded.get(name, 0) < dbmod.latest_version(steps)]
    if behind:
        return Check("schema", False, "behind the code: " + ", ".join(behind) + " (run `centralita db upgrade`)"), None
    return Check("schema", True, f"{len(recorded)} components current"), None


def event_socket_check(config) -> tuple[Check, Exception | None]:
    if not config.fs_event_socket_port:
        return Check("freeswitch_event_socket", True, "not configured (fs_event_socket_port = 0)"), None
    try:
        status = FreeswitchApi(config, timeout=2.0).api("status")
    except FreeswitchUnavailable as exc:
        return Check("freeswitch_event_socket", False, "not reachable or refused the password"), exc
    first = status.splitlines()[0] if status else ""
    return Check("freeswitch_event_socket", True, first[:120] or "answers"), None


class Probes:
    """The checks of one process, remembering the last event-socket answer for a few seconds and
    logging a failure (with its reason) when a check's state changes, not on every poll."""

    def __init__(self, config, clock=time.monotonic):
        self.config = config
        self.clock = clock
        self._socket: tuple[float, Check] | None = None
        self._last: dict[str, bool] = {}

    def checks(self) -> list[Check]:
        return [self._logged(*database_check()), self._logged(*schema_check()), self._event_socket()]

    def up(self) -> dict[str, bool]:
        return {check.name: check.ok for check in self.checks()}

    def _event_socket(self) -> Check:
        now = self.clock()
        if self._socket is None or now - self._socket[0] >= SOCKET_CACHE_SECONDS:
            self._socket = (now, self._logged(*event_socket_check(self.config)))
        return self._socket[1]

    def _logged(self, check: Check, reason: Exception | None) -> Check:
        before = self._last.get(check.name)
        if before != check.ok:
            self._last[check.name] = check.ok
            if not check.ok:
                log.warning("readiness: %s %s: %s", check.name, check.detail, reason)
            elif before is not None:
                log.warning("readiness: %s is back: %s", check.name, check.detail)
        return check

    def pool(self) -> tuple[int, int] | None:
        """(connections in use, limit) when the database is a connection pool, else None."""
        db = database.obj
        in_use, limit = getattr(db, "_in_use", None), getattr(db, "_max_connections", None)
        if in_use is None or limit is None:
            return None
        return len(in_use), limit

    def queue_lengths(self, esl_servers) -> dict[tuple[str, int], int]:
        """Callers waiting per (tenant domain, group id) in this process's group queues."""
        lengths: dict[int, int] = {}
        for server in esl_servers:
            try:
                flow = server.registry.get("group")
            except NotFound:
                continue
            queues = getattr(getattr(flow, "services", None), "queues", None)
            for group_id, count in (queues.lengths() if queues is not None else {}).items():
                lengths[group_id] = lengths.get(group_id, 0) + count
        if not lengths:
            return {}
        domains = dict(CallGroup.select(CallGroup.id, Tenant.domain).join(Tenant)
                       .where(CallGroup.id.in_(list(lengths))).tuples())
        return {(domains.get(group_id, "unknown"), group_id): count for group_id, count in lengths.items()}
