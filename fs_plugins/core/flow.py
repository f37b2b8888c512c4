"""The core's gate before every ESL flow: a suspended tenant's call runs none of its flows.

The dialplan already refuses a suspended customer's calls (xml_curl/dialplan.py); this catches a
call routed to a flow just before the operator suspended the tenant, and any flow that hands a call
on inside the tenant. The call is hung up with the configured suspension cause, unanswered."""
from __future__ import annotations

from fs_plugins.channel import SessionInfo
from fs_plugins.models import Tenant
from fs_plugins.plugins import FlowWiring
from fs_plugins.suspension import Suspension


def suspended_tenant_gate(wiring: FlowWiring):
    cause = Suspension.from_config(wiring.config).cause

    def gate(info: SessionInfo) -> str | None:
        suspended = Tenant.select(Tenant.suspended).where(Tenant.domain == info.tenant).scalar()
        return cause if suspended else None

    return gate
