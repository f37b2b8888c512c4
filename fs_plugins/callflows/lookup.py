"""``flow:<route name>`` destinations: the DestinationKind the callflows plugin declares.

A route is resolved inside the tenant, and only while the operator allows its flow there: a
number, an IVR key, a group's overflow or a forward can point at a flow the tenant may use, never
at another tenant's route.
"""
from __future__ import annotations

from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.ids import parse_id
from fs_plugins.models.callflows import FlowGrant, FlowRoute
from fs_plugins.models.core import Tenant


def find_route(tenant: Tenant, reference: str) -> FlowRoute | None:
    """A route of the tenant by name, or by id when no route has that name."""
    reference = (reference or "").strip()
    row = FlowRoute.get_or_none(FlowRoute.tenant == tenant, FlowRoute.name == reference)
    if row is None and (row_id := parse_id(reference)) is not None:
        row = FlowRoute.get_or_none(FlowRoute.tenant == tenant, FlowRoute.id == row_id)
    return row


def resolve(tenant: Tenant, reference: str, field: str) -> Destination:
    row = find_route(tenant, reference)
    if row is None:
        raise InvalidInput(field, f"no flow route {reference!r} in {tenant.domain} (`centralita flow attach` adds one)")
    if not FlowGrant.select().where(FlowGrant.tenant == tenant, FlowGrant.flow == row.flow).exists():
        raise InvalidInput(field, f"flow {row.flow!r} is not enabled for {tenant.domain}")
    return Destination("flow", str(row.id))


def describe(tenant: Tenant, destination: Destination) -> str:
    row = FlowRoute.get_or_none(FlowRoute.tenant == tenant, FlowRoute.id == destination.object_id)
    return f"flow:{row.name}" if row else "flow:? (removed route)"
