"""What the provider bills a customer for a month: the IVR menus that existed at any moment of it,
and the call recordings kept of its calls (fs_plugins.billing.app, the same report as
`centralita billing report` and the API)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, request
from flask_babel import format_date

from fs_plugins.billing import app
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, page

bp = Blueprint("admin_billing", __name__)


@bp.get("/t/<domain>/billing")
@area(ADMIN)
def billing_page(domain: str):
    admin_tenant(domain, "read the billing report")
    month = request.args.get("month") or dt.date.today().strftime("%Y-%m")
    try:
        rows, outcome = app.billing_report(app_context(), month, domain), None
        recorded = app.recordings_report(app_context(), month, domain)
    except InvalidInput as exc:
        rows, recorded, outcome = [], [], Outcome.refused(exc)
    return page("admin/billing.html", outcome=outcome, domain=domain, month=month, rows=rows,
                recordings=recorded[0] if recorded else None,
                month_name=_month_name(month) if outcome is None else month)


def _month_name(month: str) -> str:
    """2026-12 as "diciembre 2026" / "December 2026" (the month was checked by the report)."""
    return format_date(dt.date(int(month[:4]), int(month[5:7]), 1), "LLLL y")
