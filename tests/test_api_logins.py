"""/api/v1/tenants/{domain}/logins: a tenant's admin gives people their portal and API logins
(through fs_plugins/access/app.py, as `centralita login` does)."""
from __future__ import annotations

import pytest

from fs_plugins.models.access import Login
from fs_plugins.models.audit import AuditEntry
from tests.api_world import OTHER, OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)

LOGINS = f"/api/v1/tenants/{OWN}/logins"


def test_an_admin_gives_a_user_a_login_that_signs_in_and_never_shows_its_password(world, client):
    admin = world.headers("tenant-admin")
    made = client.post(LOGINS, headers=admin, json={"username": "Eva@acme.example.com", "password": "eva-portal-1",
                                                   "role": "user", "extension": "1002"})
    assert made.status_code == 201 and made.headers["Location"] == f"{LOGINS}/eva@acme.example.com"
    assert {k: made.json[k] for k in ("username", "role", "extension", "enabled", "last_login_at")} == {
        "username": "eva@acme.example.com", "role": "user", "extension": "1002", "enabled": True,
        "last_login_at": None}
    signed = client.post("/api/v1/session", json={"username": "eva@acme.example.com", "password": "eva-portal-1"})
    assert signed.status_code == 201 and signed.json["extension"] == "1002"
    listed = client.get(LOGINS, headers=admin)
    assert "eva@acme.example.com" in [item["username"] for item in listed.json["items"]]
    assert "eva-portal-1" not in made.get_data(as_text=True) + listed.get_data(as_text=True)
    entry = AuditEntry.get(AuditEntry.action == "login.create")
    assert (entry.tenant_domain, entry.target, entry.actor) == (OWN, "login eva@acme.example.com", "key ck_"
                                                                + world.keys["tenant-admin"].split("_")[1]
                                                                + " (acme admin)")


@pytest.mark.parametrize("body,status,field", [
    ({"username": "e", "password": "eva-portal-1", "extension": "1002"}, 422, "username"),
    ({"username": "eva@acme.example.com", "password": "short", "extension": "1002"}, 422, "password"),
    ({"username": "eva@acme.example.com", "password": "eva-portal-1"}, 422, "extension"),
    ({"username": "eva@acme.example.com", "password": "eva-portal-1", "extension": "2001"}, 404, "extension"),
    ({"username": "eva@acme.example.com", "password": "eva-portal-1", "extension": "1\x002"}, 422, "extension"),
    ({"username": "eva@acme.example.com", "password": "eva-portal-1", "role": "operator"}, 422, "role"),
    ({"username": "ana@acme.example.com", "password": "eva-portal-1", "extension": "1002"}, 409, "username"),
])
def test_a_bad_login_names_the_field_and_stores_nothing(world, client, body, status, field):
    before = Login.select().count()
    answer = client.post(LOGINS, headers=world.headers("tenant-admin"), json=body)
    assert (answer.status_code, answer.json["field"]) == (status, field)
    assert Login.select().count() == before and not AuditEntry.select().where(
        AuditEntry.action == "login.create").exists()


def test_disabling_a_login_ends_its_sessions_and_removing_it_lets_nobody_in(world, client):
    admin = world.headers("tenant-admin")
    assert client.post("/api/v1/session", json={"username": "ana@acme.example.com",
                                                "password": "portal-pass-1"}).status_code == 201
    assert client.get("/api/v1/me").status_code == 200  # with the session cookie
    changed = client.patch(f"{LOGINS}/ana@acme.example.com", headers=admin, json={"enabled": False})
    assert changed.status_code == 200 and changed.json["enabled"] is False
    assert client.get("/api/v1/me").status_code == 401
    assert client.delete(f"{LOGINS}/ana@acme.example.com", headers=admin).status_code == 204
    assert client.get(f"{LOGINS}/ana@acme.example.com", headers=admin).status_code == 404
    assert [e.action for e in AuditEntry.select().where(AuditEntry.action.startswith("login."))
            .order_by(AuditEntry.id)] == ["login.update", "login.delete"]


def test_another_tenants_login_is_not_found_even_named_under_ones_own_tenant(world, client):
    admin = world.headers("tenant-admin")
    theirs = world.other.login
    for answer in (client.get(f"{LOGINS}/{theirs}", headers=admin),
                   client.patch(f"{LOGINS}/{theirs}", headers=admin, json={"enabled": False}),
                   client.delete(f"{LOGINS}/{theirs}", headers=admin),
                   client.get(f"/api/v1/tenants/{OTHER}/logins", headers=admin)):
        said = answer.get_data(as_text=True).replace(theirs, "").replace(OTHER, "", 2)  # what was typed, echoed
        assert answer.status_code == 404 and "rivalina" not in said.lower() and "Rival" not in said
    assert Login.get(Login.username == theirs).enabled
