"""Bad input for every write of the OpenAPI document: the answer is 422 problem+json naming the field,
and nothing stored changes. Generated from the spec (a wrong JSON type for each property of each
example body), plus the values only the application layer can judge."""
from __future__ import annotations

import pytest

from fs_plugins.models import Number, Tenant, User, database
from fs_plugins.models.access import ApiKey, Login
from fs_plugins.models.callhandling import CallHandling, OutboundRestriction, SimRing
from fs_plugins.models.core import ShortNumber
from fs_plugins.models.groups import CallGroup, GroupMember
from fs_plugins.models.ivr import IvrMenu, IvrOption
from tests.api_world import api_client, build_world, cheap_argon2  # noqa: F401 (fixture)

APP, CLIENT = api_client()
SPEC = CLIENT.get("/api/v1/openapi.json").json
WRONG_TYPE = {"string": 12345, "boolean": "maybe", "integer": "many"}


def _schema(ref: str) -> dict:
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _cases():
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method not in ("post", "put", "patch") or content is None:
                continue
            for name, prop in _schema(content["schema"]["$ref"]).get("properties", {}).items():
                kinds = prop.get("type")
                kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds or []) if k != "null"), None)
                if kind in WRONG_TYPE and not prop.get("readOnly"):
                    yield path, method, name, WRONG_TYPE[kind]


CASES = sorted(set(_cases()))


@pytest.fixture(scope="module")
def world(module_db):
    return build_world()


def snapshot() -> list:
    """Every stored row that a write could touch (a key's last use is bookkeeping, not a change)."""
    return [sorted(tuple(sorted((k, v) for k, v in row.items() if k != "last_used_at"))
                   for row in model.select().dicts())
            for model in (Tenant, User, Number, ApiKey, Login, CallHandling, SimRing, OutboundRestriction, ShortNumber,
                          IvrMenu, IvrOption, CallGroup, GroupMember)]


def refused_without_change(world, method: str, url: str, body: dict, role: str = "operator"):
    """Send as `role`; assert 422 and that no stored row changed (then roll back anyway)."""
    with database.atomic() as case:
        before = snapshot()
        response = getattr(CLIENT, method)(url, json=body, headers=world.headers(role, **{"If-Match": "*"}))
        after = snapshot()
        case.rollback()
    assert response.status_code == 422, response.json
    assert after == before
    return response


def test_every_write_with_a_body_is_covered():
    assert len(CASES) >= 30 and {c[0] for c in CASES} >= {"/api/v1/tenants", "/api/v1/tenants/{domain}/users"}


@pytest.mark.parametrize("path,method,name,wrong", CASES, ids=[f"{m.upper()} {p} {n}" for p, m, n, _ in CASES])
def test_a_value_of_the_wrong_type_is_refused_naming_the_field_and_nothing_changes(world, path, method, name, wrong):
    url = path
    for name, value in world.own.values("own", path).items():
        url = url.replace("{" + name + "}", value)
    body = dict(SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["example"])
    body[name] = wrong
    role = "user" if SPEC["paths"][path][method]["x-centralita-access"] == "self" else "operator"
    response = refused_without_change(world, method, url, body, role)
    assert response.content_type == "application/problem+json"
    assert response.json["field"] == name and name in response.json["detail"]


