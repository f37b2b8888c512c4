"""Call recording through the REST API: the admin's list, download and delete, the user's own under
/me, options and policies refused naming the field with nothing stored, and another tenant's that
does not exist for the caller."""
from __future__ import annotations

from fs_plugins.models.recording import RecordingPolicy, RecordingSettings
from tests.api_world import OTHER, OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)

BASE = f"/api/v1/tenants/{OWN}"


def test_the_admin_lists_downloads_and_deletes_and_the_party_reads_their_own(world, client):
    admin, user = world.headers("tenant-admin"), world.headers("user")
    [item] = client.get(f"{BASE}/recordings", headers=admin).json["items"]
    assert item["id"] == world.own.recording and item["parties"] == [world.own.extension]
    assert [i["id"] for i in client.get("/api/v1/me/recordings", headers=user).json["items"]] == [item["id"]]
    got = client.get(f"/api/v1/me/recordings/{item['id']}/file", headers=user)
    assert got.status_code == 200 and got.data == b"RIFF" and got.mimetype == "audio/wav"
    assert client.get(f"/api/v1/me/recordings/{world.other.recording}/file", headers=user).status_code == 404
    assert client.get(f"{BASE}/recordings/{world.other.recording}/file", headers=admin).status_code == 404
    assert client.get(f"{BASE}/recordings?user={world.own.other_extension}", headers=admin).json["items"] == []
    assert client.delete(f"{BASE}/recordings/{item['id']}", headers={**admin, "If-Match": "*"}).status_code == 204
    assert client.get(f"{BASE}/recordings", headers=admin).json["items"] == []
    assert client.get(f"/api/v1/me/recordings/{item['id']}/file", headers=user).status_code == 404


def test_options_and_policies_are_changed_and_bad_values_refused_naming_the_field(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    assert client.get(f"{BASE}/recording-options", headers=admin).json == {"announce": False, "retention_days": 90}
    for body, field in (({"retention_days": 0}, "retention_days"), ({"announce": "maybe"}, "announce")):
        refused = client.patch(f"{BASE}/recording-options", json=body, headers=admin)
        assert refused.status_code == 422 and field in str(refused.json), refused.json
    assert RecordingSettings.select().count() == 0
    changed = client.patch(f"{BASE}/recording-options", json={"announce": True, "retention_days": 30}, headers=admin)
    assert changed.json == {"announce": True, "retention_days": 30}
    refused = client.put(f"{BASE}/recording-policies/groups/{world.own.group}", json={"mode": "outbound"},
                         headers=admin)
    assert refused.status_code == 422 and refused.json["field"] == "mode"
    assert client.put(f"{BASE}/recording-policies/users/9999", json={"mode": "all"}, headers=admin).status_code == 404
    assert RecordingPolicy.select().count() == 0
    put = client.put(f"{BASE}/recording-policies/users/{world.own.extension}", json={"mode": "on_demand"},
                     headers=admin)
    assert put.json == {"user": world.own.extension, "group": "", "mode": "on_demand"}
    assert client.get(f"{BASE}/recording-policies", headers=admin).json["items"] == [put.json]
    assert client.get(f"/api/v1/tenants/{OTHER}/recording-policies", headers=admin).status_code == 404
