"""IVR menus through the API: created with options, changed under If-Match, options set and removed
one key at a time, and a menu something routes to cannot be removed (409)."""
from __future__ import annotations

from urllib.parse import quote

from fs_plugins.models.ivr import IvrMenu, IvrOption
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)

BASE = "/api/v1/tenants/acme.example.com/ivr"


def test_an_admin_builds_a_menu_and_routes_a_number_to_it(world, client):
    admin = world.headers("tenant-admin")
    created = client.post(BASE, json={"name": "Recepción", "options": {"1": "user:1001", "#": "voicemail:"},
                                      "short_number": "800", "numbers": [world.own.number], "move_numbers": True,
                                      "exit": "voicemail:"}, headers=admin)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == f"{BASE}/{quote('Recepción')}" and created.headers["ETag"]
    menu = created.json
    assert [o["key"] for o in menu["options"]] == ["#", "1"] and menu["options"][1]["label"].startswith("user:1001")
    assert menu["short_numbers"] == ["800"] and menu["numbers"] == [world.own.number]
    assert menu["exit"]["destination"] == "voicemail:"
    listed = client.get(BASE, headers=admin).json["items"]
    assert [m["name"] for m in listed] == ["Ana menú", "Recepción"]
    assert client.get(f"{BASE}/{menu['id']}", headers=admin).json["name"] == "Recepción"  # by id too

    # Routed to by a DID and a short number: refused, naming them; nothing removed.
    refused = client.delete(f"{BASE}/Recepción", headers=admin)
    assert refused.status_code == 409 and refused.json["field"] == "menu", refused.json
    assert world.own.number in refused.json["detail"]
    assert IvrMenu.get(IvrMenu.name == "Recepción").deleted_at is None


def test_options_are_set_and_removed_one_key_at_a_time(world, client):
    admin = world.headers("tenant-admin")
    url = f"{BASE}/{quote(world.own.menu)}"
    put = client.put(f"{url}/options/{quote('#')}", json={"destination": "user:1002"}, headers=admin)
    assert put.status_code == 200 and put.json["key"] == "#" and put.json["label"].startswith("user:1002")
    keys = [o["key"] for o in client.get(f"{url}/options", headers=admin).json["items"]]
    assert keys == ["#", "1", "2"]
    assert client.delete(f"{url}/options/1", headers=admin).status_code == 204
    assert client.delete(f"{url}/options/1", headers=admin).status_code == 404
    assert client.delete(f"{url}/options/2", headers=admin).status_code == 204
    last = client.delete(f"{url}/options/{quote('#')}", headers=admin)  # a menu needs one option
    assert last.status_code == 422 and last.json["field"] == "options"
    assert IvrOption.select().join(IvrMenu).where(IvrMenu.name == world.own.menu).count() == 1


def test_two_admins_cannot_overwrite_each_others_menu_changes(world, client):
    admin = world.headers("tenant-admin")
    url = f"{BASE}/{quote(world.own.menu)}"
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.patch(url, json={"timeout": 9}, headers=admin).status_code == 428
    first = client.patch(url, json={"timeout": 9, "remove_options": ["2"]}, headers={**admin, "If-Match": etag})
    assert first.status_code == 200 and first.json["timeout"] == 9 and len(first.json["options"]) == 1
    assert first.headers["ETag"] != etag
    second = client.patch(url, json={"loops": 5}, headers={**admin, "If-Match": etag})
    assert second.status_code == 412
    renamed = client.patch(url, json={"name": "Principal"}, headers={**admin, "If-Match": first.headers["ETag"]})
    assert renamed.status_code == 200 and client.get(f"{BASE}/Principal", headers=admin).status_code == 200
    assert client.delete(f"{BASE}/Principal", headers={**admin, "If-Match": etag}).status_code == 412
    assert client.delete(f"{BASE}/Principal", headers=admin).status_code == 204
    assert client.get(f"{BASE}/Principal", headers=admin).status_code == 404


def test_a_menu_change_is_audited(world, client):
    admin = world.headers("tenant-admin")
    client.post(BASE, json={"name": "Soporte", "options": {"1": "user:1001"}}, headers=admin)
    entries = client.get("/api/v1/tenants/acme.example.com/audit", headers=admin).json["items"]
    assert any(e["action"] == "ivr.add" and e["target"] == "ivr Soporte" for e in entries), entries
