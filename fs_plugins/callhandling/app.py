"""A user's call handling and the outbound restrictions, the application layer.

Forwards, do-not-disturb and simultaneous ring are a user's own: the user or the tenant's
administrator changes them. Restrictions (what may be called) are the administrator's. Every target
is resolved with fs_plugins.references (so it names a row of the same tenant and is stored as a
Destination, never as a dial string); external numbers are checked against the restrictions in
force when they are saved, and the dialplan checks them again at call time (nothing is cached by
FreeSWITCH here, so no flush).
"""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins import prepared, references
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.callhandling import numbers
from fs_plugins.callhandling.records import combine_allowed
from fs_plugins.destinations import KINDS, Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import Tenant, User, database, utcnow
from fs_plugins.presence import dnd as dnd_presence
from fs_plugins.models.callhandling import (
    DND_MODES, MAX_NO_ANSWER_SECONDS, MIN_NO_ANSWER_SECONDS, CallHandling, OutboundRestriction, SimRing)
from fs_plugins.references import DestinationView

FORWARDS = {  # `when` -> column
    "always": "forward_always",
    "no-answer": "forward_no_answer",
    "busy": "forward_busy",
    "not-registered": "forward_not_registered",
}
FORWARD_KINDS = ("user", "number", "ivr", "group", "voicemail")
RING_KINDS = ("user", "number")
MAX_RING_DELAY = 60
MAX_RING_LEGS = 10


@dataclass(frozen=True)
class RingView:
    target: DestinationView
    delay: int
    confirm: bool
    id: int  # the entry's own name, for removing one entry by id (the REST API's ring_id)


@dataclass(frozen=True)
class CallHandlingView:
    tenant: str
    extension: str
    forward_always: DestinationView | None
    forward_no_answer: DestinationView | None
    no_answer_seconds: int
    forward_busy: DestinationView | None
    forward_not_registered: DestinationView | None
    dnd: bool
    dnd_mode: str
    rings: tuple[RingView, ...]


@dataclass(frozen=True)
class RestrictionView:
    tenant: frozenset[str] | None  # None: no row, the defaults apply
    user: frozenset[str] | None  # None: as the tenant (or no user asked about)
    effective: frozenset[str]


def show(ctx: AppContext, tenant: str, user: str) -> CallHandlingView:
    return _view(_owner(ctx, tenant, user))


def set_forward(ctx: AppContext, tenant: str, user: str, when: str, to: str | None = None,
                seconds: int | None = None) -> Changed[CallHandlingView]:
    """Set the forward `when` (FORWARDS) to `to`; `seconds` is the ring time before no-answer."""
    owner = _owner(ctx, tenant, user)
    column = _column(when)
    if to is None and not (when == "no-answer" and seconds is not None):
        raise InvalidInput("to", "give the destination to forward to")
    with database.atomic():
        row = _settings_to_change(owner)
        if to is not None:
            setattr(row, column, _target(owner, to, "to", FORWARD_KINDS))
        if seconds is not None:
            row.no_answer_seconds = _seconds(seconds)
        _save(row)
        ctx.record("forward.update", owner.tenant, f"user {owner.extension}", {"when": when, "to": to, "seconds": seconds})
    return Changed(_view(owner, row))


def clear_forward(ctx: AppContext, tenant: str, user: str, when: str) -> Changed[CallHandlingView]:
    """Remove the forward `when`, or every forward with ``all``."""
    owner = _owner(ctx, tenant, user)
    columns = list(FORWARDS.values()) if when == "all" else [_column(when)]
    with database.atomic():
        row = _settings_to_change(owner)
        for column in columns:
            setattr(row, column, None)
        _save(row)
        ctx.record("forward.delete", owner.tenant, f"user {owner.extension}", {"when": when})
    return Changed(_view(owner, row))


