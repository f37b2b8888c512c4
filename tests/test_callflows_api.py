"""Custom flows through the REST API: the tenant's admin attaches an enabled flow and routes a
number to it; bad settings name their field; secrets never come back."""
from __future__ import annotations

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
