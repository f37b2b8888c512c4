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
for a dict, one for an object), instead of looping over a plan of them for every item.
"""
from __future__ import annotations

import apiflask
from marshmallow import fields, missing

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
            fields_read.append((n, readable, bool(unchanged)))
        made: tuple = ()
        for reader in ("read(source{n}, missing)", "read(obj, source{n}, missing)"):  # a dict's get; getattr
            lines = [line for n, readable, passes in fields_read for line in _field_lines(n, readable, passes, reader)]
            text = ["def one(obj, read):", "    result = {}", *lines, "    return result"]
            code = "".join(f"{line}\n" for line in text)
            space = dict(names)
            exec(compile(code, f"<dump of {type(self).__name__}>", "exec"), space)  # noqa: S102 (our own text)
            made += (space["one"],)
        return made


def _field_lines(n: int, readable: bool, passes_some: bool, reader: str) -> list[str]:
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
            f"        value = field{n}._serialize(value, name{n}, obj)",
            "    if value is not missing:",
            f"        result[key{n}] = value"]
