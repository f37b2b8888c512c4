"""fs_plugins.api.schema: the quicker dump must give exactly the JSON marshmallow's own gives, for
every schema of the API, from a dict and from an object, with values present, None and missing."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import make_dataclass

import apiflask
import pytest
from marshmallow import fields

import fs_plugins.api.app  # noqa: F401  (imports every resource module, so every schema exists)
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.schema import Schema
from fs_plugins.api.users import UserOut


def _every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _every(sub)


SCHEMAS = sorted({cls for cls in _every(Schema)}, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


class _Text(str):
    """A str that is not exactly str (as an enum's value may be): converted, never passed through."""

    def __str__(self):
        return "converted " + super().__str__()


def _odd(field):
    """A value of a type the field converts into another (String: an int or a str subclass;
    Integer: a bool or a float; Boolean: 1), where a quicker path that passes values through
    unchanged would send different JSON."""
    if isinstance(field, fields.Boolean):
        return 1
    if isinstance(field, fields.Integer):
        return True if field.name and len(field.name) % 2 else 7.9
    if isinstance(field, fields.DateTime):
        return dt.datetime(2026, 12, 3, 15, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    if isinstance(field, fields.String):
        return 12 if field.name and len(field.name) % 2 else _Text("text")
    return None


def _value(field, depth: int, variant: int):
    if variant == 1:
        return None
    if variant == 3 and not isinstance(field, (fields.Nested, fields.List)):
        return _odd(field)
    if isinstance(field, fields.Nested):
        nested = field.schema
        return _data(nested, depth + 1, variant) if depth < 3 else {}
    if isinstance(field, fields.List):
        return [_value(field.inner, depth, variant), _value(field.inner, depth, variant)]
    if isinstance(field, fields.DateTime):
        return dt.datetime(2026, 12, 3, 15, 4, 5, 123456)
    if isinstance(field, fields.Date):
        return dt.date(2026, 12, 3)
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, (fields.Integer, fields.Float)):
        return 7
    if isinstance(field, fields.Dict):
        return {"a": 1}
    return "value ñ"


def _data(schema, depth: int = 0, variant: int = 0) -> dict:
    """variant 0: every value; 1: every value None; 2: every other value left out."""
    data = {}
    for n, (name, field) in enumerate(schema.dump_fields.items()):
        if variant == 2 and n % 2:
            continue
        data[field.attribute or name] = _value(field, depth, variant)
    return data


def _dumped(schema, obj):
    """The dump, or the error it raised (a dict without "items" makes marshmallow read dict.items)."""
    try:
        return schema.dump(obj)
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc)


def _both(schema, obj, monkeypatch):
    ours = _dumped(schema, obj)
    with monkeypatch.context() as patched:
        patched.setattr(Schema, "_serialize", apiflask.Schema._serialize)
        theirs = _dumped(schema, obj)
    return ours, theirs


def _json(dumped) -> str:
    """As sent: True and 1 are equal in Python, not in JSON."""
    return json.dumps(dumped, sort_keys=True, default=repr)


def test_a_utc_time_is_sent_as_marshmallow_sends_it_in_utc():
    plain = fields.DateTime()
    bound = UserOut().dump_fields["created_at"]  # as a schema has it: its format set to "iso"
    assert isinstance(bound, UtcDateTime)
    for value in (dt.datetime(2026, 12, 3, 15, 4, 5), dt.datetime(2026, 12, 3, 15, 4, 5, 120),
                  dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)):
        assert UtcDateTime()._serialize(value, "at", None) == bound._serialize(value, "at", None) == plain._serialize(
            value.replace(tzinfo=dt.timezone.utc), "at", None) == value.isoformat() + "+00:00"
    madrid = dt.datetime(2026, 12, 3, 15, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert UtcDateTime()._serialize(madrid, "at", None) == "2026-12-03T15:04:05+01:00"
    assert UtcDateTime()._serialize(None, "at", None) is None
    assert UtcDateTime(format="%Y")._serialize(dt.datetime(2026, 1, 1), "at", None) == "2026"


def test_every_schema_of_the_api_is_found():
    names = {cls.__name__ for cls in SCHEMAS}
    assert {"CallPage", "CallOut", "UserOut", "UserPage", "CallHandlingOut"} <= names and len(SCHEMAS) > 50


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: cls.__name__)
def test_the_quicker_dump_is_marshmallows_from_a_dict_and_from_an_object(schema_class, monkeypatch):
    schema = schema_class()
    for variant in (0, 1, 2, 3):
        data = _data(schema, variant=variant)
        ours, theirs = _both(schema, data, monkeypatch)
        assert _json(ours) == _json(theirs), variant
        if data and all(key.isidentifier() and "." not in key for key in data):
            view = make_dataclass("View", list(data))(**data)
            ours, theirs = _both(schema, view, monkeypatch)
            assert _json(ours) == _json(theirs), variant
    assert schema.dump([_data(schema)], many=True) == [schema.dump(_data(schema))]


@pytest.mark.parametrize("schema_class", [cls for cls in SCHEMAS if any(
    isinstance(field, fields.List) and isinstance(field.inner, fields.Nested) for field in cls().dump_fields.values())],
    ids=lambda cls: cls.__name__)
def test_a_list_of_items_with_none_and_odd_values_among_them_is_dumped_as_marshmallow_dumps_it(schema_class,
                                                                                               monkeypatch):
    schema = schema_class()
    data, lists = _data(schema), []
    for name, field in schema.dump_fields.items():
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            inner = field.inner.schema
            data[field.attribute or name] = [None, _data(inner, 1, 0), _data(inner, 1, 3), _data(inner, 1, 2)]
            lists.append(field.data_key or name)
    ours, theirs = _both(schema, data, monkeypatch)
    assert _json(ours) == _json(theirs)
    assert all(ours[key][0] is None and len(ours[key]) == 4 for key in lists)
