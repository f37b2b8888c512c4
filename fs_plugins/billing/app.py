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


def billing_report(ctx: AppContext, month: str, tenant: str | None = None) -> list[BilledMenu]:
    """Every menu that existed at some moment of `month`, by tenant then creation; `tenant` None:
    every tenant (the operator's report)."""
    if tenant is None:
        require_operator(ctx, "read every tenant's billing")
    else:
        tenant = tenant_in_scope(ctx, tenant).domain
        require_admin(ctx, "read the billing report")
    return [BilledMenu(*row) for row in report.report(report.parse_month(month, "month"), tenant)]
