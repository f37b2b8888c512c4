"""Call groups through the API: created, changed under If-Match, members in and out, statistics as
JSON and CSV for local days, and a group something routes to cannot be removed (409)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

from fs_plugins.models import User
from fs_plugins.models.groups import ABANDONED, ANSWERED, CallGroup, GroupCall, GroupMember
from tests.api_world import GROUP_MEMBER, cheap_argon2, client, world  # noqa: F401 (fixtures)
from tests.provision import find_tenant

BASE = "/api/v1/tenants/acme.example.com/groups"


def test_an_admin_builds_a_group_rings_it_and_cannot_remove_it_while_a_number_routes_to_it(world, client):
    admin = world.headers("tenant-admin")
    created = client.post(BASE, json={"name": "Soporte", "ring_mode": "consecutive", "member_seconds": 15,
                                      "short_number": "700", "no_answer_destination": "voicemail:"}, headers=admin)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == f"{BASE}/Soporte" and created.json["short_number"] == "700"
    assert created.json["no_answer_destination"]["destination"] == "voicemail:"
    for body in ({"user": "1001"}, {"user": "1002"}, {"number": "+34 600 111 222"}):
        assert client.post(f"{BASE}/Soporte/members", json=body, headers=admin).status_code == 201
    again = client.post(f"{BASE}/Soporte/members", json={"user": "1001"}, headers=admin)
    assert again.status_code == 409 and again.json["field"] == "user"
    members = client.get(f"{BASE}/Soporte/members", headers=admin).json["items"]
    assert [(m["user"], m["number"]) for m in members] == [("1001", None), ("1002", None), (None, "+34600111222")]
    assert client.delete(f"{BASE}/Soporte/members/1002", headers=admin).status_code == 204
    assert client.delete(f"{BASE}/Soporte/members/+34600111222", headers=admin).status_code == 204
    assert client.delete(f"{BASE}/Soporte/members/1002", headers=admin).status_code == 404
    assert [m["user"] for m in client.get(f"{BASE}/Soporte", headers=admin).json["members"]] == ["1001"]
    assert client.get(f"{BASE}/{quote('²')}", headers=admin).status_code == 404  # "²".isdigit(), no id

    client.patch(f"/api/v1/tenants/acme.example.com/numbers/{world.own.number}", json={"destination": "group:Soporte"},
                 headers={**admin, "If-Match": "*"})
    refused = client.delete(f"{BASE}/Soporte", headers=admin)
    assert refused.status_code == 409 and refused.json["field"] == "group"
    assert world.own.number in refused.json["detail"]
    assert CallGroup.select().where(CallGroup.name == "Soporte").exists()


def test_a_member_body_names_either_a_user_or_a_number(world, client):
    admin = world.headers("tenant-admin")
    url = f"{BASE}/{quote(world.own.group)}/members"
    for body in ({}, {"user": "1001", "number": "+34600111222"}):
        refused = client.post(url, json=body, headers=admin)
        assert refused.status_code == 422 and refused.json["field"] == "user", refused.json
    assert client.post(url, json={"user": "2001"}, headers=admin).json["field"] == "user"  # the rival's
    assert GroupMember.select().count() == 2  # the world's two, nothing added


def test_two_admins_cannot_overwrite_each_others_group_changes(world, client):
    admin = world.headers("tenant-admin")
    url = f"{BASE}/{quote(world.own.group)}"
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.patch(url, json={"rounds": 2}, headers=admin).status_code == 428
    first = client.patch(url, json={"kind": "advanced", "queue_size": 10}, headers={**admin, "If-Match": etag})
    assert first.status_code == 200 and first.json["kind"] == "advanced" and first.json["queue_size"] == 10
    assert client.patch(url, json={"member_seconds": 20}, headers={**admin, "If-Match": etag}).status_code == 412
    back = client.patch(url, json={"kind": "simple"}, headers={**admin, "If-Match": first.headers["ETag"]})
    assert back.status_code == 422 and back.json["field"] == "kind"
    assert client.delete(url, headers={**admin, "If-Match": etag}).status_code == 412
    assert client.delete(url, headers={**admin, "If-Match": first.headers["ETag"]}).status_code == 204


def test_statistics_count_the_local_days_asked_for_as_json_and_csv(world, client):
    admin = world.headers("tenant-admin")
    group = CallGroup.get(CallGroup.name == world.own.group)
    ana = User.get(User.tenant == find_tenant("acme.example.com"), User.extension == "1001")
    # Madrid is UTC+1 in November: 23:30 UTC on the 2nd is the 3rd locally, so it is not a call of the 2nd.
    calls = [(dt.datetime(2026, 11, 2, 9), ANSWERED, 4.0, ana, 60.0), (dt.datetime(2026, 11, 2, 10), ANSWERED, 30.0,
             None, 10.0), (dt.datetime(2026, 11, 2, 11), ABANDONED, 12.0, None, 0.0),
             (dt.datetime(2026, 11, 2, 23, 30), ANSWERED, 1.0, ana, 5.0)]
    for n, (started, outcome, wait, user, talk) in enumerate(calls):
        GroupCall.create(group=group, call_uuid=f"c{n}", started_at=started, outcome=outcome, wait_seconds=wait,
                         member_user=user, member_number=None if user else GROUP_MEMBER, talk_seconds=talk)
    url = f"{BASE}/{quote(world.own.group)}/stats"
    day = client.get(url, query_string={"first": "2026-11-02"}, headers=admin)
    assert day.status_code == 200, day.json
    figures = day.json
    assert (figures["offered"], figures["answered"], figures["abandoned"]) == (3, 2, 1)
    assert figures["start"] == "2026-11-01T23:00:00Z" and figures["end"] == "2026-11-02T23:00:00Z"
    assert figures["longest_wait"] == 30.0
    assert {m["member"]: m["answered"] for m in figures["members"]} == {"1001": 1, GROUP_MEMBER: 1}
    both = client.get(url, query_string={"first": "2026-11-02", "last": "2026-11-03"}, headers=admin).json
    assert both["offered"] == 4
    sheet = client.get(f"{url}.csv", query_string={"first": "2026-11-02"}, headers=admin)
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sheet.get_data(as_text=True))))
    assert rows[0]["group"] == world.own.group and rows[0]["offered"] == "3" and rows[0]["answered"] == "2"
    backwards = client.get(url, query_string={"first": "2026-11-03", "last": "2026-11-02"}, headers=admin)
    assert backwards.status_code == 422 and backwards.json["field"] == "last"
