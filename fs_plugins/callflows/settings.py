"""Custom flows' settings and routes checked against the database (inside the app's transaction).

A value is checked against the setting the flow declares (fs_plugins.callflows.kinds); a
destination setting and a route's fallback are resolved inside the tenant (fs_plugins.references),
so no route can point into another tenant. Errors name the API's field: ``settings.<name>``,
``fallback``, ``flow``, ``name``.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from fs_plugins import references
from fs_plugins.callflows.catalog import Catalog
from fs_plugins.callflows.kinds import DESTINATION, check_flow_name
from fs_plugins.callflows.records import CallFlow
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import Tenant
from fs_plugins.models.callflows import FlowGrant, FlowRoute, FlowRouteTarget


def offered(catalog: Catalog, name: str, field: str = "flow") -> CallFlow:
    flow = catalog.get(check_flow_name(name, field))
    if flow is None:
        raise NotFound(field, f"no flow {name!r} is installed (see `centralita flow list`)")
    return flow


def check_values(flow: CallFlow, tenant: Tenant, values: Mapping[str, Any]) -> dict:
    """`values` typed or sent for `flow`'s settings -> the values to store."""
    checked = {}
    for name, raw in values.items():
        field = f"settings.{name}"
        setting = flow.setting(name)
        if setting is None:
            known = ", ".join(s.name for s in flow.settings) or "none"
            raise InvalidInput(field, f"flow {flow.name} has no setting {name!r} (its settings: {known})")
        if setting.type == DESTINATION:
            checked[name] = str(references.resolve(tenant, "" if raw is None else str(raw), field))
        else:
            checked[name] = setting.check(raw, field)
    return checked


def write_targets(route: FlowRoute, flow: CallFlow, values: Mapping[str, Any]) -> None:
    """The route's destination settings as rows the "still routes to" checks see (inside the change's
    transaction)."""
    FlowRouteTarget.delete().where(FlowRouteTarget.route == route).execute()
    for setting in flow.settings:
        if setting.type == DESTINATION and values.get(setting.name):
            FlowRouteTarget.create(route=route, setting=setting.name, destination=values[setting.name])


def check_required(flow: CallFlow, tenant_values: Mapping[str, Any], route_values: Mapping[str, Any]) -> None:
    merged = {**tenant_values, **route_values}
    for setting in flow.settings:
        if setting.required and merged.get(setting.name, setting.default) in (None, ""):
            raise InvalidInput(f"settings.{setting.name}", f"flow {flow.name} needs this setting")


def grant(tenant: Tenant, flow: str, field: str = "flow") -> FlowGrant:
    row = FlowGrant.get_or_none(FlowGrant.tenant == tenant, FlowGrant.flow == flow)
    if row is None:
        raise InvalidInput(field, f"flow {flow!r} is not enabled for {tenant.domain} (the operator enables it)")
    return row


def check_route_name(tenant: Tenant, name: str, exclude: int | None = None) -> str:
    name = check_flow_name(name, "name")
    taken = FlowRoute.select().where(FlowRoute.tenant == tenant, FlowRoute.name == name)
    if exclude is not None:
        taken = taken.where(FlowRoute.id != exclude)
    if taken.exists():
        raise Conflict("name", f"{tenant.domain} already has a flow route named {name!r}")
    return name


def fallback(tenant: Tenant, text: str | None):
    """None or "" keeps the default (the tenant's general voicemail box)."""
    return references.resolve(tenant, text, "fallback") if text else None


def loads(text: str) -> dict:
    return json.loads(text or "{}")


def dumps(values: Mapping[str, Any]) -> str:
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True)