def set_dnd(ctx: AppContext, tenant: str, user: str, on: bool, mode: str | None = None) -> Changed[CallHandlingView]:
    owner = _owner(ctx, tenant, user)
    if mode is not None and mode not in DND_MODES:
        raise InvalidInput("mode", f"{mode!r}: use one of {', '.join(DND_MODES)}")
    with database.atomic():
        row = _settings_to_change(owner)
        row.dnd = bool(on)
        if mode is not None:
            row.dnd_mode = mode
        _save(row)
        ctx.record("dnd.update", owner.tenant, f"user {owner.extension}", {"on": bool(on), "mode": mode})
    # colleagues' busy lamps show the user busy while in DND (a pseudo-dialog FreeSWITCH's presence
    # engine notifies; the user's real calls keep their own dialogs)
    told = ctx.freeswitch.send_events([dnd_presence(owner.extension, owner.tenant.domain, bool(on))])
    return Changed(_view(owner, row), told)


def add_ring(ctx: AppContext, tenant: str, user: str, to: str, delay: int = 0,
             confirm: bool = False) -> Changed[CallHandlingView]:
    owner = _owner(ctx, tenant, user)
    destination = _target(owner, to, "to", RING_KINDS)
    if not isinstance(delay, int) or not 0 <= delay <= MAX_RING_DELAY:
        raise InvalidInput("delay", f"must be 0 to {MAX_RING_DELAY} seconds")
    if confirm and destination.kind != "number":
        raise InvalidInput("confirm", "only an external number can be asked to press a key")
    with database.atomic():
        existing = SimRing.select().where(SimRing.user == owner)
        if any(row.destination == destination for row in existing):
            raise Conflict("to", f"{references.describe(owner.tenant, destination)} already rings with this user")
        if existing.count() >= MAX_RING_LEGS:
            raise Conflict("to", f"at most {MAX_RING_LEGS} simultaneous-ring entries per user")
        target_user = destination.object_id if destination.kind == "user" else None
        SimRing.create(user=owner, destination=destination, target_user=target_user, delay=delay, confirm=confirm)
        ctx.record("simring.create", owner.tenant, f"user {owner.extension}", {"to": to, "delay": delay, "confirm": confirm})
    return Changed(_view(owner))


def remove_ring(ctx: AppContext, tenant: str, user: str, to: str) -> Changed[CallHandlingView]:
    owner = _owner(ctx, tenant, user)
    destination = _resolve(owner, to, "to")
    with database.atomic():
        deleted = SimRing.delete().where(SimRing.user == owner, SimRing.destination == destination).execute()
        if not deleted:
            raise NotFound("to", f"{references.describe(owner.tenant, destination)} is not in the simultaneous ring")
        ctx.record("simring.delete", owner.tenant, f"user {owner.extension}", {"to": to})
    return Changed(_view(owner))


def remove_ring_entry(ctx: AppContext, tenant: str, user: str, ring_id: int) -> Changed[CallHandlingView]:
    """Remove the simultaneous-ring entry `ring_id` (RingView.id) of the user."""
    owner = _owner(ctx, tenant, user)
    with database.atomic():
        row = SimRing.get_or_none(SimRing.user == owner, SimRing.id == ring_id)
        if row is None:
            raise NotFound("ring_id", f"no simultaneous-ring entry {ring_id} for this user")
        row.delete_instance()
        ctx.record("simring.delete", owner.tenant, f"user {owner.extension}",
                   {"to": references.describe(owner.tenant, row.destination)})
    return Changed(_view(owner))


def restriction(ctx: AppContext, tenant: str, user: str | None = None) -> RestrictionView:
    """What the tenant (and, given a user, that user) may call, and why."""
    owner = tenant_in_scope(ctx, tenant)
    if user is None:
        require_admin(ctx, "see the tenant's restrictions")
    member = user_in_scope(ctx, owner, user) if user is not None else None
    return restriction_of(owner, member)


def set_restriction(ctx: AppContext, tenant: str, user: str | None, allow: str) -> Changed[RestrictionView]:
    """`allow`: comma-separated categories (numbers.CATEGORIES), or ``all`` or ``none``; a user's
    row can only narrow the tenant's."""
    require_admin(ctx, "change outbound restrictions")
    owner = tenant_in_scope(ctx, tenant)
    member = user_in_scope(ctx, owner, user) if user is not None else None
    allowed = numbers.format_allowed(numbers.parse_allowed(allow))
    with database.atomic():
        row = _restriction(owner, member) or OutboundRestriction(tenant=owner, user=member)
        row.allowed, row.updated_at = allowed, utcnow()
        row.save()
        ctx.record("restriction.update", owner, f"user {member.extension}" if member else "tenant", {"allow": allowed})
    return Changed(restriction_of(owner, member))


