"""The API's JSON answers written by orjson where that gives exactly the bytes Flask's encoder gives.

Flask writes an answer with json.dumps(sort_keys=True, ensure_ascii=True, separators=(",", ":")):
its provider sorts keys (Flask 3 no longer reads JSON_SORT_KEYS). A page of 50 call-log entries or
100 users (16 KB) took 250-450 µs there, the largest single cost of those requests after the dump
itself; orjson writes the same text in 20-40 µs. The API shares its process's core with FreeSWITCH's
xml_curl handler (benches/b6_api.py line 3), so its CPU per request is what that handler pays.

The two agree byte for byte only on some values, so orjson's text is used only when all of these hold:
* no float anywhere: they differ there (json writes 1e-05, orjson 0.00001). That is known from the
  schema the view answers with (`plain_output`): only fields that can give no float (PLAIN_FIELDS,
  nested in each other) and no post_dump hook. The other bodies of such a view are problem+json
  answers (problems.problem: strings and the status), which hold none either;
* nothing orjson would write on its own terms: a subclass of str, int, dict or list, a date, a
  dataclass, anything else goes to `default`, which gives up (orjson writes an Enum by its value and
  a UUID as its text where json asks default, Flask's: a plain schema's dump holds neither);
* the text is ASCII without DEL: json escapes every other character (ensure_ascii), orjson does not;
  an integer beyond 64 bits makes orjson give up by itself.
Otherwise Flask's own encoder writes the answer, as before. tests/test_api_jsonout.py compares them.
"""
from __future__ import annotations

import orjson
from flask import has_request_context, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)
# Fields whose dump is a str, an int, a bool, None, or (Nested, List) made of such fields. Not
# Number or Float, Raw, Dict, Method, Function, Constant: they can hand over anything.
PLAIN_FIELDS = (fields.String, fields.Integer, fields.Boolean, fields.DateTime, fields.Date, fields.Nested,
                fields.List)


class _Unlike(TypeError):
    """A value orjson would write unlike json.dumps."""


def _give_up(value):
    raise _Unlike(type(value).__name__)


def same_as_json(value) -> str | None:
    """json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":")) written by orjson,
    for a value holding no float; None when orjson's text could differ (see the module)."""
    try:
        text = orjson.dumps(value, default=_give_up, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if not text.isascii() or b"\x7f" in text:
        return None
    return text.decode("ascii")


def plain_schema(schema, seen: frozenset = frozenset()) -> bool:
    """Whether every value a dump of `schema` (an instance) can hold is a str, int, bool or None."""
    if not isinstance(schema, Schema) or schema._hooks[POST_DUMP]:
        return False
    if id(schema) in seen:  # nested in itself: its fields are being checked already
        return True
    inner = seen | {id(schema)}
    return all(_plain_field(field, inner) for field in schema.dump_fields.values())


def _plain_field(field, seen: frozenset) -> bool:
    if not isinstance(field, PLAIN_FIELDS) or isinstance(field, fields.Pluck):  # Pluck: another field's value
        return False
    if isinstance(field, fields.Nested):
        return plain_schema(field.schema, seen)
    if isinstance(field, fields.List):
        return _plain_field(field.inner, seen)
    return True


_PLAIN: dict[str, bool] = {}


def plain_output(app, endpoint: str | None) -> bool:
    """Whether the view of `endpoint` answers with a schema of plain fields only (@bp.output)."""
    if endpoint not in _PLAIN:
        view = app.view_functions.get(endpoint or "")
        declared = (getattr(view, "_spec", None) or {}).get("response", {}).get("schema")
        _PLAIN[endpoint] = plain_schema(declared)
    return _PLAIN[endpoint]


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's provider, writing the answers of views with plain output schemas through orjson."""

    def response(self, *args, **kwargs):
        text = self.as_written(self._prepare_response_obj(args, kwargs))
        if text is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(f"{text}\n", mimetype=self.mimetype)

    def as_written(self, value) -> str | None:
        """The text (without the final newline) `response` writes for `value` when orjson writes it,
        else None: the answer of a view with a plain output schema, under Flask's settings for
        what same_as_json writes (compact, sorted, ASCII)."""
        compact = self.compact if self.compact is not None else not self._app.debug
        if not (compact and self.sort_keys is True and self.ensure_ascii is True and has_request_context()
                and plain_output(self._app, request.endpoint)):
            return None
        return same_as_json(value)
