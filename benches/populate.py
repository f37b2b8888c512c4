"""The rows of the bench data sets (what they hold is described in benches/datasets.py)."""
from __future__ import annotations

import random

from benches.datasets import (DIDS_PER_TENANT, GROUP_DID, GROUP_MEMBERS, IVR_DID, NOW, YEAR_START, Scale,
                              contact_e164, contact_tenant, did, user_id)
from fs_plugins.models import Number, ShortNumber, Tenant, User
from fs_plugins.models.callhandling import CallHandling, OutboundRestriction, SimRing
from fs_plugins.models.calllog import CallEntry, CdrLeg
from fs_plugins.models.contacts import Contact, ContactNumber
from fs_plugins.models.groups import CallGroup, GroupMember
from fs_plugins.models.ivr import IvrMenu, IvrOption
from fs_plugins.models.voicemail import VoicemailBox

A1_HASH = "5f4dcc3b5aa765d61d8327deb882cf99"


def tenants_and_users(loader, scale: Scale) -> list[str]:
    loader.insert(Tenant, ({"id": t, "name": f"Tenant {t}", "domain": f"t{t}.example", "timezone": "Europe/Madrid",
                            "language": "es", "country": "ES", "created_at": NOW} for t in _tenants(scale)))
    loader.insert(User, ({"id": user_id(scale, t, u), "tenant_id": t, "extension": str(1000 + u),
                          "display_name": f"User {t}-{u}", "enabled": True, "a1_hash": A1_HASH,
                          "created_at": NOW, "updated_at": NOW}
                         for t in _tenants(scale) for u in range(scale.users)))
    return ["tenant", "user"]


def pbx(loader, scale: Scale) -> list[str]:
    """What the xml_curl paths read: users with boxes and call handling, menus, groups, DIDs, contacts."""
    tables = tenants_and_users(loader, scale)
    users = [(t, user_id(scale, t, u)) for t in _tenants(scale) for u in range(scale.users)]
    loader.insert(VoicemailBox, ({"id": uid, "tenant_id": t, "user_id": uid, "updated_at": NOW} for t, uid in users))
    loader.insert(CallHandling, ({"id": uid, "user_id": uid, "forward_no_answer": f"voicemail:{uid}",
                                  "no_answer_seconds": 25, "forward_busy": "number:+34911234567", "updated_at": NOW}
                                 for _, uid in users))
    loader.insert(SimRing, ({"id": uid, "user_id": uid, "destination": "number:+34600123456", "delay": 5,
                             "confirm": True, "created_at": NOW} for _, uid in users))
    loader.insert(OutboundRestriction, ({"id": t, "tenant_id": t, "allowed": "national,mobile", "updated_at": NOW}
                                        for t in _tenants(scale)))
    loader.insert(IvrMenu, ({"id": t, "tenant_id": t, "name": "Reception", "created_at": NOW, "updated_at": NOW}
                            for t in _tenants(scale)))
    loader.insert(IvrOption, (row for t in _tenants(scale) for row in (
        {"id": 2 * t - 1, "menu_id": t, "key": "1", "destination": f"user:{user_id(scale, t, 0)}"},
        {"id": 2 * t, "menu_id": t, "key": "2", "destination": f"group:{t}"})))
    loader.insert(CallGroup, ({"id": t, "tenant_id": t, "name": "Sales", "short_number": "600",
                               "created_at": NOW, "updated_at": NOW} for t in _tenants(scale)))
    loader.insert(GroupMember, ({"id": (t - 1) * GROUP_MEMBERS + m + 1, "group_id": t,
                                 "user_id": user_id(scale, t, m), "position": m}
                                for t in _tenants(scale) for m in range(min(GROUP_MEMBERS, scale.users))))
    loader.insert(ShortNumber, (row for t in _tenants(scale) for row in (
        {"id": 2 * t - 1, "tenant_id": t, "number": "500", "destination": f"ivr:{t}"},
        {"id": 2 * t, "tenant_id": t, "number": "600", "destination": f"group:{t}"})))
    loader.insert(Number, ({"id": (t - 1) * DIDS_PER_TENANT + d + 1, "tenant_id": t, "e164": did(t, d),
                            "destination": _did_destination(scale, t, d), "created_at": NOW}
                           for t in _tenants(scale) for d in range(DIDS_PER_TENANT)))
    loader.insert(Contact, ({"id": c, "tenant_id": contact_tenant(scale, c), "owner_id": _owner(scale, c),
                             "name": f"Contact {c}", "created_at": NOW, "updated_at": NOW}
                            for c in range(1, scale.contacts + 1)))
    loader.insert(ContactNumber, ({"id": c, "contact_id": c, "tenant_id": contact_tenant(scale, c), "kind": "mobile",
                                   "number": contact_e164(c)[3:], "e164": contact_e164(c)}
                                  for c in range(1, scale.contacts + 1)))
    return tables + ["voicemail_box", "call_handling", "sim_ring", "outbound_restriction", "ivr_menu", "ivr_option",
                     "call_group", "group_member", "short_number", "number", "contact", "contact_number"]


def calls(loader, scale: Scale) -> list[str]:
    """A call log already holding `scale.calls` calls (one entry and one CDR leg each), over a year;
    tenant 1 is a big customer with a tenth of them (what the CSV export reads)."""
    tables = tenants_and_users(loader, scale)
    rng = random.Random(1)
    kinds = (("made", "made", "outbound"), ("received", "received", "inbound"), ("missed", "missed", "inbound"))
    picks = [(1 if rng.random() < 0.1 else rng.randint(1, scale.tenants), rng.randrange(scale.users),
              YEAR_START + rng.randrange(365 * 86400)) for _ in range(scale.calls)]
    loader.insert(CdrLeg, ({"id": i + 1, "uuid": f"bench-{i:08d}", "call_id": f"bench-{i:08d}",
                            "tenant_domain": f"t{t}.example", "received_at": NOW, "facts": "{}"}
                           for i, (t, _, _) in enumerate(picks)))
    loader.insert(CallEntry, ({"id": i + 1, "tenant_id": t, "user_id": user_id(scale, t, u), "call_id": f"bench-{i:08d}",
                               "kind": kinds[i % 3][0], "status": kinds[i % 3][1], "direction": kinds[i % 3][2],
                               "started_at": started, "caller_name": "Ana", "caller_number": "+34911000111",
                               "callee": str(1000 + u), "answered_by": "", "ring_seconds": 3, "talk_seconds": 42}
                              for i, (t, u, started) in enumerate(picks)))
    return tables + ["cdr_leg", "call_entry"]


BUILDERS = {"pbx": pbx, "calls": calls}


def _tenants(scale: Scale) -> range:
    return range(1, scale.tenants + 1)


def _owner(scale: Scale, contact: int) -> int | None:
    """30 % of contacts are a user's own; the rest are the tenant's common directory."""
    if contact % 10 < 7:
        return None
    return user_id(scale, contact_tenant(scale, contact), (contact // scale.tenants) % scale.users)


def _did_destination(scale: Scale, tenant: int, index: int) -> str:
    if index == IVR_DID:
        return f"ivr:{tenant}"
    if index == GROUP_DID:
        return f"group:{tenant}"
    return f"user:{user_id(scale, tenant, index % scale.users)}"
