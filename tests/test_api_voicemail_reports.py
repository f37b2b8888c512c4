"""Voicemail box settings, the billing report and the phonebook URLs through the API."""
from __future__ import annotations

import datetime as dt
import hashlib

from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.models.ivr import IvrMenu
from tests import provision
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)


def test_a_user_changes_their_pin_which_is_stored_only_as_mod_voicemails_hash(world, client):
    read = client.get("/api/v1/me/voicemail", headers=world.headers("user"))
    assert read.json["exists"] and read.json["pin_set"] and "pin" not in read.json
    assert client.put("/api/v1/me/voicemail", json={"pin": "2468"}, headers=world.headers("user")).status_code == 428
    done = client.put("/api/v1/me/voicemail", json={"pin": "2468"},
                      headers=world.headers("user", **{"If-Match": read.headers["ETag"]}))
    assert done.status_code == 200 and "2468" not in done.get_data(as_text=True)
    user = provision.find_user(provision.find_tenant("acme.example.com"), "1001")
    assert VoicemailBox.get(VoicemailBox.user == user).pin_hash == hashlib.md5(
        b"1001:acme.example.com:2468").hexdigest()


def test_bad_box_settings_name_the_field_and_change_nothing(world, client):
    before = list(VoicemailBox.select().dicts())
    for body, field in (({"pin": "12"}, "pin"), ({"email": "x${y}@acme.example.com"}, "email"),
                        ({"email": "not-mail"}, "email")):
        refused = client.put("/api/v1/tenants/acme.example.com/users/1002/voicemail", json=body,
                             headers=world.headers("tenant-admin", **{"If-Match": "*"}))
        assert refused.status_code == 422 and refused.json["field"] == field, refused.json
    assert list(VoicemailBox.select().dicts()) == before


def test_an_admin_creates_removes_and_recreates_the_general_box(world, client):
    admin = world.headers("tenant-admin")
    assert client.delete("/api/v1/tenants/acme.example.com/voicemail", headers=admin).status_code == 204
    assert client.get("/api/v1/tenants/acme.example.com/voicemail", headers=admin).json["exists"] is False
    created = client.put("/api/v1/tenants/acme.example.com/voicemail", json={"email": "recepcion@acme.example.com"},
                         headers=admin)
    assert created.status_code == 201 and created.json["email"] == "recepcion@acme.example.com"
    assert client.delete("/api/v1/tenants/acme.example.com/voicemail", headers=admin).status_code == 204
    assert client.delete("/api/v1/tenants/acme.example.com/voicemail", headers=admin).status_code == 404


def test_the_billing_report_shows_menus_of_the_month_and_only_the_callers_tenant(world, client):
    for domain in ("acme.example.com", "rival-secret.example.net"):
        provision.menu(provision.find_tenant(domain), "Principal", direct_dial=True)
    IvrMenu.update(created_at=dt.datetime(2026, 11, 3)).where(IvrMenu.name == "Principal").execute()  # not the world's
    mine = client.get("/api/v1/tenants/acme.example.com/billing", query_string={"month": "2026-11"},
                      headers=world.headers("tenant-admin")).json
    assert [(r["tenant"], r["menu"]) for r in mine["items"]] == [("acme.example.com", "Principal")]
    everyone = client.get("/api/v1/billing", query_string={"month": "2026-11"}, headers=world.headers("operator"))
    assert len(everyone.json["items"]) == 2
    bad = client.get("/api/v1/billing", query_string={"month": "11/2026"}, headers=world.headers("operator"))
    assert bad.status_code == 422 and bad.json["field"] == "month"


def test_phonebook_urls_name_the_tenant_and_the_server(world, client):
    found = client.get("/api/v1/me/phonebooks", headers=world.headers("user"), base_url="https://pbx.example.com").json
    urls = {item["phone"]: item["url"] for item in found["items"]}
    assert urls["yealink"] == "https://pbx.example.com/phonebook/acme.example.com/yealink.xml"
    assert set(urls) == {"yealink", "cisco", "cisco-search", "snom", "grandstream", "fanvil"} and "1001" in found["login"]


def test_the_billing_report_counts_the_recordings_kept_of_the_months_calls_per_tenant(world, client):
    """Each tenant of the world has one recording of a call started 2026-09-21 (tests/api_world.py)."""
    mine = client.get("/api/v1/tenants/acme.example.com/billing", query_string={"month": "2026-09"},
                      headers=world.headers("tenant-admin")).json
    assert mine["recordings"] == [{"tenant": "acme.example.com", "recordings": 1, "size": 4}]
    everyone = client.get("/api/v1/billing", query_string={"month": "2026-09"}, headers=world.headers("operator")).json
    assert [r["tenant"] for r in everyone["recordings"]] == ["acme.example.com", "rival-secret.example.net"]
    other_month = client.get("/api/v1/tenants/acme.example.com/billing", query_string={"month": "2026-10"},
                             headers=world.headers("tenant-admin")).json
    assert other_month["recordings"] == []
