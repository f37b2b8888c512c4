"""Destinations as users write them, and back.

Users type ``user:1002`` (an extension), ``number:91 123 45 67`` (any written form),
``ivr:Reception`` (a name or id), ``voicemail:1002`` or ``voicemail:`` (general box),
``message:Closed`` and ``hangup`` or ``hangup:USER_BUSY``. `resolve` turns that into the stored
Destination (ids, E.164) after checking the target exists in the same tenant — a destination can
never point into another tenant. Kinds whose tables belong to a feature (ivr, group, message, or
a third party's) are resolved by the DestinationKind its plugin declares (fs_plugins.plugins).
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from fs_plugins import plugins, prepared, validate
from fs_plugins.destinations import KINDS, Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Tenant, User
from fs_plugins.models.base import DestinationField

CORE_KINDS = ("user", "voicemail", "number", "hangup")


@dataclass(frozen=True)
class DestinationView:
    """A destination as the application layer returns it: stored form and how a person reads it."""

    destination: str  # kind:id ("ivr:4"), what the API accepts back as-is
    label: str  # "ivr:Main", "user:1001 (Ana)"
    reference: str = ""  # as a person types it ("user:1001", "ivr:Main", "voicemail:")


def resolve(tenant: Tenant, text: str, field: str = "destination") -> Destination:
    kind, _, reference = (text or "").partition(":")
    kind, reference = kind.strip().lower(), reference.strip()
    known = _kinds()
    if kind not in known:
        raise InvalidInput(field, f"expected kind:target with kind one of {', '.join(known)}, got {text!r}")
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
    return plugins.installed().destination_kinds[kind].resolve(tenant, reference, field)


def describe(tenant: Tenant, destination: Destination | None) -> str:
    """How a destination reads to a person: ``user:1002 (Bob)``; a dangling one says so."""
    if destination is None:
        return "-"
    kind = destination.kind
    if kind in ("user", "voicemail") and destination.target:
        user = prepared.get_or_none(User, tenant=tenant, id=destination.object_id)  # each page of forwards shows some
        return f"{kind}:{user.extension} ({user.display_name})" if user else f"{kind}:? (deleted user)"
    if kind in ("number", "hangup") or kind == "voicemail":
        return str(destination) if destination.target else "voicemail: (general box)"
    feature = plugins.installed().destination_kinds.get(kind)
    return feature.describe(tenant, destination) if feature else f"{destination} (not installed)"


def view(tenant: Tenant, destination: Destination | None) -> DestinationView | None:
    if destination is None:
        return None
    label = describe(tenant, destination)
    return DestinationView(str(destination), label, typed(destination, label))


def typed(destination: Destination, label: str) -> str:
    """A destination as a person types it, from its label (`describe`): the label without the
    explanation in brackets; one whose target is gone ("user:? (deleted user)") as stored."""
    if destination.kind in ("number", "hangup"):
        return str(destination)
    reference = label.split(" (")[0]
    return str(destination) if reference.endswith(":?") else reference


def rows_referring_to(destination: Destination | None = None, *, model=None, row_id: int | None = None,
                      own: tuple = ()) -> list:
    """Every row of any installed component that would be left pointing at nothing if a target went
    away: destination columns holding `destination`, and foreign keys to row `row_id` of `model`
    (tables in `own`, the target's own parts deleted with it, do not count). The one scan behind
    every "still used by …" refusal. Ids are unique across tenants, so only rows of the target's
    own tenant can match."""
    value, rows = str(destination) if destination is not None else None, []
    for table in plugins.installed().models():
        if table in own:
            continue
        for column in table._meta.sorted_fields:
            if value is not None and isinstance(column, DestinationField):
                rows.extend(table.select().where(column == value))
            elif model is not None and isinstance(column, peewee.ForeignKeyField) and column.rel_model is model:
                rows.extend(table.select().where(column == row_id))
    return rows


def describe_row(row) -> str:
    """A row as a person would name it in an error message: ``number +34…``, ``ivr menu 'Main'``."""
    if getattr(row, "e164", None):
        return f"number {row.e164}"
    label = getattr(row, "name", None) or getattr(row, "number", None)
    table = row._meta.table_name.replace("_", " ")
    return f"{table} {label!r}" if label else f"{table} #{row.id}"


def _user(tenant: Tenant, extension: str, field: str) -> User:
    user = prepared.get_or_none(User, tenant=tenant, extension=extension.strip())
    if user is None:
        raise InvalidInput(field, f"no user with extension {extension!r} in {tenant.domain}")
    return user


def _kinds() -> tuple[str, ...]:
    """The kinds a person may type here: the core's and every installed plugin's, in KINDS order."""
    installed = plugins.installed().destination_kinds
    return tuple(k for k in KINDS if k in CORE_KINDS or k in installed) + tuple(k for k in installed if k not in KINDS)
