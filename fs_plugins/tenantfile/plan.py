"""What `apply` will do: the differences between the tenant as it is and as the file says (pure).

Both sides are documents in the form an export writes (export.py; the file's items brought to it
with kinds.canonical). Items are matched by their key (kinds.KEYS: a user's extension, a DID, any
other item's name), never by position or id: an item only in the file is added, one only in the
database removed, one in both with different values changed (the keys that differ are listed).
Renaming an item is therefore a removal and an addition. Contacts have no key (two may share a
name): a contact that differs in anything is removed and the file's one added.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fs_plugins.errors import InvalidInput
from fs_plugins.tenantfile import kinds

ADD, CHANGE, REMOVE = "add", "change", "remove"
SIGNS = {ADD: "+", CHANGE: "~", REMOVE: "-"}
LABELS = {"tenant": "tenant", "audio": "audio", "schedules": "schedule", "users": "user", "ivr_menus": "IVR menu",
          "groups": "group", "flows": "flow", "flow_routes": "flow route", "numbers": "number", "contacts": "contact"}


@dataclass(frozen=True)
class Change:
    section: str  # "tenant" or one of kinds.SECTIONS
    key: str  # the item's key (a contact: its name)
    action: str  # ADD, CHANGE or REMOVE
    path: str  # where the item is in the file (users[3]); for a removal, not in the file: "users (removing 1003)"
    fields: tuple[str, ...] = ()  # for CHANGE: the keys that differ

    def __str__(self) -> str:
        text = f"{SIGNS[self.action]} {LABELS[self.section]} {self.key}"
        return text + (f": {', '.join(self.fields)}" if self.fields else "")


@dataclass(frozen=True)
class Plan:
    domain: str
    changes: tuple[Change, ...]

    def of(self, section: str, action: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.section == section and (action is None or c.action == action)]

    def lines(self) -> list[str]:
        if not self.changes:
            return [f"tenant {self.domain}: no changes"]
        counts = Counter(c.action for c in self.changes)
        head = ", ".join(f"{counts[a]} to {a}" for a in (ADD, CHANGE, REMOVE) if counts[a])
        return [f"tenant {self.domain}: {head}"] + [f"  {c}" for c in self.changes]


def canonical_document(document: dict) -> dict:
    """Every item of a document as an export writes it (the file's keys checked for duplicates)."""
    result = {"tenant": kinds.canonical("tenant", document["tenant"])}
    for section in kinds.SECTIONS:
        items = [kinds.canonical(section, item) for item in document.get(section) or ()]
        key = kinds.KEYS.get(section)
        seen: dict = {}
        for index, item in enumerate(items):
            if key is not None:
                if item[key] in seen:
                    raise InvalidInput(f"{section}[{index}].{key}",
                                       f"{item[key]!r} is already {section}[{seen[item[key]]}]")
                seen[item[key]] = index
        result[section] = items
    _enabled_flows_only(result)
    return result


def _enabled_flows_only(document: dict) -> None:
    """A route's flow must be one the file enables for the tenant (its flows section)."""
    enabled = {item["flow"] for item in document["flows"]}
    for index, route in enumerate(document["flow_routes"]):
        if route["flow"] not in enabled:
            raise InvalidInput(f"flow_routes[{index}].flow", f"flow {route['flow']!r} is not enabled for the tenant: "
                                                               "list it under flows (the operator's choice)")


def make_plan(current: dict | None, desired: dict) -> Plan:
    """`current`: the tenant's export (None: no such tenant yet); `desired`: canonical_document()."""
    domain = desired["tenant"]["domain"]
    changes: list[Change] = []
    if current is None:
        changes.append(Change("tenant", domain, ADD, "tenant"))
        current = {"tenant": {}}
    else:
        fields = _differing(current["tenant"], desired["tenant"], kinds.TENANT)
        if fields:
            changes.append(Change("tenant", domain, CHANGE, "tenant", fields))
    for section in kinds.SECTIONS:
        before = [kinds.canonical(section, item) for item in current.get(section) or ()]
        after = desired.get(section) or []
        if section == "contacts":
            changes += _contacts(before, after)
        else:
            changes += _keyed(section, before, after)
    return Plan(domain, tuple(changes))


def _keyed(section: str, before: list[dict], after: list[dict]) -> list[Change]:
    key, defaults = kinds.KEYS[section], kinds.DEFAULTS[section]
    old = {item[key]: item for item in before}
    new = {item[key] for item in after}
    changes = []
    for index, item in enumerate(after):
        path = f"{section}[{index}]"
        if item[key] not in old:
            changes.append(Change(section, item[key], ADD, path))
        else:
            fields = _differing(old[item[key]], item, defaults)
            if fields:
                changes.append(Change(section, item[key], CHANGE, path, fields))
    changes += [Change(section, name, REMOVE, _gone(section, name)) for name in old if name not in new]
    return changes


def _contacts(before: list[dict], after: list[dict]) -> list[Change]:
    removed, added = contact_diff(before, after)
    return ([Change("contacts", after[i]["name"], ADD, f"contacts[{i}]") for i in added]
            + [Change("contacts", before[i]["name"], REMOVE, _gone("contacts", before[i]["name"])) for i in removed])


def contact_diff(before: list[dict], after: list[dict]) -> tuple[list[int], list[int]]:
    """(indexes of `before` to remove, indexes of `after` to add): a contact equal in everything to
    one of `before` keeps it."""
    unmatched: dict = {}
    for index, item in enumerate(before):
        unmatched.setdefault(_frozen(item), []).append(index)
    added = []
    for index, item in enumerate(after):
        waiting = unmatched.get(_frozen(item))
        if waiting:
            waiting.pop(0)
        else:
            added.append(index)
    return sorted(i for waiting in unmatched.values() for i in waiting), added


def _gone(section: str, key: str) -> str:
    return f"{section} (removing {key})"


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _differing(old: dict, new: dict, defaults: dict) -> tuple[str, ...]:
    before, after = kinds.full(old, defaults), kinds.full(new, defaults)
    return tuple(k for k in dict.fromkeys([*after, *before]) if before.get(k) != after.get(k))
