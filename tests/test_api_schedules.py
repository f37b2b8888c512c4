"""Schedules through the API: hours, holidays, closures, and "open at this moment, and why"."""
from __future__ import annotations

from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)

BASE = "/api/v1/tenants/acme.example.com/schedules"


def test_a_schedule_answers_open_or_closed_and_why(world, client):
    admin = world.headers("tenant-admin")
    created = client.post(BASE, json={"name": "Tienda", "hours": ["mon-fri 09:00-14:00,16:00-19:00"],
                                      "holidays": "ES", "region": "MD"}, headers=admin)
    assert created.status_code == 201 and created.json["hours"] == ["mon-fri 09:00-14:00,16:00-19:00"]
    state = lambda at: client.get(f"{BASE}/Tienda/state", query_string={"at": at}, headers=admin).json  # noqa: E731
    assert state("2026-11-04T10:00:00+01:00")["open"] is True
    assert state("2026-11-04T15:00:00+01:00") == {"open": False, "reason": "outside hours", "detail": "",
                                                 "local_time": "2026-11-04T15:00:00+01:00"}
    assert state("2026-12-25T10:00:00+01:00")["reason"] == "holiday"
    added = client.post(f"{BASE}/Tienda/closures", json={"starts_at": "2026-11-05T00:00:00",
                                                         "ends_at": "2026-11-06T00:00:00", "label": "Inventario"},
                        headers=admin)
    assert added.status_code == 201
    closed = state("2026-11-05T10:00:00+01:00")
    assert closed["open"] is False and closed["reason"] == "closure" and closed["detail"] == "Inventario"
    assert client.delete(f"{BASE}/Tienda/closures/{added.json['id']}", headers=admin).status_code == 204
    assert state("2026-11-05T10:00:00+01:00")["open"] is True


def test_changing_a_schedule_needs_the_etag_and_bad_hours_name_the_field(world, client):
    admin = world.headers("tenant-admin")
    url = f"{BASE}/{world.own.schedule}"
    etag = client.get(url, headers=admin).headers["ETag"]
    refused = client.patch(url, json={"hours": ["someday 25:00-26:00"]}, headers={**admin, "If-Match": etag})
    assert refused.status_code == 422 and refused.json["field"] == "hours"
    done = client.patch(url, json={"hours": ["mon-sat 08:00-15:00"]}, headers={**admin, "If-Match": etag})
    assert done.status_code == 200 and done.json["hours"] == ["mon-sat 08:00-15:00"]
    assert client.patch(url, json={"name": "Otro"}, headers={**admin, "If-Match": etag}).status_code == 412
    backwards = client.post(f"{url}/openings", json={"starts_at": "2026-11-06T00:00:00",
                                                     "ends_at": "2026-11-05T00:00:00"}, headers=admin)
    assert backwards.status_code == 422 and backwards.json["field"] == "ends_at"
