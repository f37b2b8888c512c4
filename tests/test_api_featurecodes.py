"""Feature codes and pickup groups through the REST API: the admin's table, the user's read, bad
codes refused naming the field, and another tenant's that does not exist for the caller."""
from __future__ import annotations

from fs_plugins.models.featurecodes import FeatureCode, PickupMember
from tests.api_world import OTHER, OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)

CODES = f"/api/v1/tenants/{OWN}/feature-codes"


def code(items, feature):
    return next(item["code"] for item in items if item["feature"] == feature)


def test_the_admin_changes_a_code_the_users_read_it_and_reset_brings_the_default_back(world, client):
    admin, user = world.headers("tenant-admin"), world.headers("user")
    changed = client.put(f"{CODES}/dnd_on", json={"code": "*4"}, headers=admin)
    assert changed.status_code == 200 and changed.json["code"] == "*4" and changed.json["default"] == "*78"
    assert code(client.get("/api/v1/me/feature-codes", headers=user).json["items"], "dnd_on") == "*4"
    assert client.delete(f"{CODES}/dnd_on", headers=admin).status_code == 204
    assert code(client.get(CODES, headers=admin).json["items"], "dnd_on") == "*78"
    assert client.delete(f"{CODES}/dnd_on", headers=admin).status_code == 404


def test_a_clashing_or_malformed_code_is_refused_naming_the_field_and_nothing_is_stored(world, client):
    admin = world.headers("tenant-admin")
    for feature, body, field in (("dnd_on", {"code": "*79"}, "code"), ("dnd_on", {"code": "*7${x}"}, "code"),
                                 ("nonsense", {"code": "*5"}, "feature")):
        refused = client.put(f"{CODES}/{feature}", json=body, headers=admin)
        assert refused.status_code == 422 and refused.json["field"] == field, refused.json
    assert FeatureCode.select().count() == 0


def test_a_user_cannot_change_codes_and_another_tenants_do_not_exist(world, client):
    assert client.put(f"{CODES}/dnd_on", json={"code": "*4"}, headers=world.headers("user")).status_code == 404  # a tenant URL: not theirs
    other = client.get(f"/api/v1/tenants/{OTHER}/feature-codes", headers=world.headers("tenant-admin"))
    assert other.status_code == 404


def test_pickup_groups_are_listed_and_set_per_user(world, client):
    admin = world.headers("tenant-admin")
    done = client.put(f"/api/v1/tenants/{OWN}/users/1001/pickup-group", json={"group": "Ventas"}, headers=admin)
    assert done.status_code == 200 and (done.json["extension"], done.json["group"]) == ("1001", "Ventas")
    listed = client.get(f"/api/v1/tenants/{OWN}/pickup-groups", headers=admin).json["items"]
    assert {(item["extension"], item["group"]) for item in listed} >= {("1001", "Ventas"), ("1002", "")}
    missing = client.put(f"/api/v1/tenants/{OWN}/users/2001/pickup-group", json={"group": "X"}, headers=admin)
    assert missing.status_code == 404 and PickupMember.select().count() == 1
