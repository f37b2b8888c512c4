"""Change and read a user's call handling and the outbound restrictions: validated, all-or-nothing.

Every target is resolved with fs_plugins.references (so it names a row of the same tenant and is
stored as a Destination, never as a dial string); external numbers are checked against the
restrictions in force when they are saved, and the dialplan checks them again at call time.
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins import references
from fs_plugins.callhandling import numbers
from fs_plugins.callhandling.records import combine_allowed
from fs_plugins.destinations import KINDS, Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.models.callhandling import (
    DND_MODES, MAX_NO_ANSWER_SECONDS, MIN_NO_ANSWER_SECONDS, CallHandling, OutboundRestriction, SimRing)

FORWARDS = {  # --when value -> column
    "always": "forward_always",
    "no-answer": "forward_no_answer",
    "busy": "forward_busy",
    "not-registered": "forward_not_registered",
}
FORWARD_KINDS = ("user", "number", "ivr", "group", "voicemail")
RING_KINDS = ("user", "number")
MAX_RING_DELAY = 60
MAX_RING_LEGS = 10


def user(tenant: Tenant, extension: str) -> User:
    found = User.get_or_none(User.tenant == tenant, User.extension == (extension or "").strip())
    if found is None:
        raise NotFound("--user", f"no user {extension!r} in {tenant.domain}")
    return found


def settings(owner: User) -> CallHandling:
    """The user's row, or an unsaved one holding the defaults."""
    return CallHandling.get_or_none(CallHandling.user == owner) or CallHandling(user=owner)


def allowed_for(owner: User) -> frozenset[str]:
    rows = {row.user_id is not None: numbers.stored_allowed(row.allowed)
            for row in OutboundRestriction.select().where(
                OutboundRestriction.tenant == owner.tenant_id,
                (OutboundRestriction.user.is_null()) | (OutboundRestriction.user == owner))}
    return combine_allowed(rows.get(False), rows.get(True))


def set_forward(owner: User, when: str, target: str | None, seconds: int | None = None) -> CallHandling:
    column = _column(when)
    if target is None and not (when == "no-answer" and seconds is not None):
        raise InvalidInput("--to", "give the destination to forward to")
    with database.atomic():
        row = settings(owner)
        if target is not None:
            setattr(row, column, _target(owner, target, "--to", FORWARD_KINDS))
        if seconds is not None:
            row.no_answer_seconds = _seconds(seconds)
        return _save(row)


def clear_forward(owner: User, when: str) -> CallHandling:
    columns = list(FORWARDS.values()) if when == "all" else [_column(when)]
    with database.atomic():
        row = settings(owner)
        for column in columns:
            setattr(row, column, None)
        return _save(row)


def set_dnd(owner: User, on: bool, mode: str | None = None) -> CallHandling:
    if mode is not None and mode not in DND_MODES:
        raise InvalidInput("--mode", f"{mode!r}: use one of {', '.join(DND_MODES)}")
    with database.atomic():
        row = settings(owner)
        row.dnd = on
        if mode is not None:
            row.dnd_mode = mode
        return _save(row)


def add_ring(owner: User, target: str, delay: int = 0, confirm: bool = False) -> SimRing:
    destination = _target(owner, target, "--to", RING_KINDS)
    if not isinstance(delay, int) or not 0 <= delay <= MAX_RING_DELAY:
        raise InvalidInput("--delay", f"must be 0 to {MAX_RING_DELAY} seconds")
    if confirm and destination.kind != "number":
        raise InvalidInput("--confirm", "only an external number can be asked to press a key")
    with database.atomic():
        existing = SimRing.select().where(SimRing.user == owner)
        if any(row.destination == destination for row in existing):
            raise InvalidInput("--to", f"{references.describe(owner.tenant, destination)} already rings with this user")
        if existing.count() >= MAX_RING_LEGS:
            raise InvalidInput("--to", f"at most {MAX_RING_LEGS} simultaneous-ring entries per user")
        target_user = destination.object_id if destination.kind == "user" else None
        return SimRing.create(user=owner, destination=destination, target_user=target_user, delay=delay,
                              confirm=confirm)