def clear_restriction(ctx: AppContext, tenant: str, user: str | None) -> Changed[RestrictionView]:
    require_admin(ctx, "change outbound restrictions")
    owner = tenant_in_scope(ctx, tenant)
    member = user_in_scope(ctx, owner, user) if user is not None else None
    with database.atomic():
        row = _restriction(owner, member)
        if row is None:
            raise NotFound("user" if member else "tenant", "no restriction is set here (the defaults apply)")
        row.delete_instance()
        ctx.record("restriction.delete", owner, f"user {member.extension}" if member else "tenant")
    return Changed(restriction_of(owner, member))


def allowed_for(tenant: Tenant, owner: User | None = None) -> frozenset[str]:
    """What `owner` (or, with None, the tenant as a whole) may call: for other features' checks."""
    return restriction_of(tenant, owner).effective


def _owner(ctx: AppContext, tenant: str, user: str) -> User:
    return user_in_scope(ctx, tenant_in_scope(ctx, tenant), user)


def _settings(owner: User) -> CallHandling:
    """The user's row, or an unsaved one holding the defaults."""
    return prepared.get_or_none(CallHandling, user=owner) or CallHandling(user=owner)


def _settings_to_change(owner: User) -> CallHandling:
    """The user's row, created with the defaults if missing and held (on PostgreSQL, row-locked)
    until the caller's transaction ends: two first changes at once (the portal and a phone's code,
    two API clients) would otherwise both insert it and the second fail on the unique user; and two
    changes of one row would each write back the columns the other had not yet committed."""
    return prepared.insert_or_touch(CallHandling, "user", "updated_at", user=owner, updated_at=utcnow())


def _rings_query():
    """A user's simultaneous rings in order, the user's id the parameter."""
    return SimRing.select().where(SimRing.user == 0).order_by(SimRing.delay, SimRing.id)


def _view(owner: User, row: CallHandling | None = None) -> CallHandlingView:
    """`row`: the user's settings as a change just wrote them (not read again)."""
    tenant, row = owner.tenant, row or _settings(owner)
    rings = prepared.select_written(SimRing._meta.database, _rings_query, (owner.id,))
    view = lambda destination: references.view(tenant, destination)  # noqa: E731
    return CallHandlingView(
        tenant.domain, owner.extension, view(row.forward_always), view(row.forward_no_answer), row.no_answer_seconds,
        view(row.forward_busy), view(row.forward_not_registered), bool(row.dnd), row.dnd_mode,
        tuple(RingView(view(r.destination), r.delay, bool(r.confirm), r.id) for r in rings))


def restriction_of(tenant: Tenant, owner: User | None) -> RestrictionView:
    """The restrictions of a tenant (and user), rows already in scope: for other features' checks."""
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
        raise InvalidInput("when", f"{when!r}: use one of {', '.join(FORWARDS)}")
    return FORWARDS[when]


def _seconds(value) -> int:
    if not isinstance(value, int) or not MIN_NO_ANSWER_SECONDS <= value <= MAX_NO_ANSWER_SECONDS:
        raise InvalidInput("seconds", f"must be {MIN_NO_ANSWER_SECONDS} to {MAX_NO_ANSWER_SECONDS} seconds")
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
        reason = numbers.blocked_reason(destination.target, owner.tenant.country, allowed_for(owner.tenant, owner))
        if reason:
            raise InvalidInput(field, f"{destination.target} is a number of category {reason}, "
                                      "which this user may not call")
    return destination


def _resolve(owner: User, text: str, field: str) -> Destination:
    try:
        return references.resolve(owner.tenant, text, field)
    except InvalidInput as exc:  # feature resolvers name their own field; the user typed this one
        raise InvalidInput(field, exc.message) from None


def _save(row: CallHandling) -> None:
    row.updated_at = utcnow()
    prepared.save(row)
