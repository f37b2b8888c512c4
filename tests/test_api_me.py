"""A user's own data through /api/v1/me, and an admin's view of it: call handling, call log."""
from __future__ import annotations

import csv
import io

from fs_plugins.models.callhandling import CallHandling
from tests.provision import find_tenant, find_user
from fs_plugins.models.calllog import CallEntry
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)


def test_a_user_sets_their_own_forward_with_the_etag_they_read(world, client):
    read = client.get("/api/v1/me/call-handling", headers=world.headers("user"))
    assert read.json["busy"] == "voicemail:1001" and read.json["no_answer"] is None
    changed = client.patch("/api/v1/me/call-handling", json={"no_answer": "voicemail:1001", "no_answer_seconds": 25,
                                                             "busy": None},
                           headers=world.headers("user", **{"If-Match": read.headers["ETag"]}))
    assert changed.status_code == 200, changed.json
    assert changed.json["no_answer"] == "voicemail:1001" and changed.json["no_answer_seconds"] == 25
    assert changed.json["busy"] is None
    # The answer is the object as stored: its ETag is the one the next read gives.
    assert changed.headers["ETag"] == client.get("/api/v1/me/call-handling", headers=world.headers("user")).headers["ETag"]
    stored = CallHandling.get(CallHandling.user == find_user(find_tenant("acme.example.com"), "1001"))
    assert str(stored.forward_no_answer).startswith("voicemail:") and stored.forward_busy is None
    stale = client.patch("/api/v1/me/call-handling", json={"dnd": True},
                         headers=world.headers("user", **{"If-Match": read.headers["ETag"]}))
    assert stale.status_code == 412


def test_a_bad_forward_changes_none_of_the_others(world, client):
    response = client.patch("/api/v1/me/call-handling", json={"always": "user:1002", "busy": "user:9999"},
                            headers=world.headers("user", **{"If-Match": "*"}))
    assert response.status_code == 422 and response.json["field"] == "busy"
    stored = CallHandling.get(CallHandling.user == find_user(find_tenant("acme.example.com"), "1001"))
    assert stored.forward_always is None and str(stored.forward_busy).startswith("voicemail:")


def test_a_user_cannot_lift_their_own_restrictions(world, client):
    assert client.get("/api/v1/me/restrictions", headers=world.headers("user")).json["effective"] == [
        "national", "mobile", "special"]
    assert client.put("/api/v1/tenants/acme.example.com/users/1001/restrictions", json={"allow": ["premium"]},
                      headers=world.headers("user", **{"If-Match": "*"})).status_code == 404


def test_an_admin_narrows_a_user_and_the_user_sees_it(world, client):
    done = client.put("/api/v1/tenants/acme.example.com/users/1001/restrictions", json={"allow": ["national"]},
                      headers=world.headers("tenant-admin", **{"If-Match": "*"}))
    assert done.status_code == 200 and done.json == {"tenant": None, "user": ["national"], "effective": ["national"]}
    refused = client.post("/api/v1/me/simring", json={"destination": "number:+34600123456"},
                          headers=world.headers("user"))
    assert refused.status_code == 422 and refused.json["field"] == "destination" and "mobile" in refused.json["detail"]


def test_simultaneous_ring_entries_are_added_and_removed_by_id(world, client):
    added = client.post("/api/v1/me/simring", json={"destination": "number:+34611222333", "delay": 5, "confirm": True},
                        headers=world.headers("user"))
    assert added.status_code == 201 and added.json["destination"] == "number:+34611222333"
    again = client.post("/api/v1/me/simring", json={"destination": "number:611 222 333"}, headers=world.headers("user"))
    assert again.status_code == 409 and again.json["field"] == "destination"  # already rings: a conflict
    listed = client.get("/api/v1/me/simring", headers=world.headers("user")).json["items"]
    assert [r["destination"] for r in listed] == ["number:+34699000111", "number:+34611222333"]
    assert client.delete(f"/api/v1/me/simring/{added.json['id']}", headers=world.headers("user")).status_code == 204
    assert client.delete(f"/api/v1/me/simring/{world.own.other_ring_id}",
                         headers=world.headers("user")).status_code == 404  # 1002's entry, not the caller's


def _log(count: int, extension: str = "1001"):
    acme = find_tenant("acme.example.com")
    owner = find_user(acme, extension)
    for n in range(count):
        CallEntry.create(tenant=acme, user=owner, call_id=f"bulk-{extension}-{n}", kind=("missed", "made")[n % 2],
                         status=("missed", "made")[n % 2], direction="inbound", started_at=1_795_000_000 + n * 3600,
                         caller_name="=HYPERLINK(1)" if n == 0 else "Someone", caller_number="+34600000000",
                         callee=extension)


def test_a_user_pages_through_their_own_call_log_only(world, client):
    _log(120)
    _log(5, "1002")
    seen, after = [], None
    while True:
        query = {"limit": 50, **({"after": after} if after else {})}
        page = client.get("/api/v1/me/calls", query_string=query, headers=world.headers("user")).json
        seen += page["items"]
        after = page["next"]
        if after is None:
            break
    ids = [e["call_id"] for e in seen]
    assert len(ids) == len(set(ids)) == 121 and all(e["user"] == "1001" for e in seen)
    assert [e["started"] for e in seen] == sorted((e["started"] for e in seen), reverse=True)
    assert seen[0]["started"].endswith("+01:00") or seen[0]["started"].endswith("+02:00")  # Europe/Madrid


def test_call_log_filters_by_type_and_period_in_the_tenants_zone(world, client):
    _log(48)  # two days of hourly calls from 2026-11-18 13:46 UTC
    missed = client.get("/api/v1/me/calls", query_string={"type": "missed", "day": "2026-11-19", "limit": 500},
                        headers=world.headers("user")).json["items"]
    assert missed and {e["type"] for e in missed} == {"missed"}
    assert {e["started"][:10] for e in missed} == {"2026-11-19"}
    bad = client.get("/api/v1/me/calls", query_string={"day": "19/11/2026"}, headers=world.headers("user"))
    assert bad.status_code == 422 and bad.json["field"] == "day"
    both = client.get("/api/v1/me/calls", query_string={"day": "2026-11-19", "month": "2026-11"},
                      headers=world.headers("user"))
    assert both.status_code == 422 and both.json["field"] == "month"


def test_an_admin_reads_the_tenants_log_or_one_users_and_exports_csv(world, client):
    _log(3, "1002")
    everyone = client.get("/api/v1/tenants/acme.example.com/calls", headers=world.headers("tenant-admin")).json
    assert {e["user"] for e in everyone["items"]} == {"1001", "1002"}
    one = client.get("/api/v1/tenants/acme.example.com/calls", query_string={"user": "1002"},
                     headers=world.headers("tenant-admin")).json["items"]
    assert {e["user"] for e in one} == {"1002"} and len(one) == 4
    exported = client.get("/api/v1/tenants/acme.example.com/calls.csv", query_string={"user": "1002"},
                          headers=world.headers("tenant-admin"))
    assert exported.status_code == 200 and exported.mimetype == "text/csv" and exported.is_streamed
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][:3] == ["started", "user", "type"] and len(rows) == 5
    assert "'=HYPERLINK(1)" in exported.get_data(as_text=True)  # formula-safe cells
