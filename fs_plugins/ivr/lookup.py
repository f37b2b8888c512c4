"""``ivr:<name or id>`` destinations: the DestinationKind the ivr plugin declares (plugin.py)."""
from __future__ import annotations

from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.ids import parse_id
from fs_plugins.models.core import Tenant
from fs_plugins.models.ivr import IvrMenu


def find_menu(tenant: Tenant, reference: str) -> IvrMenu | None:
    """A live menu of the tenant by name, or by id when no menu has that name."""
    reference = (reference or "").strip()
    live = (IvrMenu.tenant == tenant) & IvrMenu.deleted_at.is_null()
    row = IvrMenu.get_or_none(live & (IvrMenu.name == reference))
    if row is None and (row_id := parse_id(reference)) is not None:
        row = IvrMenu.get_or_none(live & (IvrMenu.id == row_id))
    return row


def resolve(tenant: Tenant, reference: str, field: str) -> Destination:
    row = find_menu(tenant, reference)
    if row is None:
        raise InvalidInput(field, f"no IVR menu {reference!r} in {tenant.domain}")
    return Destination("ivr", str(row.id))


def describe(tenant: Tenant, destination: Destination) -> str:
    row = IvrMenu.get_or_none(IvrMenu.tenant == tenant, IvrMenu.id == destination.object_id,
                              IvrMenu.deleted_at.is_null())
    return f"ivr:{row.name}" if row else "ivr:? (deleted menu)"
