"""The operator's page of a customer's custom call flows: every installed flow (and what failed to
load), which ones the customer may use, with their customer-wide settings; enable one, change its
settings, disable it. Everything goes through fs_plugins.callflows.app (audited as from the CLI or
the API); the customer's admins attach the enabled flows on their own page (admin_flows)."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from fs_plugins.callflows import app
from fs_plugins.core import app as core
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import OPERATOR, area
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.portal.views.admin_flows import settings_errors, settings_lines

bp = Blueprint("operator_flows", __name__)


def _page(domain: str, outcome: Outcome | None = None, values: dict | None = None):
    ctx = app_context()
    customer = core.show_tenant(ctx, domain).tenant  # NotFound (404) for a domain nobody has
    grants = {grant.flow: grant for grant in app.list_grants(ctx, domain)}
    found = app.catalog(ctx)
    return page("operator/flows.html", outcome=outcome, customer=customer, catalog=found, grants=grants,
                gone=[grant for name, grant in grants.items() if not grant.installed], values=values or {})


@bp.get("/operator/tenants/<domain>/flows")
@area(OPERATOR)
def flows(domain: str):
    return _page(domain)


@bp.post("/operator/tenants/<domain>/flows")
@area(OPERATOR)
def enable(domain: str):
    form = {name: request.form.get(name, "").strip() for name in ("flow", "settings")}
    outcome = settings_errors(attempt(
        lambda: app.enable_flow(app_context(), domain, form["flow"], settings_lines(form["settings"])).value,
        lambda grant: _("%(flow)s enabled for %(domain)s.", flow=grant.flow, domain=grant.tenant)))
    return _page(domain, outcome, {**form, "editing": form["flow"]} if not outcome.ok else None)


@bp.post("/operator/tenants/<domain>/flows/<flow>")
@area(OPERATOR)
def change(domain: str, flow: str):
    text = request.form.get("settings", "")

    def save():
        lines = settings_lines(text)
        return app.enable_flow(app_context(), domain, flow, {k: v for k, v in lines.items() if v},
                               unset=tuple(k for k, v in lines.items() if not v), enabled_only=True).value

    outcome = settings_errors(attempt(save, lambda grant: _("Settings of %(flow)s changed.", flow=grant.flow)))
    return _page(domain, outcome, {"editing": flow, "settings": text} if not outcome.ok else None)


@bp.post("/operator/tenants/<domain>/flows/<flow>/delete")
@area(OPERATOR)
def disable(domain: str, flow: str):
    outcome = attempt(lambda: app.disable_flow(app_context(), domain, flow).value,
                      lambda grant: _("%(flow)s disabled for %(domain)s: calls to its routes go to their fallback.",
                                      flow=grant.flow, domain=grant.tenant))
    return _page(domain, outcome)
