"""What one API request costs the core it shares with FreeSWITCH's xml_curl handler (benches/b6_api.py
line 3; benches/api_instructions.py counts it): a single object is dumped once, for its ETag and its
answer alike; a write that overwrites whatever is there (If-Match: *) reads nothing to compare."""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from fs_plugins.api import callhandling, users
from fs_plugins.api.etags import etag_of
from tests.api_world import OWN, cheap_argon2, client, world  # noqa: F401 (fixtures)


@pytest.fixture
def dumps(monkeypatch):
    """How many times each output schema class dumped, by class name."""
    counted: dict[str, int] = {}
    for schema in (users.UserOut, callhandling.CallHandlingOut):
        original = schema.dump

        def dump(self, obj, *args, _original=original, _name=schema.__name__, **kwargs):
            counted[_name] = counted.get(_name, 0) + 1
            return _original(self, obj, *args, **kwargs)

        monkeypatch.setattr(schema, "dump", dump)
    return counted


def _sent_with_its_etag(response) -> dict:
    assert response.status_code in (200, 201), response.json
    assert response.headers["ETag"] == etag_of(response.json)  # the ETag is of exactly what was sent
    assert response.headers["Content-Type"] == "application/json"
    return response.json


@pytest.mark.parametrize("path, role, schema", [
    (f"/api/v1/tenants/{OWN}/users/1001", "tenant-admin", "UserOut"),
    ("/api/v1/me/call-handling", "user", "CallHandlingOut"),
])
def test_a_single_object_is_dumped_once_for_its_etag_and_its_answer(world, client, dumps, path, role, schema):
    shown = _sent_with_its_etag(client.get(path, headers=world.headers(role)))
    assert dumps == {schema: 1}
    assert set(shown) == set((getattr(users, schema, None) or getattr(callhandling, schema))().dump_fields)


def test_a_changed_user_is_answered_as_stored_from_one_dump(world, client, dumps):
    path = f"/api/v1/tenants/{OWN}/users/1001"
    changed = client.patch(path, json={"name": "Ana Renamed"},
                           headers=world.headers("tenant-admin", **{"If-Match": "*"}))
    answer = _sent_with_its_etag(changed)
    assert dumps == {"UserOut": 1}  # If-Match: * compares nothing, and the answer is the change's own view
    again = client.get(path, headers=world.headers("tenant-admin"))
    assert answer == again.json and answer["name"] == "Ana Renamed" and changed.headers["ETag"] == again.headers["ETag"]
    assert json.loads(changed.data) == again.json


def test_a_user_changed_under_its_etag_still_compares_it(world, client):
    path = f"/api/v1/tenants/{OWN}/users/1001"
    read = client.get(path, headers=world.headers("tenant-admin"))
    as_read = world.headers("tenant-admin", **{"If-Match": read.headers["ETag"]})
    first = client.patch(path, json={"name": "First"}, headers=as_read)
    assert _sent_with_its_etag(first)["name"] == "First"
    stale = client.patch(path, json={"name": "Second"}, headers=as_read)
    assert stale.status_code == 412
    missing = client.patch(f"/api/v1/tenants/{OWN}/users/4999", json={"name": "Nobody"},
                           headers=world.headers("tenant-admin", **{"If-Match": "*"}))
    assert missing.status_code == 404 and missing.json["field"] == "extension"


def test_a_call_log_entry_shows_its_status_code_label_and_colour(world, client):
    from fs_plugins.calllog.classify import Status

    items = client.get("/api/v1/me/calls?limit=50", headers=world.headers("user")).json["items"]
    assert items
    for item in items:
        status = Status.from_code(item["status"])
        assert (item["status_label"], item["colour"]) == (status.label, status.colour)
        assert item["type"] in ("made", "received", "missed") and item["started"][10] == "T"


def test_a_dnd_change_that_overwrites_reads_nothing_before_it_writes(world, client, monkeypatch):
    shows = []
    original = callhandling.app.show
    monkeypatch.setattr(callhandling.app, "show", lambda *args: shows.append(args) or original(*args))
    overwrite = world.headers("user", **{"If-Match": "*"})
    changed = client.patch("/api/v1/me/call-handling", json={"dnd": True}, headers=overwrite)
    assert _sent_with_its_etag(changed)["dnd"] is True and shows == []
    read = client.get("/api/v1/me/call-handling", headers=world.headers("user"))
    assert read.json == changed.json and read.headers["ETag"] == changed.headers["ETag"]
    # A change of mode alone keeps DND as it is (read for it); a change of nothing answers what is there.
    moded = client.patch("/api/v1/me/call-handling", json={"dnd_mode": "voicemail"}, headers=overwrite)
    assert _sent_with_its_etag(moded)["dnd"] is True and moded.json["dnd_mode"] == "voicemail"
    nothing = client.patch("/api/v1/me/call-handling", json={}, headers=overwrite)
    assert _sent_with_its_etag(nothing) == client.get("/api/v1/me/call-handling", headers=world.headers("user")).json
    stale = client.patch("/api/v1/me/call-handling", json={"dnd": False},
                         headers=world.headers("user", **{"If-Match": read.headers["ETag"]}))
    assert stale.status_code == 412  # an ETag is still compared with the settings as they are


