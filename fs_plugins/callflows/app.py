"""Custom call flows, the application layer: the catalog, enabling a flow for a tenant, routes.

  catalog           the operator's: every flow installed (packages, flows_dir) and what failed to load
  enable / disable  the operator allows a flow in a tenant, with tenant-wide settings
  routes            the tenant's admin attaches an allowed flow under a name, with per-route
                    settings and a fallback; ``flow:<name>`` then routes to it from numbers, IVR
                    keys, group overflow or closed targets and forwards
  records           what the tenant's flows stored (a survey's answers), for export
Secrets (settings of type secret) are never read back in clear, nor written to the audit log.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from fs_plugins import references
from fs_plugins.application import AppContext, Changed, require_admin, require_operator, tenant_in_scope
from fs_plugins.callflows import settings
from fs_plugins.callflows.catalog import Catalog, cached_catalog
from fs_plugins.callflows.kinds import DESTINATION, SECRET, Setting
from fs_plugins.callflows.lookup import find_route
from fs_plugins.callflows.records import CallFlow
from fs_plugins.csvsafe import neutralise
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import Tenant, database
from fs_plugins.models.callflows import FlowGrant, FlowRecord, FlowRoute, FlowRouteTarget
from fs_plugins.references import DestinationView


@dataclass(frozen=True)
class SettingView:
    name: str
    type: str
    default: Any
    required: bool
    help: str
    choices: tuple[str, ...]
    summary: str  # one line: "crm_url (url, required): where to look callers up"


@dataclass(frozen=True)
class FlowView:
    name: str
    description: str
    origin: str
    settings: tuple[SettingView, ...]


@dataclass(frozen=True)
class ProblemView:
    origin: str
    error: str


@dataclass(frozen=True)
class CatalogView:
    flows: tuple[FlowView, ...]
    problems: tuple[ProblemView, ...]


@dataclass(frozen=True)
class GrantView:
    tenant: str
    flow: str
    settings: Mapping[str, Any]  # tenant-wide values; secrets shown as "(set)"
    installed: bool  # False: the flow's package or file is gone; its routes go to their fallback
    description: str = ""
    declared: tuple[SettingView, ...] = ()  # what a route of it may set


@dataclass(frozen=True)
class RouteView:
    tenant: str
    id: int
    name: str
    flow: str
    destination: str  # what numbers and menus are routed to: "flow:<name>"
    settings: Mapping[str, Any]  # the route's own values; secrets shown as "(set)"
    fallback: DestinationView  # where the call goes if the flow fails, hangs or is gone
    enabled: bool  # the flow is installed and allowed for the tenant


@dataclass(frozen=True)
class RecordView:
    created_at: dt.datetime
    flow: str
    route: str
    call_uuid: str
    caller: str
    data: Mapping[str, Any]
    id: int = 0  # the order records were stored in (pages follow it)


@dataclass(frozen=True)
class StoredValues:
    """A grant's or a route's values as stored, for the tenant file (fs_plugins.tenantfile):
    destinations as stored (``user:17``, named in `destinations`), secrets left out (a file never
    holds one), and no settings at all for a flow no longer installed (which are secret is unknown)."""
    flow: str
    settings: Mapping[str, Any]
    destinations: frozenset[str] = frozenset()
    name: str = ""  # a route's
    fallback: str | None = None  # a route's, as stored; None: the tenant's general voicemail


GENERAL_VOICEMAIL = Destination("voicemail", "")


def catalog(ctx: AppContext) -> CatalogView:
    require_operator(ctx, "list the installed flows")
    found = _catalog(ctx)
    flows = tuple(FlowView(a.flow.name, a.flow.description, a.origin, tuple(_setting(s) for s in a.flow.settings))
                  for a in (found.flows[name] for name in found.names()))
    return CatalogView(flows, tuple(ProblemView(p.origin, p.error) for p in found.problems))


def list_grants(ctx: AppContext, tenant: str) -> list[GrantView]:
    owner = _admin(ctx, tenant, "read the tenant's flows")
    rows = FlowGrant.select().where(FlowGrant.tenant == owner).order_by(FlowGrant.flow)
    return [_grant_view(ctx, owner, row) for row in rows]


def enable_flow(ctx: AppContext, tenant: str, flow: str, values: Mapping[str, Any] | None = None,
                unset: tuple[str, ...] = (), enabled_only: bool = False) -> Changed[GrantView]:
    """Allow `flow` in the tenant (again: change its tenant-wide settings; `enabled_only`: only
    that, NotFound when the flow is not enabled there)."""
    owner = tenant_in_scope(ctx, tenant)
    require_operator(ctx, "enable flows for a tenant")
    row = FlowGrant.get_or_none(FlowGrant.tenant == owner, FlowGrant.flow == (flow or "").strip())
    if row is None and enabled_only:
        raise NotFound("flow", f"flow {flow!r} is not enabled for {owner.domain}")
    offered = settings.offered(_catalog(ctx), flow)
    checked = settings.check_values(offered, owner, values or {})
    with database.atomic():
        row = row or FlowGrant(tenant=owner, flow=offered.name)
        stored = {k: v for k, v in {**settings.loads(row.settings), **checked}.items() if k not in unset}
        row.settings = settings.dumps(stored)
        row.save()
        ctx.record("flow.enable", owner, f"flow {offered.name}", {"settings": _shown(offered, checked),
                                                                   "unset": list(unset) or None})
    return Changed(_grant_view(ctx, owner, row))


def disable_flow(ctx: AppContext, tenant: str, flow: str) -> Changed[GrantView]:
    """The tenant may no longer use `flow`; calls to its routes go to their fallbacks from now on."""
    owner = tenant_in_scope(ctx, tenant)
    require_operator(ctx, "disable flows for a tenant")
    row = FlowGrant.get_or_none(FlowGrant.tenant == owner, FlowGrant.flow == (flow or "").strip())
    if row is None:
        raise NotFound("flow", f"flow {flow!r} is not enabled for {owner.domain}")
    view = _grant_view(ctx, owner, row)
    with database.atomic():
        row.delete_instance()
        ctx.record("flow.disable", owner, f"flow {row.flow}")
    return Changed(view)


def stored_values(ctx: AppContext, tenant: str) -> tuple[list[StoredValues], list[StoredValues]]:
    """(the flows enabled for the tenant, its routes), each by name, as the tenant file writes them."""
    owner = _admin(ctx, tenant, "read the tenant's flows")
    found = _catalog(ctx)
    grants = [_stored(found.get(row.flow), row.flow, row.settings)
              for row in FlowGrant.select().where(FlowGrant.tenant == owner).order_by(FlowGrant.flow)]
    routes = [dataclasses.replace(_stored(found.get(row.flow), row.flow, row.settings), name=row.name,
                                  fallback=None if row.fallback is None else str(row.fallback))
              for row in FlowRoute.select().where(FlowRoute.tenant == owner).order_by(FlowRoute.name)]
    return grants, routes


def secret_settings(ctx: AppContext, flow: str) -> frozenset[str]:
    """The names of `flow`'s secret settings (none when it is not installed)."""
    found = _catalog(ctx).get(flow)
    return frozenset(s.name for s in found.settings if s.type == SECRET) if found else frozenset()


