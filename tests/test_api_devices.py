"""Provisioned phones through the REST API: the admin adds one (its secret answered once and never
again), lists and removes them; bad input refused naming the field with nothing stored; another
tenant's do not exist."""
from __future__ import annotations

from fs_plugins.models.provisioning import Device
from tests.api_world import OTHER, OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)

BASE = f"/api/v1/tenants/{OWN}/devices"


def test_the_admin_adds_lists_and_removes_a_phone_and_its_secret_is_shown_once(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    added = client.post(BASE, json={"mac": "00:04:13:aa:bb:cc", "vendor": "snom", "user": "1001", "blf": ["1002"]},
                        headers=admin)
    assert added.status_code == 201, added.json
    assert (added.json["mac"], added.json["file"], added.json["blf"]) == ("000413aabbcc", "000413AABBCC.xml", ["1002"])
    listed = client.get(BASE, headers=admin)
    assert sorted(item["mac"] for item in listed.json["items"]) == ["000413aabbcc", world.own.mac]
    assert added.json["secret"] not in listed.get_data(as_text=True)
    assert client.delete(f"{BASE}/000413aabbcc", headers=admin).status_code == 204
    assert client.delete(f"{BASE}/{world.other.mac}", headers=admin).status_code == 404


def test_a_bad_phone_is_refused_naming_the_field_and_nothing_is_stored(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    before = Device.select().count()
    for body, field in (({"mac": "nonsense", "vendor": "snom", "user": "1001"}, "mac"),
                        ({"mac": "00:04:13:aa:bb:cc", "vendor": "snom", "user": "1001", "blf": ["2001"]}, "blf")):
        refused = client.post(BASE, json=body, headers=admin)
        assert refused.status_code in (404, 422) and refused.json["field"] == field, refused.json
    taken = client.post(BASE, json={"mac": world.own.mac, "vendor": "snom", "user": "1001"}, headers=admin)
    assert taken.status_code == 409 and taken.json["field"] == "mac"
    assert Device.select().count() == before
    assert client.get(f"/api/v1/tenants/{OTHER}/devices", headers=admin).status_code == 404
    assert client.get(BASE, headers=world.headers("user")).status_code == 404


def test_the_admin_changes_a_phones_keys_and_bad_keys_are_refused_with_nothing_stored(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    mac = world.own.mac
    changed = client.patch(f"{BASE}/{mac}", json={"blf": ["1001"], "general_mwi": True}, headers=admin)
    assert changed.status_code == 200, changed.json
    assert (changed.json["blf"], changed.json["general_mwi"]) == (["1001"], True)
    refused = client.patch(f"{BASE}/{mac}", json={"blf": ["2001"]}, headers=admin)
    assert refused.status_code == 404 and refused.json["field"] == "blf", refused.json
    assert (Device.get(Device.mac == mac).blf, Device.get(Device.mac == mac).general_mwi) == ("1001", True)
    assert client.patch(f"{BASE}/{world.other.mac}", json={"blf": []}, headers=admin).status_code == 404
    assert client.patch(f"{BASE}/{mac}", json={"blf": []}, headers=world.headers("user")).status_code == 404


def test_the_admin_gives_a_phone_to_another_user_or_vendor_and_conflicts_name_the_field(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    mac, first = world.own.mac, world.own.extension  # the phone is the second user's; the first has none
    moved = client.patch(f"{BASE}/{mac}", json={"user": first}, headers=admin)
    assert moved.status_code == 200, moved.json
    assert moved.json["user"] == first and len(moved.json["secret"]) > 20  # the phone's new password, once
    assert moved.json["secret"] not in client.get(BASE, headers=admin).get_data(as_text=True)
    vendor = client.patch(f"{BASE}/{mac}", json={"vendor": "snom"}, headers=admin)
    assert (vendor.json["vendor"], vendor.json["file"]) == ("snom", f"{mac.upper()}.xml") and "secret" not in vendor.json
    added = client.post(BASE, json={"mac": "00:04:13:aa:bb:cc", "vendor": "snom", "user": world.own.other_extension},
                        headers=admin)
    assert added.status_code == 201
    before = [(d.mac, d.user.extension, d.vendor, d.secret_digest) for d in Device.select().order_by(Device.mac)]
    for body, status, field in (({"user": first}, 409, "user"), ({"user": "2001"}, 404, "user"),
                                ({"vendor": "polycom"}, 422, "vendor")):
        refused = client.patch(f"{BASE}/000413aabbcc", json=body, headers=admin)
        assert refused.status_code == status and field in str(refused.json), refused.json
    assert first in client.patch(f"{BASE}/000413aabbcc", json={"user": first}, headers=admin).json["detail"]
    assert [(d.mac, d.user.extension, d.vendor, d.secret_digest) for d in Device.select().order_by(Device.mac)] == before
    assert client.patch(f"{BASE}/{world.other.mac}", json={"user": first}, headers=admin).status_code == 404
    assert client.patch(f"/api/v1/tenants/{OTHER}/devices/{world.other.mac}", json={"user": first},
                        headers=admin).status_code == 404
    assert client.patch(f"{BASE}/{mac}", json={"user": first}, headers=world.headers("user")).status_code == 404
