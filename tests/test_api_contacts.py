"""Contacts through the API: personal and common, CSV import with per-line errors and dry run, export."""
from __future__ import annotations

import io

from fs_plugins.models.contacts import Contact
from fs_plugins.models.audit import AuditEntry
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)

GOOD = "name,company,work,mobile,email\nPedro Pérez,Pérez S.L.,911 111 111,600 111 111,\nLuisa,,912 222 222,,\n"
BAD = GOOD + "Sin número,,,,\nRara,,not a number,,\n"


def test_a_user_adds_changes_and_removes_a_personal_contact(world, client):
    created = client.post("/api/v1/me/contacts", json={"name": "Fontanero", "numbers": [
        {"kind": "mobile", "number": "600 123 456"}]}, headers=world.headers("user"))
    assert created.status_code == 201 and created.json["numbers"][0]["e164"] == "+34600123456"
    url = f"/api/v1/me/contacts/{created.json['id']}"
    changed = client.patch(url, json={"note": "urgencias"},
                           headers=world.headers("user", **{"If-Match": created.headers["ETag"]}))
    assert changed.status_code == 200 and changed.json["note"] == "urgencias"
    listed = client.get("/api/v1/me/contacts", headers=world.headers("user")).json["items"]
    assert {c["name"] for c in listed} == {"Ana contact of 1001", "Fontanero"}
    assert client.delete(url, headers=world.headers("user")).status_code == 204
    assert client.get(url, headers=world.headers("user")).status_code == 404


def test_a_contact_without_number_or_email_is_refused_naming_the_field(world, client):
    refused = client.post("/api/v1/me/contacts", json={"name": "Nadie"}, headers=world.headers("user"))
    assert refused.status_code == 422 and refused.json["field"] in ("number", "numbers")


def test_an_import_with_bad_lines_reports_each_and_stores_nothing(world, client):
    before = Contact.select().count()
    report = client.post("/api/v1/tenants/acme.example.com/contacts/import", data=BAD.encode(),
                         content_type="text/csv", headers=world.headers("tenant-admin")).json
    assert report["stored"] is False and report["lines"] == 4
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(4, "number"), (5, "work")]
    assert Contact.select().count() == before


def test_a_dry_run_counts_what_would_happen_and_stores_nothing(world, client):
    before = Contact.select().count()
    report = client.post("/api/v1/tenants/acme.example.com/contacts/import", query_string={"dry_run": "true"},
                         data=GOOD.encode(), content_type="text/csv", headers=world.headers("tenant-admin")).json
    assert report["added"] == 2 and report["stored"] is False and not report["errors"]
    assert Contact.select().count() == before and not AuditEntry.select().exists()


def test_an_import_uploaded_as_a_file_is_stored_and_exported_again(world, client):
    report = client.post("/api/v1/me/contacts/import", data={"file": (io.BytesIO(GOOD.encode()), "a.csv")},
                         content_type="multipart/form-data", headers=world.headers("user")).json
    assert report["added"] == 2 and report["stored"] is True
    exported = client.get("/api/v1/me/contacts.csv", headers=world.headers("user")).get_data(as_text=True)
    assert "Pedro Pérez" in exported and "Luisa" in exported and "Rival" not in exported
    assert AuditEntry.get().action == "contact.import" and AuditEntry.get().tenant_domain == "acme.example.com"


def test_an_empty_import_names_the_file_field(world, client):
    refused = client.post("/api/v1/me/contacts/import", data=b"", content_type="text/csv",
                          headers=world.headers("user"))
    assert refused.status_code == 422 and refused.json["field"] == "file"
