"""A customer's custom call flows: the flows the operator allows it, with the settings each takes,
and its routes (what numbers, menus and forwards reach as flow:NAME): attach one, remove one.
Everything goes through fs_plugins.callflows.app; the operator enables flows on the customer's
flows page (operator_flows), from the CLI or the API."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from fs_plugins.callflows import app
from fs_plugins.errors import InvalidInput
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_flows", __name__)
FIELDS = ("flow", "name", "settings", "fallback")


def _page(domain: str, outcome: Outcome | None = None, values: dict | None = None):
    ctx = app_context()
    return page("admin/flows.html", outcome=outcome, domain=domain, values=values or {},
                grants=app.list_grants(ctx, domain), routes=app.list_routes(ctx, domain))


@bp.get("/t/<domain>/flows")
@area(ADMIN)
def flows(domain: str):
    admin_tenant(domain, "manage the tenant's call flows")
    return _page(domain)


@bp.post("/t/<domain>/flows")
@area(ADMIN)
def attach(domain: str):
    admin_tenant(domain, "manage the tenant's call flows")
    form = {name: request.form.get(name, "").strip() for name in FIELDS}

    def add():
        values = settings_lines(form["settings"])
        return app.add_route(app_context(), domain, form["name"] or form["flow"], form["flow"], values,
                             form["fallback"] or None).value

    outcome = settings_errors(attempt(add, lambda route: _("%(route)s attached.", route=route.destination)))
    return _page(domain, outcome, form if not outcome.ok else None)


@bp.post("/t/<domain>/flows/<route>")
@area(ADMIN)
def change(domain: str, route: str):
    admin_tenant(domain, "manage the tenant's call flows")
    text = request.form.get("settings", "")

    def save():
        lines = settings_lines(text)
        values = {name: value for name, value in lines.items() if value}
        unset = tuple(name for name, value in lines.items() if not value)
        return app.change_route(app_context(), domain, route, values=values, unset=unset,
                                fallback=request.form.get("fallback", "").strip()).value

    outcome = settings_errors(attempt(save, lambda done: _("%(route)s changed.", route=done.destination)))
    return _page(domain, outcome, {"route": route, "settings": text} if not outcome.ok else None)


@bp.post("/t/<domain>/flows/<route>/delete")
@area(ADMIN)
def detach(domain: str, route: str):
    admin_tenant(domain, "manage the tenant's call flows")
    outcome = attempt(lambda: app.remove_route(app_context(), domain, route).value,
                      lambda removed: _("%(route)s removed.", route=removed.destination))
    return _page(domain, outcome)


def settings_errors(outcome: Outcome) -> Outcome:
    """An error of one setting (settings.pin) shows under the settings box, naming the setting."""
    outcome.errors = {("settings" if key.startswith("settings.") else key):
                      (f"{key[9:]}: {text}" if key.startswith("settings.") else text)
                      for key, text in outcome.errors.items()}
    return outcome


def settings_lines(text: str) -> dict[str, str]:
    """One NAME=VALUE a line, as the settings box takes them."""
    values = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidInput("settings", _("write one NAME=VALUE a line, not %(line)s", line=line.strip()))
        values[name.strip()] = value.strip()
    return values
