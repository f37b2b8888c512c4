"""fs_plugins.api.jsonout: an answer orjson writes is byte for byte the one Flask's encoder writes, and
orjson writes only where that is known (plain output schemas; ASCII, native types)."""
from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass

import orjson
import pytest
from apiflask.fields import Dict, Float, Integer, List, Nested, Pluck, Raw, String
from marshmallow import post_dump

from fs_plugins.api import calls, callhandling, groups, jsonout, users
from fs_plugins.api.schema import Schema
from tests.api_world import OWN, cheap_argon2, world  # noqa: F401 (fixtures)
from tests.api_world import api_client
from tests.test_api_schema_dump import SCHEMAS, _data, _dumped


def _flask(value) -> str:
    """What Flask's provider writes (sort_keys and ensure_ascii are its defaults)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


class _Level(enum.IntEnum):
    HIGH = 2


class _Text(str):
    pass


@dataclass
class _Row:
    name: str


@pytest.mark.parametrize("value", [
    {"b": 1, "a": {"d": [1, 2, None], "c": True}, "e": False}, [], {}, "", "plain",
    "quote \" backslash \\ slash / tab \t newline \n nul \x00 unit \x1f", -(2**63), 2**64 - 1, (1, "two"),
    [{"z": "", "a": None}] * 3, {"k": _Level.HIGH},
])
def test_orjson_writes_what_flask_writes(value):
    assert jsonout.same_as_json(value) == _flask(value)


@pytest.mark.parametrize("value", [
    "ñ", {"name": "José"}, {"ключ": 1}, "del \x7f", ["\u2028"], 2**64, -(2**63) - 1, _Text("x"),
    {"at": dt.datetime(2026, 12, 5, 10, 0)}, [dt.date(2026, 12, 5)], _Row("a"), {_Text("k"): 1}, {1: "a"},
    {"set": {1}},
])
def test_where_orjson_could_write_otherwise_it_writes_nothing(value):
    assert jsonout.same_as_json(value) is None


def test_float_free_output_schemas_are_told_apart():
    for plain in (users.UserOut(), users.UserPage(), calls.CallPage(), callhandling.CallHandlingOut()):
        assert jsonout.plain_schema(plain), type(plain).__name__

    class Hooked(Schema):
        name = String()

        @post_dump
        def add(self, data, **kwargs):
            return {**data, "ratio": 0.5}

    class Plucked(Schema):
        stats = Pluck(groups.StatsOut, "average_wait")

    class Nester(Schema):
        inner = Nested(groups.StatsOut)

    for mixed in (groups.StatsOut(), Hooked(), Plucked(), Nester(), Schema.from_dict({"n": List(Float())})(),
                  Schema.from_dict({"d": Dict()})(), Schema.from_dict({"r": Raw()})(), None, {"n": Integer()}):
        assert not jsonout.plain_schema(mixed), mixed


@pytest.mark.parametrize("schema_class", [cls for cls in SCHEMAS if jsonout.plain_schema(cls())],
                         ids=lambda cls: cls.__name__)
def test_every_plain_schemas_dump_is_written_as_flask_writes_it(schema_class):
    schema = schema_class()
    for variant in (0, 1, 2, 3):
        dumped = _dumped(schema, _data(schema, variant=variant))
        if isinstance(dumped, tuple):  # data marshmallow cannot dump (a dict where "items" is dict.items)
            continue
        text = jsonout.same_as_json(dumped)
        assert text is None or text == _flask(dumped), variant
        ascii_only = json.loads(_flask(dumped).replace("\\u00f1", "n"))  # _data's strings say "value ñ"
        assert jsonout.same_as_json(ascii_only) == _flask(ascii_only), variant


class _FlaskWrites(jsonout.ApiJSONProvider):
    """Every answer written by Flask's encoder."""

    def as_written(self, value):
        return None


def _answers(world, app, client, requests):
    return [(response.status_code, response.headers.get("ETag"), response.data)
            for method, path, role, body in requests
            for response in [client.open(path, method=method, json=body, headers=world.headers(role))]]


def test_the_api_answers_the_same_bytes_and_orjson_writes_the_plain_ones(world, monkeypatch):
    requests = [("GET", f"/api/v1/tenants/{OWN}/users?limit=1", "tenant-admin", None),
                ("GET", f"/api/v1/tenants/{OWN}/users/1001", "tenant-admin", None),
                ("GET", "/api/v1/me/call-handling", "user", None),
                ("GET", "/api/v1/me/calls?limit=5", "user", None),
                ("GET", f"/api/v1/tenants/{OWN}/groups/{world.own.group}/stats", "tenant-admin", None),
                ("GET", f"/api/v1/tenants/{OWN}/users?limit=0", "tenant-admin", None),  # a problem (422)
                ("GET", f"/api/v1/tenants/{OWN}/users/9999", "tenant-admin", None)]  # 404
    app, client = api_client()
    written = []
    quick = orjson.dumps
    monkeypatch.setattr(jsonout.orjson, "dumps", lambda *a, **k: written.append(1) or quick(*a, **k))
    ours = _answers(world, app, client, requests)
    assert len(written) == 6  # every answer but the statistics (floats)
    assert [status for status, _, _ in ours] == [200, 200, 200, 200, 200, 422, 404]
    app.json = _FlaskWrites(app)
    assert _answers(world, app, client, requests) == ours