def test_a_change_without_if_match_to_a_user_that_does_not_exist_is_404_naming_the_extension(world, client):
    # The ETag's read is put off until there is one to compare; a missing header must not hide a
    # missing user behind 428.
    missing = client.patch(f"/api/v1/tenants/{OWN}/users/4999", json={"name": "Nobody"},
                           headers=world.headers("tenant-admin"))
    assert missing.status_code == 404 and "extension" in json.dumps(missing.json)
    present = client.patch(f"/api/v1/tenants/{OWN}/users/1001", json={"name": "Somebody"},
                           headers=world.headers("tenant-admin"))
    assert present.status_code == 428


def test_a_read_under_a_tenant_reads_the_tenant_once(world, client, caplog):
    # The guard reads the URL's tenant to check the caller's scope; the view's scope check takes that
    # row instead of reading it again (B6's user-list page and user read: one statement of four).
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        listed = client.get(f"/api/v1/tenants/{OWN}/users?limit=100", headers=world.headers("tenant-admin"))
        one = client.get(f"/api/v1/tenants/{OWN}/users/{world.own.extension}", headers=world.headers("tenant-admin"))
    assert listed.status_code == 200 and one.status_code == 200
    reads = [r.getMessage() for r in caplog.records if r.name == "peewee" and 'FROM "tenant"' in r.getMessage()]
    assert len(reads) == 2, reads


def test_a_read_under_me_takes_the_tenant_and_user_its_key_brought(world, client, caplog):
    # The key's query joins its tenant and user; the /me views' scope checks take those rows instead
    # of reading them again (B6's GET me/call-handling and GET me/calls: two round trips of five).
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        handling = client.get("/api/v1/me/call-handling", headers=world.headers("user"))
        calls = client.get("/api/v1/me/calls?limit=50", headers=world.headers("user"))
    assert handling.status_code == 200 and calls.status_code == 200
    texts = [r.getMessage() for r in caplog.records if r.name == "peewee"]
    assert any("FROM api_key" in text for text in texts)
    # the placeholder is SQLite's ? or PostgreSQL's %s: match both, or a re-read on one would pass
    again = [text for text in texts if 'FROM "tenant" WHERE "domain"' in text
             or '"extension" = ? LIMIT 1' in text or '"extension" = %s LIMIT 1' in text]
    assert again == []


def test_a_dnd_change_writes_its_settings_row_once_and_does_not_read_it_back(world, client, caplog):
    # The row is inserted or locked and read in one statement (INSERT … ON CONFLICT … RETURNING), and
    # the answer shows it as written: B6's PATCH me/call-handling made four statements on it, now two.
    for on in (True, False):
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            caplog.clear()
            changed = client.patch("/api/v1/me/call-handling", json={"dnd": on},
                                   headers=world.headers("user", **{"If-Match": "*"}))
        assert changed.status_code == 200 and changed.json["dnd"] is on
        texts = [r.getMessage() for r in caplog.records if r.name == "peewee" and '"call_handling"' in r.getMessage()]
        assert len(texts) == 2 and "RETURNING" in texts[0] and texts[1].startswith("('UPDATE"), texts
    shown = client.get("/api/v1/me/call-handling", headers=world.headers("user")).json
    assert shown["dnd"] is False and shown == changed.json


@pytest.mark.parametrize("stored", ["2026-12-05 04:44:35.065086", "2026-12-05 04:44:35", "2026-12-05",
                                    "2026-12-05T04:44:35Z", "2026-12-05 04:44:35+02:00", "2026-12-05 04:44",
                                    "", "not a time", None, dt.datetime(2026, 1, 1, 9, 30)])
def test_a_stored_time_is_read_as_peewee_reads_it(stored):
    from fs_plugins.core.app import _stored_time
    from fs_plugins.models import User

    ours, peewees = _stored_time(stored, User.created_at.python_value), User.created_at.python_value(stored)
    assert (ours, type(ours), getattr(ours, "tzinfo", None)) == (peewees, type(peewees),
                                                                getattr(peewees, "tzinfo", None))


def test_a_page_of_users_reads_its_times_without_peewees_formats(world, client, monkeypatch):
    import peewee

    from fs_plugins.core import app as core_app
    from fs_plugins.models import Tenant, User

    formatted, paging = [], []
    original_format, original_page = peewee.format_date_time, core_app._user_page
    monkeypatch.setattr(peewee, "format_date_time", lambda *a, **k: paging and formatted.append(a[0])
                        or original_format(*a, **k))
    monkeypatch.setattr(core_app, "_user_page", lambda *a: paging.append(1) or original_page(*a))
    page = client.get(f"/api/v1/tenants/{OWN}/users?limit=100", headers=world.headers("tenant-admin"))
    assert page.status_code == 200 and paging and formatted == []
    monkeypatch.undo()
    rows = {row.extension: row for row in User.select().join(Tenant).where(Tenant.domain == OWN)}
    assert [(item["extension"], item["created_at"], item["updated_at"]) for item in page.json["items"]] == [
        (extension, row.created_at.isoformat() + "+00:00", row.updated_at.isoformat() + "+00:00")
        for extension, row in sorted(rows.items())]

