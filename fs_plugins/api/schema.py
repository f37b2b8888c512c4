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
            get = obj.get
        elif hasattr(kind, "__getitem__"):
            return super()._serialize(obj)
        else:
            get = None  # an object: its attributes, read with getattr
        result = {}
        for attr_name, field, key, source, unchanged in plan:
            if source is None:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
            else:
                value = get(source, missing) if get is not None else getattr(obj, source, missing)
                if value is missing:
                    value = field.serialize(attr_name, obj, accessor=self.get_attribute)
                elif type(value) not in unchanged:
                    value = field._serialize(value, attr_name, obj)
            if value is not missing:
                result[key] = value
        return result

    def _plan(self) -> tuple:
        """(name, field, key in the output, what to read plainly or None for marshmallow's path, the
        types of value the field would give back unchanged)."""
        plain = type(self).get_attribute is apiflask.Schema.get_attribute
        plan = []
        for attr_name, field in self.dump_fields.items():
            source = attr_name if field.attribute is None else field.attribute
            readable = plain and field._CHECK_ATTRIBUTE and "." not in source
            unchanged = () if getattr(field, "as_string", False) else _UNCHANGED.get(type(field), ())
            plan.append((attr_name, field, attr_name if field.data_key is None else field.data_key,
                         source if readable else None, unchanged))
        return tuple(plan)