def remove_ring(owner: User, target: str) -> None:
    destination = _resolve(owner, target, "--to")
    with database.atomic():
        deleted = SimRing.delete().where(SimRing.user == owner, SimRing.destination == destination).execute()
    if not deleted:
        raise NotFound("--to", f"{references.describe(owner.tenant, destination)} is not in the simultaneous ring")


def rings(owner: User) -> list[SimRing]:
    return list(SimRing.select().where(SimRing.user == owner).order_by(SimRing.delay, SimRing.id))


def set_restriction(tenant: Tenant, owner: User | None, allow: str) -> OutboundRestriction:
    allowed = numbers.format_allowed(numbers.parse_allowed(allow))
    with database.atomic():
        row = _restriction(tenant, owner) or OutboundRestriction(tenant=tenant, user=owner)
        row.allowed, row.updated_at = allowed, utcnow()
        row.save()
        return row


def clear_restriction(tenant: Tenant, owner: User | None) -> None:
    with database.atomic():
        row = _restriction(tenant, owner)
        if row is None:
            raise NotFound("--allow", "no restriction is set here (the defaults apply)")
        row.delete_instance()


@dataclass(frozen=True)
class RestrictionView:
    tenant: frozenset[str] | None  # None: no row, defaults apply
    user: frozenset[str] | None
    effective: frozenset[str]


def restriction(tenant: Tenant, owner: User | None) -> RestrictionView:
    tenant_row = _restriction(tenant, None)
    tenant_allowed = numbers.stored_allowed(tenant_row.allowed) if tenant_row else None
    user_row = _restriction(tenant, owner) if owner is not None else None
    user_allowed = numbers.stored_allowed(user_row.allowed) if user_row else None
    return RestrictionView(tenant_allowed, user_allowed, combine_allowed(tenant_allowed, user_allowed))


def _restriction(tenant: Tenant, owner: User | None) -> OutboundRestriction | None:
    who = OutboundRestriction.user.is_null() if owner is None else OutboundRestriction.user == owner
    return OutboundRestriction.get_or_none(OutboundRestriction.tenant == tenant, who)


def _column(when: str) -> str:
    if when not in FORWARDS:
        raise InvalidInput("--when", f"{when!r}: use one of {', '.join(FORWARDS)}")
    return FORWARDS[when]


def _seconds(value) -> int:
    if not isinstance(value, int) or not MIN_NO_ANSWER_SECONDS <= value <= MAX_NO_ANSWER_SECONDS:
        raise InvalidInput("--seconds", f"must be {MIN_NO_ANSWER_SECONDS} to {MAX_NO_ANSWER_SECONDS} seconds")
    return value


def _target(owner: User, text: str, field: str, kinds: tuple[str, ...]) -> Destination:
    """Resolve a target in the user's tenant and refuse what could not or must not be called."""
    kind = (text or "").partition(":")[0].strip().lower()
    if kind in KINDS and kind not in kinds:
        raise InvalidInput(field, f"{kind} is not a possible target here; use {', '.join(kinds)}")
    destination = _resolve(owner, text, field)
    if destination.kind == "user" and destination.object_id == owner.id:
        raise InvalidInput(field, "a user cannot forward to or ring with themselves")
    if destination.kind == "number":
        reason = numbers.blocked_reason(destination.target, owner.tenant.country, allowed_for(owner))
        if reason:
            raise InvalidInput(field, f"{destination.target} is a number of category {reason}, "
                                      "which this user may not call")
    return destination


def _resolve(owner: User, text: str, field: str) -> Destination:
    try:
        return references.resolve(owner.tenant, text, field)
    except InvalidInput as exc:  # feature resolvers name their own field; the user typed this option
        raise InvalidInput(field, exc.message) from None


def _save(row: CallHandling) -> CallHandling:
    row.updated_at = utcnow()
    row.save()
    return row
