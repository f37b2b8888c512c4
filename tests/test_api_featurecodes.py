"""Feature codes and pickup groups through the REST API: the admin's table changed under If-Match,
the user's read, bad codes refused naming the feature and nothing stored, and another tenant's that
does not exist for the caller."""
from __future__ import annotations

from fs_plugins.models.featurecodes import FeatureCode, PickupMember
from tests.api_world import OTHER, OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)

CODES = f"/api/v1/tenants/{OWN}/feature-codes"


def code(items, feature):
    return next(item["code"] for item in items if item["feature"] == feature)


def test_the_admin_changes_codes_the_users_read_them_and_null_brings_the_default_back(world, client):
    admin, user = world.headers("tenant-admin"), world.headers("user")
    read = client.get(CODES, headers=admin)
    changed = client.patch(CODES, json={"dnd_on": "*4", "intercom": ""},
                           headers={**admin, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200
    assert (code(changed.json["items"], "dnd_on"), code(changed.json["items"], "intercom")) == ("*4", "")
    assert code(client.get("/api/v1/me/feature-codes", headers=user).json["items"], "dnd_on") == "*4"
    stale = client.patch(CODES, json={"dnd_on": "*5"}, headers={**admin, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    assert client.patch(CODES, json={"dnd_on": "*5"}, headers=admin).status_code == 428
    reset = client.patch(CODES, json={"dnd_on": None, "intercom": None}, headers={**admin, "If-Match": "*"})
    assert code(reset.json["items"], "dnd_on") == "*78" and FeatureCode.select().count() == 0


def test_a_clashing_or_malformed_code_is_refused_naming_the_feature_and_nothing_is_stored(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    for body, field in (({"dnd_on": "*4", "dnd_off": "*4"}, "dnd_off"), ({"dnd_on": "*7${x}"}, "dnd_on")):
        refused = client.patch(CODES, json=body, headers=admin)
        assert refused.status_code == 422 and refused.json["field"] == field, refused.json
    assert client.patch(CODES, json={"nonsense": "*5"}, headers=admin).status_code == 422
    assert FeatureCode.select().count() == 0


def test_a_user_cannot_change_codes_and_another_tenants_do_not_exist(world, client):
    user = {**world.headers("user"), "If-Match": "*"}
    assert client.patch(CODES, json={"dnd_on": "*4"}, headers=user).status_code == 404  # a tenant URL: not theirs
    other = client.get(f"/api/v1/tenants/{OTHER}/feature-codes", headers=world.headers("tenant-admin"))
    assert other.status_code == 404


def test_pickup_groups_are_listed_and_set_per_user(world, client):
    admin = {**world.headers("tenant-admin"), "If-Match": "*"}
    done = client.put(f"/api/v1/tenants/{OWN}/users/1001/pickup-group", json={"group": "Ventas"}, headers=admin)
    assert done.status_code == 200 and (done.json["extension"], done.json["group"]) == ("1001", "Ventas")
    listed = client.get(f"/api/v1/tenants/{OWN}/pickup-groups", headers=admin).json["items"]
    assert {(item["extension"], item["group"]) for item in listed} >= {("1001", "Ventas"), ("1002", "")}
    missing = client.put(f"/api/v1/tenants/{OWN}/users/2001/pickup-group", json={"group": "X"}, headers=admin)
    assert missing.status_code == 404 and PickupMember.select().count() == 1