SEMANTIC = [
    ("post", "/api/v1/tenants", {"domain": "not a domain", "name": "X"}, "domain"),
    ("post", "/api/v1/tenants", {"domain": "public", "name": "X"}, "domain"),
    ("post", "/api/v1/tenants", {"domain": "x.example.com", "name": "X ${system(id)}"}, "name"),
    ("post", "/api/v1/tenants", {"domain": "x.example.com", "name": "X", "timezone": "Mars/Olympus"}, "timezone"),
    ("post", "/api/v1/tenants", {"domain": "x.example.com", "name": "X", "country": "XX"}, "country"),
    ("post", "/api/v1/tenants", {"domain": "x.example.com", "name": "X", "region": "ZZ"}, "region"),
    ("post", "/api/v1/tenants", {"domain": "x.example.com", "name": "X", "language": "spanish"}, "language"),
    ("patch", "/api/v1/tenants/{domain}", {"timezone": "Nowhere"}, "timezone"),
    ("post", "/api/v1/tenants/{domain}/users", {"extension": "01", "name": "X"}, "extension"),
    ("post", "/api/v1/tenants/{domain}/users", {"extension": "1050", "name": "X\r\nY"}, "name"),
    ("post", "/api/v1/tenants/{domain}/users", {"extension": "1050", "name": "X", "email": "nope"}, "email"),
    ("post", "/api/v1/tenants/{domain}/users", {"extension": "1050", "name": "X", "password": "short"}, "password"),
    ("patch", "/api/v1/tenants/{domain}/users/1001", {"extension": "1060"}, "password"),
    ("patch", "/api/v1/tenants/{domain}/users/1001", {"extension": "x1", "password": "long-enough-1"}, "extension"),
    ("put", "/api/v1/tenants/{domain}/users/1001/sip-password", {"password": "short"}, "password"),
    ("post", "/api/v1/tenants/{domain}/numbers", {"number": "12", "destination": "user:1001"}, "number"),
    ("post", "/api/v1/tenants/{domain}/numbers", {"number": "+34910000077", "destination": "user:9999"},
     "destination"),
    ("post", "/api/v1/tenants/{domain}/numbers", {"number": "+34910000077", "destination": "bogus:1"}, "destination"),
    ("post", "/api/v1/tenants/{domain}/numbers", {"number": "+34910000077", "destination": "number:${x}"},
     "destination"),
    ("patch", "/api/v1/tenants/{domain}/numbers/+34910000001", {"destination": "user:2001"}, "destination"),
    ("post", "/api/v1/tenants/{domain}/keys", {"name": "k", "role": "operator"}, "role"),
    ("post", "/api/v1/tenants/{domain}/keys", {"name": "k", "role": "user"}, "extension"),
    ("post", "/api/v1/tenants/{domain}/keys", {"name": "k", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ("post", "/api/v1/keys", {"name": "k", "role": "tenant-admin"}, "tenant"),
    ("post", "/api/v1/keys", {"name": "k", "role": "operator", "tenant": "acme.example.com"}, "tenant"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling", {"busy": "user:1001"}, "busy"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling", {"always": "hangup:"}, "always"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling", {"no_answer": "number:+34803123456"}, "no_answer"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling", {"no_answer_seconds": 2}, "no_answer_seconds"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling", {"dnd_mode": "loud"}, "dnd_mode"),
    ("patch", "/api/v1/tenants/{domain}/users/1001/call-handling",
     {"always": "user:1002", "not_registered": "user:9999"}, "not_registered"),
    ("post", "/api/v1/tenants/{domain}/users/1001/simring", {"destination": "user:1002", "confirm": True}, "confirm"),
    ("post", "/api/v1/tenants/{domain}/users/1001/simring", {"destination": "ivr:Main"}, "destination"),
    ("post", "/api/v1/tenants/{domain}/users/1001/simring", {"destination": "number:+34600123456", "delay": 99},
     "delay"),
    ("put", "/api/v1/tenants/{domain}/restrictions", {"allow": ["everything"]}, "allow.0"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"x": "user:1001"}}, "options"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"1": "user:9999"}}, "options.1"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M"}, "options"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"1": "user:1001"}, "timeout": 0}, "timeout"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"1": "user:1001"}, "welcome": "nope"},
     "welcome"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"1": "user:1001"},
                                              "numbers": ["+34910000001"]}, "numbers"),
    ("post", "/api/v1/tenants/{domain}/ivr", {"name": "M", "options": {"1": "user:1001"}, "short_number": "1001"},
     "short_number"),
    ("patch", "/api/v1/tenants/{domain}/ivr/Ana menú", {"remove_options": ["1", "2"]}, "options"),
    ("patch", "/api/v1/tenants/{domain}/ivr/Ana menú", {"name": "Ana menú", "forward": "sideways"}, "forward"),
    ("put", "/api/v1/tenants/{domain}/ivr/Ana menú/options/x", {"destination": "user:1001"}, "key"),
    ("put", "/api/v1/tenants/{domain}/ivr/Ana menú/options/3", {"destination": "ivr:Nope"}, "options.3"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "1234"}, "name"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "ring_mode": "random"}, "ring_mode"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "member_seconds": 1}, "member_seconds"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "no_answer_destination": "user:9999"},
     "no_answer_destination"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "short_number": "7"}, "short_number"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "melody": "audio:nope"}, "melody"),
    ("post", "/api/v1/tenants/{domain}/groups", {"name": "G", "opening": "schedule"}, "schedule"),
    ("post", "/api/v1/tenants/{domain}/groups/Ana ventas/members", {"number": "12"}, "number"),
    ("post", "/api/v1/tenants/{domain}/groups/Ana ventas/members", {"user": "9999"}, "user"),
    ("patch", "/api/v1/tenants/{domain}/groups/Ana ventas", {"callback_key": "x"}, "callback_key"),
]


@pytest.mark.parametrize("method,path,body,field", SEMANTIC, ids=[f"{m} {p} {f}" for m, p, _, f in SEMANTIC])
def test_a_value_the_application_refuses_names_the_field_and_nothing_changes(world, method, path, body, field):
    response = refused_without_change(world, method, path.replace("{domain}", world.own.domain), body)
    assert response.json["field"] == field, response.json


@pytest.mark.parametrize("query, field", [
    ({"since": "0001-01-01T00:00:00+01:00"}, "since"),  # no UTC time before year 1
    ({"before": str(2 ** 70)}, "before"),  # no database integer that large
])
def test_an_audit_query_out_of_range_is_refused_naming_the_field(world, query, field):
    response = CLIENT.get("/api/v1/audit", query_string=query, headers=world.headers("operator"))
    assert response.status_code == 422 and field in str(response.json), response.json
