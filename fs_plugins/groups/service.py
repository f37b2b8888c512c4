"""Create, change and remove call groups and their members: validated, all-or-nothing.

Every value is checked before anything is written (InvalidInput names the option) and each change
runs in one transaction. Destinations are resolved inside the group's tenant
(fs_plugins.references), so a group can never route into another tenant.
"""
from __future__ import annotations

import re
from typing import Any

import peewee

from fs_plugins import references, validate
from fs_plugins.callhandling import numbers
from fs_plugins.callhandling import app as callhandling
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import ShortNumber, Tenant, User, database, utcnow
from fs_plugins.models.groups import (
    ADVANCED, AUDIO, BY_SCHEDULE, GROUP_TYPES, MELODIES, OPENINGS, RING_MODES, SIMPLE, CallGroup, GroupMember,
)
from fs_plugins.models.schedule import Schedule

_NAME = re.compile(r"[^\W_][\w .\-]{0,63}\Z")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]|\$\s*\{")
_SHORT = re.compile(r"[0-9]{2,6}\Z")
# option -> (column, lowest, highest)
SECONDS = {
    "member_seconds": (5, 300), "total_seconds": (5, 3600), "queue_size": (1, 500), "max_wait": (10, 7200),
    "announce_every": (0, 3600), "rounds": (1, 20), "service_level_seconds": (1, 3600),
}
DESTINATIONS = ("no_answer_destination", "closed_destination", "overflow_destination")
CHOICES = {"kind": GROUP_TYPES, "ring_mode": RING_MODES, "opening": OPENINGS}


def option(column: str) -> str:
    """The CLI option a column is set with (error messages name what the user typed)."""
    return "--" + {"kind": "type", "total_seconds": "timeout", "no_answer_destination": "no-answer",
                   "closed_destination": "closed-to", "overflow_destination": "overflow",
                   "service_level_seconds": "service-level"}.get(column, column).replace("_", "-")


def get(tenant: Tenant, reference: str) -> CallGroup:
    """A group of the tenant by name or id."""
    text = (reference or "").strip()
    query = CallGroup.select().where(CallGroup.tenant == tenant)
    found = query.where(CallGroup.name == text).first()
    if found is None and text.isdigit():
        found = query.where(CallGroup.id == int(text)).first()
    if found is None:
        raise NotFound("group", f"no group {reference!r} in {tenant.domain}")
    return found


def groups(tenant: Tenant) -> list[CallGroup]:
    return list(CallGroup.select().where(CallGroup.tenant == tenant).order_by(CallGroup.name))


def add(tenant: Tenant, name: str, **changes: Any) -> CallGroup:
    row = CallGroup(tenant=tenant, name=_name(tenant, name))
    with database.atomic():
        _apply(tenant, row, changes)
        row.save()
        _sync_short_number(tenant, row, changes.get("short_number"))
    return row


def change(tenant: Tenant, group: CallGroup, **changes: Any) -> CallGroup:
    with database.atomic():
        if changes.get("name") is not None:
            group.name = _name(tenant, changes.pop("name"), group.id)
        changes.pop("name", None)
        _apply(tenant, group, changes)
        group.updated_at = utcnow()
        group.save()
        if "short_number" in changes:
            _sync_short_number(tenant, group, changes["short_number"])
    return group


def remove(tenant: Tenant, group: CallGroup) -> None:
    """Delete a group and its short number; refused while anything else still routes to it."""
    target = Destination("group", str(group.id))
    users = referrers(target, group.id)
    if users:
        raise InvalidInput("--group", f"{group.name!r} is still the destination of {', '.join(users)}; "
                                      "route those elsewhere first")
    with database.atomic():
        ShortNumber.delete().where(ShortNumber.tenant == tenant, ShortNumber.destination == str(target)).execute()
        group.delete_instance(recursive=False)


def referrers(target: Destination, own_id: int) -> list[str]:
    """What else routes to the group: its own short number and its own settings do not count."""
    return sorted({references.describe_row(row) for row in references.rows_routing_to(target)
                   if not isinstance(row, ShortNumber) and not (isinstance(row, CallGroup) and row.id == own_id)})


def _apply(tenant: Tenant, row: CallGroup, changes: dict[str, Any]) -> None:
    for column, value in changes.items():
        if value is None or column == "short_number":
            continue
        if column in SECONDS:
            setattr(row, column, _number(column, value))
        elif column in DESTINATIONS:
            setattr(row, column, None if value == "" else _elsewhere(row, references.resolve(tenant, value, option(column)),
                                                                      option(column)))
        elif column == "melody":
            _set_melody(tenant, row, value)
        elif column in CHOICES:
            setattr(row, column, _choice(column, value))
        elif column == "comment":
            row.comment = _text(option(column), value, 200)
        elif column == "schedule":
            row.schedule = None if value == "" else _schedule(tenant, value)
        elif column == "callback_key":
            if value not in ("",) + tuple("0123456789*#"):
                raise InvalidInput("--callback-key", "must be one key: 0-9, * or #, or empty for none")
            row.callback_key = value
        else:
            raise InvalidInput(column, "unknown group setting")
    if "kind" in changes and row.id is not None:
        _check_kind(row)
    if row.opening == BY_SCHEDULE and row.schedule_id is None:
        raise InvalidInput("--schedule", "opening 'schedule' needs a schedule")


def _set_melody(tenant: Tenant, row: CallGroup, value: str) -> None:
    """ringback | music | audio:<name of a file in the tenant's audio library>."""
    kind, _, name = value.partition(":")
    if kind == AUDIO and name:
        from fs_plugins.audio.library import get_audio

        try:
            row.melody, row.melody_audio = AUDIO, get_audio(tenant, name, "--melody")
        except NotFound as exc:
            raise InvalidInput("--melody", exc.message) from None
    elif value in MELODIES and value != AUDIO:
        row.melody, row.melody_audio = value, None
    else:
        raise InvalidInput("--melody", "ringback, music or audio:NAME (a file of the tenant's audio library)")


def _elsewhere(row: CallGroup, destination: Destination, field: str) -> Destination:
    """A group's own destinations must lead out of it: back to itself, a call would loop."""
    if row.id is not None and destination.kind == "group" and destination.object_id == row.id:
        raise InvalidInput(field, f"routes back to the group {row.name!r} itself; choose another destination")
    return destination


def _check_kind(row: CallGroup) -> None:
    stored = CallGroup.get_by_id(row.id).kind
    if stored == ADVANCED and row.kind == SIMPLE:
        raise InvalidInput("--type", "an advanced group cannot go back to simple")


def _name(tenant: Tenant, name: str, own_id: int | None = None) -> str:
    name = (name or "").strip()
    if not _NAME.match(name) or name.isdigit():
        raise InvalidInput("--name", "1-64 letters, digits, spaces, '.', '-' or '_', not only digits")
    clash = CallGroup.select().where(CallGroup.tenant == tenant, CallGroup.name == name)
    if own_id is not None:
        clash = clash.where(CallGroup.id != own_id)
    if clash.exists():
        raise InvalidInput("--name", f"a group named {name!r} already exists")
    return name


def _number(column: str, value: Any) -> int:
    low, high = SECONDS[column]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(option(column), f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidInput(option(column), f"must be between {low} and {high}, got {number}")
    return number


def _choice(column: str, value: str) -> str:
    if value not in CHOICES[column]:
        raise InvalidInput(option(column), f"must be one of {', '.join(CHOICES[column])}")
    return value


def _text(field: str, value: str, limit: int) -> str:
    if len(value) > limit or _UNSAFE.search(value):
        raise InvalidInput(field, f"at most {limit} characters, no control characters or '${{'")
    return value


def _schedule(tenant: Tenant, reference: str) -> Schedule:
    query = Schedule.select().where(Schedule.tenant == tenant)
    found = query.where(Schedule.name == reference).first()
    if found is None and str(reference).isdigit():
        found = query.where(Schedule.id == int(reference)).first()
    if found is None:
        raise InvalidInput("--schedule", f"no schedule {reference!r} in {tenant.domain}")
    return found


def _sync_short_number(tenant: Tenant, row: CallGroup, number: str | None) -> None:
    """Keep the core ShortNumber row (what the dialplan reads) in step with the group's."""
    if number is None:
        return
    target = str(Destination("group", str(row.id)))
    ShortNumber.delete().where(ShortNumber.tenant == tenant, ShortNumber.destination == target).execute()
    row.short_number = None
    if number != "":
        if not _SHORT.match(number):
            raise InvalidInput("--short-number", "must be 2 to 6 digits")
        if User.select().where(User.tenant == tenant, User.extension == number).exists():
            raise InvalidInput("--short-number", f"{number} is a user's extension")
        if ShortNumber.select().where(ShortNumber.tenant == tenant, ShortNumber.number == number).exists():
            raise InvalidInput("--short-number", f"{number} is already a short number")
        ShortNumber.create(tenant=tenant, number=number, destination=target)
        row.short_number = number
    row.save()


# ---- members -----------------------------------------------------------------------------

def add_member(tenant: Tenant, group: CallGroup, user: str | None = None, number: str | None = None) -> GroupMember:
    if (user is None) == (number is None):
        raise InvalidInput("--user", "give either --user EXT or --number NUMBER")
    with database.atomic():
        position = GroupMember.select().where(GroupMember.group == group).count()
        if user is not None:
            found = User.get_or_none(User.tenant == tenant, User.extension == user.strip())
            if found is None:
                raise InvalidInput("--user", f"no user with extension {user!r} in {tenant.domain}")
            if GroupMember.select().where(GroupMember.group == group, GroupMember.user == found).exists():
                raise InvalidInput("--user", f"{user} is already a member")
            return GroupMember.create(group=group, user=found, position=position)
        e164 = validate.e164(number, tenant.country, "--number")
        barred = numbers.blocked_reason(e164, tenant.country, callhandling.allowed_for(tenant))
        if barred:
            raise InvalidInput("--number", f"{e164} is a {barred} number, which the tenant's outbound "
                                           "restrictions do not allow (centralita restrict)")
        if GroupMember.select().where(GroupMember.group == group, GroupMember.number == e164).exists():
            raise InvalidInput("--number", f"{e164} is already a member")
        return GroupMember.create(group=group, number=e164, position=position)


def remove_member(tenant: Tenant, group: CallGroup, user: str | None = None, number: str | None = None) -> None:
    query = GroupMember.delete().where(GroupMember.group == group)
    if user is not None:
        found = User.get_or_none(User.tenant == tenant, User.extension == user.strip())
        removed = query.where(GroupMember.user == found).execute() if found else 0
        field, what = "--user", user
    else:
        e164 = validate.e164(number or "", tenant.country, "--number")
        removed = query.where(GroupMember.number == e164).execute()
        field, what = "--number", e164
    if not removed:
        raise NotFound(field, f"{what} is not a member of {group.name!r}")


def members(group: CallGroup) -> list[GroupMember]:
    return list(GroupMember.select(GroupMember, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
                .where(GroupMember.group == group).order_by(GroupMember.position, GroupMember.id))


# ---- references: group:<name> as a destination anywhere -----------------------------------

def resolve(tenant: Tenant, reference: str, field: str) -> Destination:
    try:
        found = get(tenant, reference)
    except NotFound:
        raise InvalidInput(field, f"no group {reference!r} in {tenant.domain}") from None
    return Destination("group", str(found.id))


def describe(tenant: Tenant, destination: Destination) -> str:
    found = CallGroup.get_or_none(CallGroup.tenant == tenant, CallGroup.id == destination.object_id)
    return f"group:{found.name}" if found else f"{destination} (deleted group)"