def _stored(flow: CallFlow | None, name: str, stored: str) -> StoredValues:
    if flow is None:
        return StoredValues(name, {})
    values = settings.loads(stored)
    kept = {k: v for k, v in values.items() if flow.setting(k) is not None and flow.setting(k).type != SECRET}
    return StoredValues(name, kept, frozenset(k for k in kept if flow.setting(k).type == DESTINATION))


def list_routes(ctx: AppContext, tenant: str) -> list[RouteView]:
    owner = _admin(ctx, tenant, "read the tenant's flow routes")
    rows = FlowRoute.select().where(FlowRoute.tenant == owner).order_by(FlowRoute.name)
    return [_route_view(ctx, owner, row) for row in rows]


def get_route(ctx: AppContext, tenant: str, route: str) -> RouteView:
    owner = _admin(ctx, tenant, "read the tenant's flow routes")
    return _route_view(ctx, owner, _find(owner, route))


def add_route(ctx: AppContext, tenant: str, name: str, flow: str, values: Mapping[str, Any] | None = None,
              fallback: str | None = None) -> Changed[RouteView]:
    """Attach an allowed flow under `name` (``flow:<name>``), with its settings and fallback."""
    owner = _admin(ctx, tenant, "attach flows")
    offered = settings.offered(_catalog(ctx), flow)
    grant = settings.grant(owner, offered.name)
    name = settings.check_route_name(owner, name)
    checked = settings.check_values(offered, owner, values or {})
    settings.check_required(offered, settings.loads(grant.settings), checked)
    with database.atomic():
        row = FlowRoute.create(tenant=owner, name=name, flow=offered.name, settings=settings.dumps(checked),
                               fallback=settings.fallback(owner, fallback))
        settings.write_targets(row, offered, checked)
        ctx.record("flow.attach", owner, f"flow route {name}", {"flow": offered.name, "fallback": fallback,
                                                                "settings": _shown(offered, checked)})
    return Changed(_route_view(ctx, owner, row))


def change_route(ctx: AppContext, tenant: str, route: str, *, name: str | None = None,
                 values: Mapping[str, Any] | None = None, unset: tuple[str, ...] = (),
                 fallback: str | None = None) -> Changed[RouteView]:
    """Rename, set or unset settings (unset: the tenant's value or the default applies), change
    the fallback ("" back to the tenant's general voicemail)."""
    owner = _admin(ctx, tenant, "change flow routes")
    row = _find(owner, route)
    offered = settings.offered(_catalog(ctx), row.flow)
    checked = settings.check_values(offered, owner, values or {})
    stored = {k: v for k, v in {**settings.loads(row.settings), **checked}.items() if k not in unset}
    settings.check_required(offered, settings.loads(settings.grant(owner, row.flow).settings), stored)
    with database.atomic():
        if name is not None:
            row.name = settings.check_route_name(owner, name, exclude=row.id)
        if fallback is not None:
            row.fallback = settings.fallback(owner, fallback)
        row.settings = settings.dumps(stored)
        row.save()
        settings.write_targets(row, offered, stored)
        ctx.record("flow.update", owner, f"flow route {row.name}", {
            "name": name, "fallback": fallback, "settings": _shown(offered, checked) or None, "unset": list(unset) or None})
    return Changed(_route_view(ctx, owner, row))


