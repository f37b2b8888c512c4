"""Unassigned calls: stored CDR legs that are in no one's call log, for the operator to see.

FreeSWITCH was told "stored" for every leg it posted (or the sweep imported it), so a call that
matched no tenant is kept, not lost: a DID nobody owns, a call while Centralita was down (its CDR
then names no tenant), a tenant created after its calls, or legs still waiting for their A leg.
`centralita calls unassigned` lists them with the reason; after creating the tenant,
`centralita cdr reclassify` files them into its log. Calls Centralita places for itself (a prompt
recorded by phone) are in no log by design and are not listed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from fs_plugins import channel_vars
from fs_plugins.calllog.classify import SYSTEM_FLOWS, classify
from fs_plugins.calllog.parse import LegFacts
from fs_plugins.calllog.store import sql_for

_UNLOGGED = (
    "SELECT l.call_id, MIN(l.received_at), COUNT(*) FROM cdr_leg l"
    " WHERE NOT EXISTS (SELECT 1 FROM call_entry e WHERE e.call_id = l.call_id)"
    " GROUP BY l.call_id ORDER BY MIN(l.received_at) DESC, l.call_id LIMIT ?"
)


@dataclass(frozen=True)
class UnassignedCall:
    call_id: str
    received_at: datetime | str
    legs: int
    tenant: str  # as the legs name it, "" when none does
    caller: str
    dialled: str
    reason: str


def unassigned_calls(db: peewee.Database, limit: int = 100) -> list[UnassignedCall]:
    """The newest `limit` stored calls that produced no call-log entry, newest first."""
    rows = db.execute_sql(sql_for(db, _UNLOGGED), (int(limit),)).fetchall()
    found = []
    for call_id, received_at, legs in rows:
        facts = [LegFacts.from_json(row[0]) for row in db.execute_sql(
            sql_for(db, "SELECT facts FROM cdr_leg WHERE call_id = ?"), (call_id,)).fetchall()]
        a_leg = next((leg for leg in facts if leg.is_a_leg), None)
        if a_leg is not None and a_leg.var(channel_vars.FLOW) in SYSTEM_FLOWS:
            continue
        call = classify(facts)
        tenant = call.tenant if call else next((leg.var(channel_vars.TENANT) for leg in facts
                                                if leg.var(channel_vars.TENANT)), "")
        found.append(UnassignedCall(
            call_id=call_id, received_at=received_at, legs=legs, tenant=tenant,
            caller=a_leg.caller_number if a_leg else "", dialled=_dialled(a_leg),
            reason=_reason(db, call, tenant)))
    return found


def _dialled(a_leg: LegFacts | None) -> str:
    return a_leg.steps[0][1] if a_leg is not None and a_leg.steps else ""


def _reason(db: peewee.Database, call, tenant: str) -> str:
    if call is None:
        return "its A leg was not posted (yet)"
    if not tenant:
        return "names no tenant (a number nobody owns, or a call while Centralita was down)"
    known = db.execute_sql(sql_for(db, "SELECT 1 FROM tenant WHERE domain = ?"), (tenant,)).fetchone()
    if not known:
        return f"tenant {tenant} does not exist (create it, then `centralita cdr reclassify`)"
    return f"reached no user of {tenant}"
