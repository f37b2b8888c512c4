"""Custom flows through the REST API: the tenant's admin attaches an enabled flow and routes a
number to it; bad settings name their field; secrets never come back."""
from __future__ import annotations

import json

from fs_plugins.models import Tenant
from fs_plugins.models.callflows import FlowRecord
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)

BASE = "/api/v1/tenants/acme.example.com"


def test_an_admin_attaches_a_flow_and_routes_a_number_to_it(world, client):
    admin = world.headers("tenant-admin")
    created = client.post(f"{BASE}/flow-routes", headers=admin, json={
        "name": "boss_line", "flow": "pin_line", "settings": {"pin": "4321", "target": "user:1001", "tries": 2},
        "fallback": "hangup:CALL_REJECTED"})
    assert created.status_code == 201, created.json
    assert created.json["settings"] == {"pin": "(set)", "target": "user:1001 (Ana Uno)", "tries": 2}
    assert created.json["destination"] == "flow:boss_line" and created.json["enabled"] is True
    routed = client.patch(f"{BASE}/numbers/{world.own.number}", headers={**admin, "If-Match": "*"},
                          json={"destination": "flow:boss_line"})
    assert routed.status_code == 200, routed.json
    assert "4321" not in client.get(f"{BASE}/flow-routes", headers=admin).get_data(as_text=True)


def test_bad_settings_name_their_field_and_only_the_operator_enables_flows(world, client):
    admin = world.headers("tenant-admin")
    refused = client.post(f"{BASE}/flow-routes", headers=admin, json={
        "name": "boss_line", "flow": "pin_line", "settings": {"pin": ["4", "3"], "target": "user:1001"}})
    assert refused.status_code == 422 and refused.json["field"] == "settings.pin"
    not_enabled = client.post(f"{BASE}/flow-routes", headers=admin, json={
        "name": "crm", "flow": "crm_router", "settings": {}})
    assert not_enabled.status_code == 422 and not_enabled.json["field"] == "flow"
    assert client.post(f"{BASE}/flows", headers=admin, json={"flow": "crm_router"}).status_code == 404
    enabled = client.post(f"{BASE}/flows", headers=world.headers("operator"),
                          json={"flow": "crm_router", "settings": {"crm_url": "https://crm.example/lookup"}})
    assert enabled.status_code == 200 and enabled.json["settings"] == {"crm_url": "https://crm.example/lookup"}


def test_flow_records_page_by_keyset_inside_the_tenant_only(world, client):
    for domain, callers in ((world.own.domain, 5), (world.other.domain, 2)):
        tenant = Tenant.get(Tenant.domain == domain)
        for n in range(callers):
            FlowRecord.create(tenant=tenant, flow="survey" if n % 2 else "pin_line", route="r",
                              call_uuid=f"{domain}-{n}", caller=f"+3460000000{n}", data=json.dumps({"rating": n}))
    admin = world.headers("tenant-admin")
    seen, after = [], None
    while True:
        page = client.get(f"{BASE}/flow-records", headers=admin, query_string={"limit": 2, **({"after": after} if after
                                                                                                  else {})})
        assert page.status_code == 200, page.json
        assert len(page.json["items"]) <= 2
        seen += [item["call_uuid"] for item in page.json["items"]]
        after = page.json["next"]
        if after is None:
            break
    assert seen == [f"{world.own.domain}-{n}" for n in range(5)]
    surveys = client.get(f"{BASE}/flow-records", headers=admin, query_string={"flow": "survey", "limit": 1})
    assert [i["data"] for i in surveys.json["items"]] == [{"rating": 1}] and surveys.json["next"]
    following = client.get(f"{BASE}/flow-records", headers=admin,
                           query_string={"flow": "survey", "after": surveys.json["next"]})
    assert [i["data"] for i in following.json["items"]] == [{"rating": 3}] and following.json["next"] is None
    for cursor in ("not-a-cursor!", "IjEuNSI", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"):  # "1.5", 23 nines
        bad = client.get(f"{BASE}/flow-records", headers=admin, query_string={"after": cursor})
        assert bad.status_code == 422 and bad.json["field"] == "after", cursor