def remove_route(ctx: AppContext, tenant: str, route: str) -> Changed[RouteView]:
    """Refused while a number, menu, group or forward still routes to it."""
    owner = _admin(ctx, tenant, "remove flow routes")
    row = _find(owner, route)
    view = _route_view(ctx, owner, row)
    users = sorted({references.describe_row(r) for r in references.rows_referring_to(Destination("flow", str(row.id)))
                    if not (isinstance(r, FlowRouteTarget) and r.route_id == row.id)})
    if users:
        raise Conflict("route", f"flow route {row.name!r} is still reached from {', '.join(users)}; route those elsewhere first")
    with database.atomic():
        row.delete_instance(recursive=True)
        ctx.record("flow.detach", owner, f"flow route {row.name}")
    return Changed(view)


def list_records(ctx: AppContext, tenant: str, flow: str | None = None, since: dt.datetime | None = None,
                 after: str | None = None, limit: int | None = None) -> list[RecordView]:
    """What the tenant's flows stored, in the order they were stored (optionally one flow's, from
    `since` on, UTC); `after` a record's id (the next page starts past it), `limit` a page's size."""
    owner = _admin(ctx, tenant, "read what the tenant's flows stored")
    query = FlowRecord.select().where(FlowRecord.tenant == owner)
    if flow:
        query = query.where(FlowRecord.flow == flow)
    if since is not None:
        query = query.where(FlowRecord.created_at >= since.astimezone(dt.timezone.utc).replace(tzinfo=None))
    if after is not None:
        query = query.where(FlowRecord.id > _record_id(after))
    query = query.order_by(FlowRecord.id)
    if limit is not None:
        query = query.limit(limit)
    return [RecordView(r.created_at, r.flow, r.route, r.call_uuid, r.caller, settings.loads(r.data), r.id)
            for r in query]


def _record_id(after: str) -> int:
    """A page's cursor: a record id (any row id fits in a signed 64-bit integer, as both engines keep it)."""
    try:
        value = int(after)
    except ValueError:
        value = -1
    if not 0 <= value < 2 ** 63:
        raise InvalidInput("after", "not a cursor this API gave out; use the `next` value of a page")
    return value


def records_csv(ctx: AppContext, tenant: str, flow: str | None = None) -> Iterator[list[str]]:
    """The records as CSV rows (header first): when (UTC), flow, route, call, caller, then one
    column per value any record holds; every cell formula-safe."""
    records = list_records(ctx, tenant, flow)
    fields = sorted({key for record in records for key in record.data})
    yield ["time_utc", "flow", "route", "call_uuid", "caller", *fields]
    for r in records:
        yield [neutralise(v) for v in (r.created_at.isoformat(timespec="seconds"), r.flow, r.route, r.call_uuid,
                                       r.caller, *(r.data.get(f) for f in fields))]


def _admin(ctx: AppContext, domain: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner


def _find(owner: Tenant, reference: str) -> FlowRoute:
    row = find_route(owner, str(reference))
    if row is None:
        raise NotFound("route", f"no flow route {reference!r} in {owner.domain}")
    return row


def _catalog(ctx: AppContext) -> Catalog:
    return cached_catalog(ctx.config.flows_dir)


def _setting(s: Setting) -> SettingView:
    return SettingView(s.name, s.type, s.shown(s.default), s.required, s.help, s.choices, s.describe())


def _shown(flow: CallFlow | None, values: Mapping[str, Any], owner: Tenant | None = None) -> dict:
    """Values as a person reads them: secrets as "(set)", destinations by name (``user:1001 (Ana)``)."""
    if flow is None:
        return dict.fromkeys(values, "(set)")
    shown = {}
    for name, value in values.items():
        setting = flow.setting(name)
        if setting is not None and setting.type == DESTINATION and owner is not None and value:
            shown[name] = references.describe(owner, Destination.parse(value, name))
        else:
            shown[name] = setting.shown(value) if setting else value
    return shown


def _grant_view(ctx: AppContext, owner: Tenant, row: FlowGrant) -> GrantView:
    flow = _catalog(ctx).get(row.flow)
    return GrantView(owner.domain, row.flow, _shown(flow, settings.loads(row.settings), owner), flow is not None,
                     flow.description if flow else "", tuple(_setting(s) for s in flow.settings) if flow else ())


def _route_view(ctx: AppContext, owner: Tenant, row: FlowRoute) -> RouteView:
    flow = _catalog(ctx).get(row.flow)
    allowed = FlowGrant.select().where(FlowGrant.tenant == owner, FlowGrant.flow == row.flow).exists()
    fallback = references.view(owner, row.fallback or GENERAL_VOICEMAIL)
    return RouteView(owner.domain, row.id, row.name, row.flow, f"flow:{row.name}",
                     _shown(flow, settings.loads(row.settings), owner), fallback, flow is not None and allowed)
