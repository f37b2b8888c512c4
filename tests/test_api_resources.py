"""Tenants, users and numbers through the API as an integration or an admin uses them."""
from __future__ import annotations

import hashlib

import pytest

from fs_plugins.core import app as core
from fs_plugins.models import Number, Tenant, User
from tests import provision
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)


USERS = "/api/v1/tenants/acme.example.com/users"


def test_an_operator_creates_a_tenant_its_admin_then_adjusts_it(world, client):
    created = client.post("/api/v1/tenants", json={"domain": "Nueva.Example.com", "name": "Nueva S.L.", "region": "CT"},
                          headers=world.headers("operator"))
    assert created.status_code == 201 and created.headers["Location"] == "/api/v1/tenants/nueva.example.com"
    assert created.json["region"] == "CT" and created.json["timezone"] == "Europe/Madrid"
    read = client.get("/api/v1/tenants/nueva.example.com", headers=world.headers("operator"))
    changed = client.patch("/api/v1/tenants/nueva.example.com", json={"name": "Nueva Renamed"},
                           headers=world.headers("operator", **{"If-Match": read.headers["ETag"]}))
    assert changed.status_code == 200 and Tenant.get(Tenant.domain == "nueva.example.com").name == "Nueva Renamed"
    assert changed.headers["ETag"] != read.headers["ETag"]


def test_a_tenant_admin_lists_only_their_own_tenant(world, client):
    listed = client.get("/api/v1/tenants", headers=world.headers("tenant-admin")).json
    assert [t["domain"] for t in listed["items"]] == ["acme.example.com"] and listed["next"] is None


def test_removing_a_tenant_removes_what_it_owns(world, client):
    assert client.delete("/api/v1/tenants/acme.example.com", headers=world.headers("operator")).status_code == 204
    assert not Tenant.select().where(Tenant.domain == "acme.example.com").exists()
    assert User.select().count() == 3 and Number.select().count() == 1  # the rival's


def test_a_user_created_without_a_password_gets_one_shown_only_in_that_answer(world, client):
    created = client.post(USERS, json={"extension": "1010", "name": "Eva", "email": "eva@acme.example.com"},
                          headers=world.headers("tenant-admin"))
    assert created.status_code == 201
    password = created.json["sip_password"]
    assert User.get(User.extension == "1010").a1_hash == hashlib.md5(
        f"1010:acme.example.com:{password}".encode()).hexdigest()
    shown = client.get(f"{USERS}/1010", headers=world.headers("tenant-admin"))
    assert "sip_password" not in shown.json and password not in shown.get_data(as_text=True)


def test_the_user_list_pages_by_extension_without_repeats_or_gaps(world, client):
    acme = provision.find_tenant("acme.example.com")
    for extension in range(1100, 1350):
        User.create(tenant=acme, extension=str(extension), display_name=f"U{extension}", a1_hash="0" * 32)
    seen, after = [], None
    while True:
        query = {"limit": 100, **({"after": after} if after else {})}
        page = client.get(USERS, query_string=query, headers=world.headers("tenant-admin")).json
        seen += [u["extension"] for u in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 252


def test_a_bad_page_cursor_or_limit_names_the_field(world, client):
    bad = client.get(USERS, query_string={"after": "%%%"}, headers=world.headers("tenant-admin"))
    assert bad.status_code == 422 and bad.json["field"] == "after"
    bad = client.get(USERS, query_string={"limit": 0}, headers=world.headers("tenant-admin"))
    assert bad.status_code == 422 and bad.json["field"] == "limit"


def test_two_admins_cannot_overwrite_each_other_silently(world, client):
    first = client.get(f"{USERS}/1001", headers=world.headers("tenant-admin")).headers["ETag"]
    second = client.get(f"{USERS}/1001", headers=world.headers("operator")).headers["ETag"]
    assert first == second
    done = client.patch(f"{USERS}/1001", json={"name": "Ana Primera"},
                        headers=world.headers("tenant-admin", **{"If-Match": first}))
    assert done.status_code == 200
    late = client.patch(f"{USERS}/1001", json={"name": "Ana Segunda"},
                        headers=world.headers("operator", **{"If-Match": second}))
    assert late.status_code == 412 and late.content_type == "application/problem+json"
    missing = client.patch(f"{USERS}/1001", json={"name": "Ana Tercera"}, headers=world.headers("operator"))
    assert missing.status_code == 428
    assert User.get(User.extension == "1001", User.tenant == provision.find_tenant("acme.example.com")).display_name \
        == "Ana Primera"


def test_disabling_renumbering_and_setting_the_sip_password(world, client):
    etag = client.get(f"{USERS}/1002", headers=world.headers("tenant-admin")).headers["ETag"]
    changed = client.patch(f"{USERS}/1002", json={"enabled": False, "extension": "1020", "password": "renum-pass-1"},
                           headers=world.headers("tenant-admin", **{"If-Match": etag}))
    assert changed.status_code == 200 and changed.json["extension"] == "1020" and changed.json["enabled"] is False
    assert client.put(f"{USERS}/1020/sip-password", json={"password": "fresh-pass-22"},
                      headers=world.headers("tenant-admin")).status_code == 204
    assert User.get(User.extension == "1020").a1_hash == hashlib.md5(b"1020:acme.example.com:fresh-pass-22").hexdigest()


def test_a_user_something_routes_to_cannot_be_removed(world, client):
    core.route_number(provision.QUIET, "acme.example.com", "+34910000001", "user:1002")
    refused = client.delete(f"{USERS}/1002", headers=world.headers("tenant-admin"))
    assert refused.status_code == 409 and refused.json["field"] == "extension"
    assert "+34910000001" in refused.json["detail"]
    assert User.select().where(User.extension == "1002").exists()


def test_numbers_are_given_by_operators_and_routed_by_admins(world, client):
    numbers = "/api/v1/tenants/acme.example.com/numbers"
    assert client.post(numbers, json={"number": "910 000 050", "destination": "user:1001"},
                       headers=world.headers("tenant-admin")).status_code == 404
    created = client.post(numbers, json={"number": "910 000 050", "destination": "user:1001"},
                          headers=world.headers("operator"))
    assert created.status_code == 201 and created.json["number"] == "+34910000050"
    assert created.json["destination"] == "user:1001"
    taken = client.post("/api/v1/tenants/rival-secret.example.net/numbers",
                        json={"number": "+34910000050", "destination": "user:1001"}, headers=world.headers("operator"))
    assert taken.status_code == 409 and taken.json["field"] == "number"
    routed = client.patch(f"{numbers}/+34910000050", json={"destination": "voicemail:1002"},
                          headers=world.headers("tenant-admin", **{"If-Match": "*"}))
    assert routed.status_code == 200 and routed.json["destination"] == "voicemail:1002"
    listed = client.get(numbers, headers=world.headers("tenant-admin")).json["items"]
    assert [n["number"] for n in listed] == ["+34910000001", "+34910000050"]


def test_the_openapi_document_is_3_1_and_the_docs_page_works_offline(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1") and "/api/v1/tenants/{domain}/users" in spec["paths"]
    page = client.get("/api/v1/docs/").get_data(as_text=True)
    assert "http" not in page.replace("http-equiv", "")  # nothing loaded from another site
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "docs.js"):
        assert client.get(f"/api/v1/docs/static/{asset}").status_code == 200
    assert "../openapi.json" in client.get("/api/v1/docs/static/docs.js").get_data(as_text=True)
