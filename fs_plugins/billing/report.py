"""Billing: per tenant, the IVR menus that existed at any moment of a month (UTC).

A menu is billed for a month when it was created before the month ended and not deleted before
the month began; deleted menus stay as rows with `deleted_at` for exactly this.
"""
from __future__ import annotations

import datetime as dt
import re

import peewee

from fs_plugins.errors import InvalidInput
from fs_plugins.models.core import Tenant
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.models.recording import Recording

_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")


def parse_month(text: str, field: str = "month") -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) for YYYY-MM."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidInput(field, f"expected YYYY-MM (e.g. 2026-03), got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1)
    return start, end


def report(month: tuple[dt.datetime, dt.datetime], tenant_domain: str | None = None) -> list[tuple]:
    """(tenant domain, menu name, created, deleted or '') rows, by tenant then creation."""
    start, end = month
    query = (IvrMenu.select(IvrMenu, Tenant).join(Tenant)
             .where(IvrMenu.created_at < end, IvrMenu.deleted_at.is_null() | (IvrMenu.deleted_at >= start))
             .order_by(Tenant.domain, IvrMenu.created_at, IvrMenu.id))
    if tenant_domain:
        query = query.where(Tenant.domain == tenant_domain.strip().lower())
    return [(row.tenant.domain, row.name, _when(row.created_at), _when(row.deleted_at) if row.deleted_at else "")
            for row in query]


def recordings(month: tuple[dt.datetime, dt.datetime], tenant_domain: str | None = None) -> list[tuple]:
    """(tenant domain, recordings, bytes) of the calls started in the month whose recordings are
    kept (fs_plugins/recording: filed by the sweep, deleted after the tenant's retention)."""
    start, end = (int(edge.replace(tzinfo=dt.timezone.utc).timestamp()) for edge in month)
    query = (Recording.select(Tenant.domain, peewee.fn.COUNT(Recording.id), peewee.fn.SUM(Recording.size))
             .join(Tenant).where(Recording.started_at >= start, Recording.started_at < end)
             .group_by(Tenant.domain).order_by(Tenant.domain))
    if tenant_domain:
        query = query.where(Tenant.domain == tenant_domain.strip().lower())
    return [(domain, int(count), int(size or 0)) for domain, count, size in query.tuples()]


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
