"""Call groups and their members, the application layer: list, show, create, change, remove,
members in and out, the statistics of a period.

Groups are the tenant administrator's. Every value is checked before anything is written
(InvalidInput names the setting as the API names it: the group's column, e.g. ``total_seconds``;
the CLI shows it as its option, ``--timeout``) and each change runs in one transaction with its
audit entry. Destinations are resolved inside the group's tenant (fs_plugins.references), so a
group can never route into another tenant. Nothing here is cached by FreeSWITCH: no flush.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import peewee

from fs_plugins import references
from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.destinations import Destination
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.groups import settings, stats
from fs_plugins.models import ShortNumber, Tenant, User, database, utcnow
from fs_plugins.models.groups import CallGroup, GroupMember
from fs_plugins.references import DestinationView

SETTINGS = settings.SETTINGS  # what add_group/change_group accept besides the name


@dataclass(frozen=True)
class MemberView:
    user: str | None  # the user's extension, or None for an external number
    name: str | None  # the user's name
    number: str | None  # the external number (E.164)
    paused: bool = False  # the user logged out of the groups' calls (*51): not rung until *50

    @property
    def key(self) -> str:
        """How order_members and move_member name the member: user:EXT or number:E164."""
        return f"user:{self.user}" if self.user is not None else f"number:{self.number}"


@dataclass(frozen=True)
class GroupView:
    tenant: str  # the tenant's domain
    id: int
    name: str
    kind: str
    comment: str
    melody: str  # ringback, music or audio:NAME
    ring_mode: str
    member_seconds: int
    total_seconds: int
    no_answer_destination: DestinationView | None
    opening: str
    schedule: str | None  # the schedule's name
    closed_destination: DestinationView | None
    short_number: str | None
    queue_size: int
    max_wait: int
    overflow_destination: DestinationView | None
    announce_every: int
    rounds: int
    callback_key: str
    service_level_seconds: int
    members: tuple[MemberView, ...]


def list_groups(ctx: AppContext, tenant: str) -> list[GroupView]:
    owner = _tenant(ctx, tenant, "list the tenant's call groups")
    rows = CallGroup.select().where(CallGroup.tenant == owner).order_by(CallGroup.name)
    return [_view(owner, row) for row in rows]


def get_group(ctx: AppContext, tenant: str, group: str) -> GroupView:
    """A group by name or id."""
    owner = _tenant(ctx, tenant, "read the tenant's call groups")
    return _view(owner, _find(owner, group))


def add_group(ctx: AppContext, tenant: str, name: str, **changes: Any) -> Changed[GroupView]:
    """A new group named `name`; `changes` are SETTINGS (None: the default)."""
    owner = _tenant(ctx, tenant, "create call groups")
    with database.atomic():
        row = CallGroup(tenant=owner, name=settings.checked_name(owner, name))
        settings.apply(owner, row, changes)
        row.save()
        settings.sync_short_number(owner, row, changes.get("short_number"))
        ctx.record("group.add", owner, f"group {row.name}", _given(name=name, **changes))
    return Changed(_view(owner, row))


def change_group(ctx: AppContext, tenant: str, group: str, **changes: Any) -> Changed[GroupView]:
    """Change the given SETTINGS (and ``name``); None leaves a setting as it is, "" clears it."""
    owner = _tenant(ctx, tenant, "change call groups")
    row = _find(owner, group)
    with database.atomic():
        name = changes.pop("name", None)
        if name is not None:
            row.name = settings.checked_name(owner, name, row.id)
        settings.apply(owner, row, changes)
        row.updated_at = utcnow()
        row.save()
        if "short_number" in changes:
            settings.sync_short_number(owner, row, changes["short_number"])
        ctx.record("group.update", owner, f"group {row.name}", _given(name=name, **changes))
    return Changed(_view(owner, row))


def remove_group(ctx: AppContext, tenant: str, group: str) -> Changed[GroupView]:
    """Delete a group and its short number; refused while anything else still routes to it."""
    owner = _tenant(ctx, tenant, "remove call groups")
    row = _find(owner, group)
    view = _view(owner, row)
    target = Destination("group", str(row.id))
    users = _referrers(target, row.id)
    if users:
        raise Conflict("group", f"{row.name!r} is still the destination of {', '.join(users)}; "
                                "route those elsewhere first")
    with database.atomic():
        ShortNumber.delete().where(ShortNumber.tenant == owner, ShortNumber.destination == str(target)).execute()
        row.delete_instance(recursive=False)
        ctx.record("group.delete", owner, f"group {row.name}")
    return Changed(view)


def add_member(ctx: AppContext, tenant: str, group: str, user: str | None = None,
               number: str | None = None, paused: bool = False) -> Changed[GroupView]:
    """A user of the tenant (by extension) or an external number, rung after the others. `paused`:
    the user joins logged out (*51), as a tenant file restores a membership (a number has no login:
    the flag does not apply to it, and the tenant file's schema allows it on users only)."""
    owner = _tenant(ctx, tenant, "change call groups")
    row = _find(owner, group)
    if (user is None) == (number is None):
        raise InvalidInput("user", "give either a user's extension or an external number")
    with database.atomic():
        position = GroupMember.select().where(GroupMember.group == row).count()
        if user is not None:
            found = User.get_or_none(User.tenant == owner, User.extension == user.strip())
            if found is None:
                raise InvalidInput("user", f"no user with extension {user!r} in {owner.domain}")
            if GroupMember.select().where(GroupMember.group == row, GroupMember.user == found).exists():
                raise Conflict("user", f"{user} is already a member")
            GroupMember.create(group=row, user=found, position=position, paused=bool(paused))
        else:
            e164 = settings.member_number(owner, number)
            if GroupMember.select().where(GroupMember.group == row, GroupMember.number == e164).exists():
                raise Conflict("number", f"{e164} is already a member")
            GroupMember.create(group=row, number=e164, position=position)
        ctx.record("group.member.add", owner, f"group {row.name}",
                   _given(user=user, number=number, paused=True if paused else None))
    return Changed(_view(owner, row))


def remove_member(ctx: AppContext, tenant: str, group: str, user: str | None = None,
                  number: str | None = None) -> Changed[GroupView]:
    owner = _tenant(ctx, tenant, "change call groups")
    row = _find(owner, group)
    query = GroupMember.delete().where(GroupMember.group == row)
    with database.atomic():
        if user is not None:
            found = User.get_or_none(User.tenant == owner, User.extension == user.strip())
            removed = query.where(GroupMember.user == found).execute() if found else 0
            field, what = "user", user
        else:
            e164 = settings.e164(owner, number or "")
            removed = query.where(GroupMember.number == e164).execute()
            field, what = "number", e164
        if not removed:
            raise NotFound(field, f"{what} is not a member of {row.name!r}")
        ctx.record("group.member.delete", owner, f"group {row.name}", _given(user=user, number=number))
    return Changed(_view(owner, row))


def pause_member(ctx: AppContext, tenant: str, user: str, paused: bool) -> Changed[list[str]]:
    """Log a user out of (paused) or back into the calls of every group they are a member of: the
    user's own choice (queue login/logout from the phone), so a user principal may make it for
    themself. Returns the groups' names; a user of no group is refused (field "user")."""
    owner = user_in_scope(ctx, tenant_in_scope(ctx, tenant), user)
    with database.atomic():
        rows = list(GroupMember.select(GroupMember, CallGroup).join(CallGroup).where(GroupMember.user == owner)
                    .order_by(CallGroup.name))
        if not rows:
            raise InvalidInput("user", f"{owner.extension} is a member of no call group")
        GroupMember.update(paused=bool(paused)).where(GroupMember.user == owner).execute()
        names = [row.group.name for row in rows]
        ctx.record("group.member.pause" if paused else "group.member.resume", owner.tenant,
                   f"user {owner.extension}", {"groups": names})
    return Changed(names)


def order_members(ctx: AppContext, tenant: str, group: str, order: Sequence[str]) -> Changed[GroupView]:
    """Ring the members in `order`: every member's key (MemberView.key) exactly once."""
    owner = _tenant(ctx, tenant, "change call groups")
    row = _find(owner, group)
    with database.atomic():
        _reorder(ctx, owner, row, list(order))
    return Changed(_view(owner, row))


def move_member(ctx: AppContext, tenant: str, group: str, member: str, offset: int) -> Changed[GroupView]:
    """Move one member `offset` places in the ringing order (-1: one earlier); the ends stop it."""
    owner = _tenant(ctx, tenant, "change call groups")
    row = _find(owner, group)
    with database.atomic():
        keys = [m.key for m in _view(owner, row).members]
        if member not in keys:
            raise NotFound("member", f"{member} is not a member of {row.name!r}")
        at = min(max(0, keys.index(member) + int(offset)), len(keys) - 1)
        keys.remove(member)
        keys.insert(at, member)
        _reorder(ctx, owner, row, keys)
    return Changed(_view(owner, row))


@dataclass(frozen=True)
class GroupStats:
    group: GroupView
    start: dt.datetime  # naive UTC, the first local day's midnight in the tenant's time zone
    end: dt.datetime  # naive UTC, excluded
    figures: stats.Figures


def group_stats(ctx: AppContext, tenant: str, group: str, first: dt.date | None = None,
                last: dt.date | None = None) -> GroupStats:
    """The group's statistics for the calls of the local days `first` to `last` (the tenant's time
    zone; default: today)."""
    owner = _tenant(ctx, tenant, "read call group statistics")
    row = _find(owner, group)
    zone = ZoneInfo(owner.timezone)
    first = first or ctx.clock().astimezone(zone).date()
    last = last or first
    if last < first:
        raise InvalidInput("last", "the last day is before the first")
    start, end = _utc(first, zone), _utc(last + dt.timedelta(days=1), zone)
    figures = stats.summarise(stats.load_rows(row, start, end), row.service_level_seconds)
    return GroupStats(_view(owner, row), start, end, figures)


def group_rows_by_day(ctx: AppContext, tenant: str, group: str, start: dt.datetime, end: dt.datetime,
                      zone) -> tuple[GroupView, dict[dt.date, list[stats.Row]]]:
    """The group's calls of [start, end) (naive UTC) by local day of `zone`, for charts per day."""
    owner = _tenant(ctx, tenant, "read call group statistics")
    row = _find(owner, group)
    return _view(owner, row), stats.rows_by_day(row, start, end, zone)


# ---- group: as a destination anywhere (the DestinationKind the plugin declares) -----------

def resolve(tenant: Tenant, reference: str, field: str) -> Destination:
    try:
        found = _find(tenant, reference)
    except NotFound:
        raise InvalidInput(field, f"no group {reference!r} in {tenant.domain}") from None
    return Destination("group", str(found.id))


def describe(tenant: Tenant, destination: Destination) -> str:
    found = CallGroup.get_or_none(CallGroup.tenant == tenant, CallGroup.id == destination.object_id)
    return f"group:{found.name}" if found else f"{destination} (deleted group)"


# ---- helpers ------------------------------------------------------------------------------

def _tenant(ctx: AppContext, domain: str, what: str) -> Tenant:
    owner = tenant_in_scope(ctx, domain)
    require_admin(ctx, what)
    return owner


def _find(tenant: Tenant, reference: str | int) -> CallGroup:
    """A group of the tenant by name or id."""
    text = str(reference or "").strip()
    query = CallGroup.select().where(CallGroup.tenant == tenant)
    found = query.where(CallGroup.name == text).first()
    if found is None and (row_id := parse_id(text)) is not None:
        found = query.where(CallGroup.id == row_id).first()
    if found is None:
        raise NotFound("group", f"no group {reference!r} in {tenant.domain}")
    return found


def _reorder(ctx: AppContext, owner: Tenant, row: CallGroup, order: list[str]) -> None:
    rows = {(f"user:{m.user.extension}" if m.user_id else f"number:{m.number}"): m
            for m in GroupMember.select(GroupMember, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
            .where(GroupMember.group == row)}
    if len(order) != len(set(order)) or set(order) != set(rows):
        raise InvalidInput("order", "name every member of the group exactly once, as user:EXT or number:E164")
    for position, key in enumerate(order):
        GroupMember.update(position=position).where(GroupMember.id == rows[key].id).execute()
    ctx.record("group.member.order", owner, f"group {row.name}", {"order": order})


def _referrers(target: Destination, own_id: int) -> list[str]:
    """What else routes to the group: its own short number and its own settings do not count."""
    return sorted({references.describe_row(row) for row in references.rows_referring_to(target)
                   if not isinstance(row, ShortNumber) and not (isinstance(row, CallGroup) and row.id == own_id)})


def _utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _view(owner: Tenant, row: CallGroup) -> GroupView:
    members = (GroupMember.select(GroupMember, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
               .where(GroupMember.group == row).order_by(GroupMember.position, GroupMember.id))
    view = lambda column: references.view(owner, getattr(row, column))  # noqa: E731
    return GroupView(
        owner.domain, row.id, row.name, row.kind, row.comment,
        f"audio:{row.melody_audio.name}" if row.melody_audio_id else row.melody,
        row.ring_mode, row.member_seconds, row.total_seconds, view("no_answer_destination"), row.opening,
        row.schedule.name if row.schedule_id else None, view("closed_destination"), row.short_number,
        row.queue_size, row.max_wait, view("overflow_destination"), row.announce_every, row.rounds,
        row.callback_key, row.service_level_seconds,
        tuple(MemberView(m.user.extension, m.user.display_name, None, bool(m.paused)) if m.user_id
              else MemberView(None, None, m.number) for m in members))
