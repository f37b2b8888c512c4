"""The base of the API's schemas: APIFlask's, with a quicker dump of the same JSON.

marshmallow reads each field's value through three generic layers (the field's get_value, the
schema's accessor, a dotted-key walk that tries `obj[key]` then `getattr`), which for a page of 50
call-log entries cost as much CPU as the query and the rest of the request together. Here a field
whose value can be read plainly (a dict's key or a dataclass's attribute, no dotted `attribute`)
is read directly and handed to the field's own `_serialize`, so each value is converted exactly as
marshmallow converts it; anything else (a missing value, dump defaults, an object with
`__getitem__`, a field that reads no attribute, dump hooks) goes through marshmallow's own path.
tests/test_api_schema_dump.py compares the two on every output schema of the API.

A value that a plain String, Integer or Boolean field would hand back unchanged (a str, an int, a
bool of exactly that type, or None) is not even handed to the field: a page of 50 call-log entries
has 700 such values, and each conversion was three calls returning what it was given.

Each schema writes these steps out once as Python for its own fields (Schema._plan: one function
for a dict, one for an object), instead of looping over a plan of them for every item; two
conversions are written out too (_quick_conversion): a naive UTC time, and the items of a page,
dumped by their schema directly instead of through List's and Nested's calls per item.
"""
from __future__ import annotations

import datetime as dt

import apiflask
from marshmallow import fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from fs_plugins.api.fields import UTC_ISO, UtcDateTime

# What each field class (exactly that class: a subclass may convert differently) gives back as it
# was given. Not int for Boolean (1 becomes True), not bool for Integer (True becomes 1).
_UNCHANGED = {fields.String: (str, type(None)), fields.Integer: (int, type(None)),
              fields.Boolean: (bool, type(None))}


class Schema(apiflask.Schema):
    def _serialize(self, obj, *, many: bool = False):
        plan = self.__dict__.get("_plain_plan") or self.__dict__.setdefault("_plain_plan", self._plan())
        if many and obj is not None:
            return [self._one(item, plan) for item in obj]
        return self._one(obj, plan)

    def _one(self, obj, plan: tuple) -> dict:
        kind = type(obj)
        if kind is dict:
            return plan[0](obj, obj.get)
        if hasattr(kind, "__getitem__"):
            return super()._serialize(obj)
        return plan[1](obj, getattr)  # an object: its attributes

    def _plan(self) -> tuple:
        """The dump of one dict and of one object, as two functions written for this schema's fields:
        a page of 100 users is 600 values, and a loop over the fields (unpacking each one's plan,
        choosing how to read it) cost more than reading them."""
        plain = type(self).get_attribute is apiflask.Schema.get_attribute
        names = {"missing": missing, "accessor": self.get_attribute}
        fields_read = []
        for n, (attr_name, field) in enumerate(self.dump_fields.items()):
            source = attr_name if field.attribute is None else field.attribute
            readable = plain and field._CHECK_ATTRIBUTE and "." not in source
            unchanged = () if getattr(field, "as_string", False) else _UNCHANGED.get(type(field), ())
            key = attr_name if field.data_key is None else field.data_key
            names.update({f"field{n}": field, f"name{n}": attr_name, f"source{n}": source, f"key{n}": key,
                          f"unchanged{n}": unchanged})
            quick = _quick_conversion(field)
            if quick == "items":
                names[f"each{n}"] = field.inner.schema.dump_one
            fields_read.append((n, readable, bool(unchanged), quick))
        made: tuple = ()
        for reader in ("read(source{n}, missing)", "read(obj, source{n}, missing)"):  # a dict's get; getattr
            lines = [line for n, readable, passes, quick in fields_read
                     for line in _field_lines(n, readable, passes, reader, quick)]
            text = ["def one(obj, read):", "    result = {}", *lines, "    return result"]
            code = "".join(f"{line}\n" for line in text)
            space = {**names, "datetime": dt.datetime}
            exec(compile(code, f"<dump of {type(self).__name__}>", "exec"), space)  # noqa: S102 (our own text)
            made += (space["one"],)
        return made


    def dump_one(self, obj) -> dict:
        """self.dump(obj) of one object, for a schema without dump hooks (_quick_conversion)."""
        plan = self.__dict__.get("_plain_plan") or self.__dict__.setdefault("_plain_plan", self._plan())
        return self._one(obj, plan)


def _quick_conversion(field) -> str | None:
    """What field._serialize does, written out in the dump where it is short (a call less per value):
    "utc" for a UtcDateTime in ISO (a naive datetime: isoformat + "+00:00"), "items" for a List of a
    Nested schema of ours without hooks (each item dumped by it; as List and Nested do, a None item
    stays None), else None."""
    if type(field) is UtcDateTime and field.format in UTC_ISO:
        return "utc"
    if type(field) is fields.List and type(field.inner) is fields.Nested and not field.inner.many:
        nested = field.inner.schema
        if isinstance(nested, Schema) and not nested.many and not nested._hooks[PRE_DUMP] \
                and not nested._hooks[POST_DUMP]:
            return "items"
    return None


def _field_lines(n: int, readable: bool, passes_some: bool, reader: str, quick: str | None) -> list[str]:
    """The lines that put field number n's value in `result` as marshmallow's dump would: read
    plainly by `reader` when `readable`, handed to the field's `_serialize` unless its type is one
    the field gives back unchanged (`passes_some`: there are such types), marshmallow's own
    `serialize` for a value not there or a field not read plainly."""
    serialize = f"field{n}.serialize(name{n}, obj, accessor=accessor)"
    if not readable:  # a dotted attribute, a field that reads no attribute, a schema's own get_attribute
        return [f"    value = {serialize}", "    if value is not missing:", f"        result[key{n}] = value"]
    return [f"    value = {reader.format(n=n)}",
            "    if value is missing:",
            f"        value = {serialize}",
            f"    elif type(value) not in unchanged{n}:" if passes_some else "    else:",
            *{"utc": ["        if type(value) is datetime and value.tzinfo is None:",
                      "            value = value.isoformat() + '+00:00'",
                      "        else:",
                      f"            value = field{n}._serialize(value, name{n}, obj)"],
              "items": ["        if value is not None:",
                        f"            value = [None if each is None else each{n}(each) for each in value]"],
              None: [f"        value = field{n}._serialize(value, name{n}, obj)"]}[quick],
            "    if value is not missing:",
            f"        result[key{n}] = value"]
