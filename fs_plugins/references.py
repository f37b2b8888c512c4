"""Destinations as users write them, and back.

Users type ``user:1002`` (an extension), ``number:91 123 45 67`` (any written form),
``ivr:Reception`` (a name or id), ``voicemail:1002`` or ``voicemail:`` (general box),
``message:Closed`` and ``hangup`` or ``hangup:USER_BUSY``. `resolve` turns that into the stored
Destination (ids, E.164) after checking the target exists in the same tenant — a destination can
never point into another tenant. Kinds whose tables belong to a feature (ivr, group, message) are
resolved by that feature's module, named in FEATURE_RESOLVERS and imported on first use.
"""
from __future__ import annotations

import importlib
from typing import Callable

from fs_plugins import validate
from fs_plugins.destinations import KINDS, Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Tenant, User
from fs_plugins.models.base import DestinationField

# kind -> "module:function"; function(tenant, reference_text, field) -> Destination, and
# "module:function" describing it: function(tenant, destination) -> str.
FEATURE_RESOLVERS: dict[str, tuple[str, str]] = {
    "message": ("fs_plugins.audio.lookup:resolve", "fs_plugins.audio.lookup:describe"),
    "ivr": ("fs_plugins.ivr.lookup:resolve", "fs_plugins.ivr.lookup:describe"),
    "group": ("fs_plugins.groups.service:resolve", "fs_plugins.groups.service:describe"),
}


def resolve(tenant: Tenant, text: str, field: str = "destination") -> Destination:
    kind, _, reference = (text or "").partition(":")
    kind, reference = kind.strip().lower(), reference.strip()
    if kind not in KINDS:
        raise InvalidInput(field, f"expected kind:target with kind one of {', '.join(KINDS)}, got {text!r}")
    if kind == "user":
        return Destination("user", str(_user(tenant, reference, field).id))
    if kind == "voicemail":
        return Destination("voicemail", str(_user(tenant, reference, field).id) if reference else "")
    if kind == "number":
        return Destination("number", validate.e164(reference, tenant.country, field))
    if kind == "hangup":
        try:
            return Destination("hangup", reference.upper() or "NORMAL_CLEARING")
        except InvalidInput as exc:
            raise InvalidInput(field, exc.message) from None
    return _feature(kind, "resolve")(tenant, reference, field)


def describe(tenant: Tenant, destination: Destination | None) -> str:
    """How a destination reads to a person: ``user:1002 (Bob)``; a dangling one says so."""
    if destination is None:
        return "-"
    kind = destination.kind
    if kind in ("user", "voicemail") and destination.target:
        user = User.get_or_none(User.tenant == tenant, User.id == destination.object_id)
        return f"{kind}:{user.extension} ({user.display_name})" if user else f"{kind}:? (deleted user)"
    if kind in ("number", "hangup") or kind == "voicemail":
        return str(destination) if destination.target else "voicemail: (general box)"
    try:
        return _feature(kind, "describe")(tenant, destination)
    except InvalidInput:
        return str(destination)


def rows_routing_to(target: Destination) -> list:
    """Every row of any component whose destination column holds `target` — what would be left
    pointing at nothing if the target went away. Ids are unique across tenants, so only rows of
    the target's own tenant can match."""
    from fs_plugins.models import COMPONENTS  # late: feature model modules import this one

    value, rows = str(target), []
    for _component, models, _migrations in COMPONENTS:
        for model in models:
            for column in model._meta.sorted_fields:
                if isinstance(column, DestinationField):
                    rows.extend(model.select().where(column == value))
    return rows


def describe_row(row) -> str:
    """A row as a person would name it in an error message: ``number +34…``, ``ivr menu 'Main'``."""
    if getattr(row, "e164", None):
        return f"number {row.e164}"
    label = getattr(row, "name", None) or getattr(row, "number", None)
    table = row._meta.table_name.replace("_", " ")
    return f"{table} {label!r}" if label else f"{table} #{row.id}"


def _user(tenant: Tenant, extension: str, field: str) -> User:
    user = User.get_or_none(User.tenant == tenant, User.extension == extension.strip())
    if user is None:
        raise InvalidInput(field, f"no user with extension {extension!r} in {tenant.domain}")
    return user


def _feature(kind: str, role: str) -> Callable:
    if kind not in FEATURE_RESOLVERS:
        raise InvalidInput("destination", f"{kind} destinations are not available in this installation")
    module_name, _, function = FEATURE_RESOLVERS[kind][0 if role == "resolve" else 1].partition(":")
    return getattr(importlib.import_module(module_name), function)
