"""Signing in to the API: API keys, logins and sessions, CSRF, the limits on guessing, the audit log."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.access import apikeys, secrets, sessions
from fs_plugins.models import utcnow
from fs_plugins.models.access import ApiKey, AuthFailure, Login, Session
from fs_plugins.models.audit import AuditEntry
from tests.api_world import PASSWORD, api_client, cheap_argon2, client, world  # noqa: F401 (fixtures)


def sign_in(client, username="ana@acme.example.com", password=PASSWORD, **kwargs):
    return client.post("/api/v1/session", json={"username": username, "password": password}, **kwargs)


def test_a_key_is_stored_only_as_a_hash_and_records_its_last_use(world, client):
    key = world.keys["tenant-admin"]
    row = ApiKey.get(ApiKey.name == "acme admin")
    assert key.startswith(f"ck_{row.prefix}_") and key.split("_", 2)[2] not in str(list(ApiKey.select().dicts()))
    assert row.last_used_at is None
    assert client.get("/api/v1/tenants/acme.example.com", headers=world.headers("tenant-admin")).status_code == 200
    assert ApiKey.get_by_id(row.id).last_used_at is not None


def test_a_revoked_or_expired_key_opens_nothing(world, client):
    admin = ApiKey.get(ApiKey.name == "acme admin")
    apikeys.revoke(admin)
    assert client.get("/api/v1/tenants/acme.example.com", headers=world.headers("tenant-admin")).status_code == 401
    expiring = apikeys.create("temp", "operator", expires_at=utcnow() + dt.timedelta(seconds=30))
    assert client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {expiring.key}"}).status_code == 200
    ApiKey.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(ApiKey.id == expiring.row.id).execute()
    response = client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {expiring.key}"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_users_key_opens_nothing_until_the_user_is_enabled_again(world, client):
    from fs_plugins.models import Tenant, User

    ana = User.select().join(Tenant).where(Tenant.domain == "acme.example.com", User.extension == "1001")
    assert client.get("/api/v1/me/call-handling", headers=world.headers("user")).status_code == 200
    User.update(enabled=False).where(User.id.in_(ana.select(User.id))).execute()
    refused = client.get("/api/v1/me/call-handling", headers=world.headers("user"))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/tenants/acme.example.com", headers=world.headers("tenant-admin")).status_code == 200
    User.update(enabled=True).where(User.id.in_(ana.select(User.id))).execute()
    assert client.get("/api/v1/me/call-handling", headers=world.headers("user")).status_code == 200


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_refused(world, client):
    prefix = world.keys["operator"].split("_")[1]
    assert client.get("/api/v1/tenants", headers={"Authorization": f"Bearer ck_{prefix}_guess"}).status_code == 401


def test_a_tenant_admin_creates_and_revokes_keys_of_their_tenant_only(world, client):
    headers = world.headers("tenant-admin")
    created = client.post("/api/v1/tenants/acme.example.com/keys", json={"name": "crm"}, headers=headers)
    assert created.status_code == 201
    key = created.json["key"]
    users = "/api/v1/tenants/acme.example.com/users"
    assert client.get(users, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listed = client.get("/api/v1/tenants/acme.example.com/keys", headers=headers).json["items"]
    assert "key" not in listed[0] and {k["name"] for k in listed} >= {"crm", "acme admin"}
    assert world.other.key_prefix not in str(listed)
    prefix = created.json["prefix"]
    assert client.delete(f"/api/v1/tenants/acme.example.com/keys/{prefix}", headers=headers).status_code == 204
    assert client.get(users, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_login_password_is_an_argon2id_hash_separate_from_the_sip_password(world):
    login = Login.get(Login.username == "ana@acme.example.com")
    assert login.password_hash.startswith("$argon2id$") and PASSWORD not in login.password_hash
    assert login.user.a1_hash not in login.password_hash


def test_signing_in_sets_a_session_cookie_the_database_keeps_only_hashed(world, client):
    response = sign_in(client)
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert Session.get().token_hash == secrets.digest(token) and token not in str(list(Session.select().dicts()))
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["extension"] == "1001" and me.json["tenant"] == "acme.example.com"


def test_over_https_the_session_cookie_is_secure(world, client):
    response = sign_in(client, base_url="https://pbx.example.com")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_cookie_write_needs_the_csrf_token_from_sign_in(world, client):
    csrf = sign_in(client, "boss@acme.example.com").json["csrf_token"]
    body = {"extension": "1077", "name": "Nuevo"}
    refused = client.post("/api/v1/tenants/acme.example.com/users", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json["detail"]
    wrong = client.post("/api/v1/tenants/acme.example.com/users", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    accented = client.post("/api/v1/tenants/acme.example.com/users", json=body, headers={"X-CSRF-Token": "é" + csrf})
    assert accented.status_code == 403  # compared as bytes: hmac refuses non-ASCII str (it was a 500)
    done = client.post("/api/v1/tenants/acme.example.com/users", json=body, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201
    assert client.get("/api/v1/session").json["csrf_token"] == csrf


def test_signing_out_ends_the_session(world, client):
    csrf = sign_in(client).json["csrf_token"]
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401 and Session.select().count() == 0


def test_an_expired_session_opens_nothing(world, client):
    sign_in(client)
    Session.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert client.get("/api/v1/me").status_code == 401


def test_a_new_password_or_disabling_a_login_ends_its_sessions(world, client):
    from fs_plugins.access import logins

    sign_in(client)
    logins.set_login(logins.find("ana@acme.example.com"), password="another-pass-2")
    assert client.get("/api/v1/me").status_code == 401
    assert sign_in(client, password="another-pass-2").status_code == 201
    logins.set_login(logins.find("ana@acme.example.com"), enabled=False)
    assert client.get("/api/v1/me").status_code == 401
    assert sign_in(client, password="another-pass-2").status_code == 401


def test_wrong_passwords_lock_the_login_on_every_node_until_the_window_passes(world, client):
    for _ in range(5):
        assert sign_in(client, password="wrong-guess").status_code == 401
    locked = sign_in(client)  # even the right password, while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    other_node = api_client()[1]  # another process with the same database
    assert sign_in(other_node).status_code == 429
    assert sign_in(other_node, "boss@acme.example.com").status_code == 201  # other logins are not locked
    for failure in AuthFailure.select():
        AuthFailure.update(at=failure.at - dt.timedelta(minutes=16)).where(AuthFailure.id == failure.id).execute()
    assert sign_in(client).status_code == 201


def test_guessing_keys_from_one_address_is_stopped(world, client):
    guess = {"Authorization": "Bearer ck_0000000000_x"}
    for _ in range(20):
        assert client.get("/api/v1/tenants", headers=guess).status_code == 401
    stopped = client.get("/api/v1/tenants", headers=guess)
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    assert client.get("/api/v1/tenants", headers=guess, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 401
    # A good key is never a guess: 256 random bits cannot be found by trying, so it keeps working.
    assert client.get("/api/v1/tenants", headers=world.headers("operator")).status_code == 200


def test_every_change_is_in_the_audit_log_and_admins_read_only_their_tenants(world, client):
    admin, operator = world.headers("tenant-admin"), world.headers("operator")
    client.post("/api/v1/tenants/acme.example.com/users", json={"extension": "1077", "name": "Nuevo",
                                                                "password": "sip-secret-77"}, headers=admin)
    client.put("/api/v1/tenants/rival-secret.example.net/users/2001/sip-password", json={"password": "x-secret-99"},
               headers=operator)
    entries = client.get("/api/v1/tenants/acme.example.com/audit", headers=admin).json["items"]
    assert [(e["action"], e["target"], e["actor"], e["source"]) for e in entries] == [
        ("user.create", "user 1077", "key ck_" + world.keys["tenant-admin"].split("_")[1] + " (acme admin)",
         "127.0.0.1")]
    assert entries[0]["detail"]["password"] == "(changed)"
    assert "sip-secret-77" not in str(list(AuditEntry.select().dicts()))
    everything = client.get("/api/v1/audit", headers=operator).json["items"]
    assert [e["action"] for e in everything] == ["user.update", "user.create"]
    assert client.get("/api/v1/audit", headers=admin).status_code == 404
    assert client.get("/api/v1/tenants/rival-secret.example.net/audit", headers=admin).status_code == 404


def test_a_failed_change_leaves_no_audit_entry(world, client):
    response = client.post("/api/v1/tenants/acme.example.com/users", json={"extension": "1001", "name": "Dup"},
                           headers=world.headers("tenant-admin"))
    assert response.status_code == 409 and AuditEntry.select().count() == 0


def test_production_hashing_uses_argon2id_at_rfc_9106s_cost():
    from argon2 import Type

    from fs_plugins.access import passwords

    assert passwords.PARAMETERS.type is Type.ID
    assert passwords.PARAMETERS.memory_cost >= 65536 and passwords.PARAMETERS.time_cost >= 3


def test_a_username_with_a_nul_is_a_failed_sign_in_not_a_server_error(world, client):
    """PostgreSQL refuses NUL in a string: schemathesis found the sign-in answering 500 for one."""
    answer = client.post("/api/v1/session", json={"username": "ana\x00@acme.example.com", "password": "x"})
    assert answer.status_code == 401, answer.json


def test_a_nul_in_a_path_or_query_is_refused_before_the_database(world, client):
    admin = world.headers("tenant-admin")
    assert client.get("/api/v1/tenants/acme%00.example.com/users", headers=admin).status_code == 404
    refused = client.get("/api/v1/tenants/acme.example.com/users", query_string={"after": "a\x00"}, headers=admin)
    assert refused.status_code == 422 and refused.json["field"] == "after"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ck_00\x0000_x"}).status_code == 401
