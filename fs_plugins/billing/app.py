"""Billing, the application layer: the IVR menus each tenant is billed for in a month.

The operator reads every tenant's; a tenant's administrator only their own. A month is YYYY-MM
(InvalidInput names the field ``month``); times are UTC.
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins.application import AppContext, require_admin, require_operator, tenant_in_scope
from fs_plugins.billing import report


@dataclass(frozen=True)
class BilledMenu:
    tenant: str  # the tenant's domain
    menu: str
    created: str  # UTC, YYYY-MM-DD HH:MM
    deleted: str  # "" while the menu exists


@dataclass(frozen=True)
class BilledRecordings:
    tenant: str
    recordings: int  # kept recordings of calls started in the month
    size: int  # their bytes


def recordings_report(ctx: AppContext, month: str, tenant: str | None = None) -> list[BilledRecordings]:
    """Per tenant, the call recordings kept of the month's calls (scope as billing_report)."""
    return [BilledRecordings(*row) for row in report.recordings(report.parse_month(month, "month"),
                                                                _scope(ctx, tenant))]


def _scope(ctx: AppContext, tenant: str | None) -> str | None:
    if tenant is None:
        require_operator(ctx, "read every tenant's billing")
        return None
    domain = tenant_in_scope(ctx, tenant).domain
    require_admin(ctx, "read the billing report")
    return domain


def billing_report(ctx: AppContext, month: str, tenant: str | None = None) -> list[BilledMenu]:
    """Every menu that existed at some moment of `month`, by tenant then creation; `tenant` None:
    every tenant (the operator's report)."""
    return [BilledMenu(*row) for row in report.report(report.parse_month(month, "month"), _scope(ctx, tenant))]
