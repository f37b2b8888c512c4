"""Group statistics: record each call a flow handled, and sum them up per group and per member.

`summarise` is pure (rows in, figures out); `load_rows` reads one group's GroupCall rows in a
[start, end) UTC range; `write_record` is the `record` callback the flow uses. Service level is
the share of offered calls (closed-hours calls are not offered) answered within S seconds.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import peewee

from fs_plugins.models import User
from fs_plugins.models.groups import ABANDONED, ANSWERED, CLOSED, OVERFLOWED, CallGroup, GroupCall
from fs_plugins.csvsafe import neutralise


@dataclass(frozen=True)
class Row:
    outcome: str
    wait: float
    member: str = ""
    talk: float = 0.0


@dataclass
class MemberFigures:
    answered: int = 0
    talk_seconds: float = 0.0


@dataclass
class Figures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    closed: int = 0
    unanswered: int = 0
    average_wait: float = 0.0
    longest_wait: float = 0.0
    abandoned_average_wait: float = 0.0
    service_level: float | None = None  # 0..1; None when nothing was offered
    members: dict[str, MemberFigures] = field(default_factory=dict)


def summarise(rows: list[Row], service_level_seconds: int) -> Figures:
    figures = Figures()
    waits, abandoned_waits, within = [], [], 0
    for row in rows:
        if row.outcome == CLOSED:
            figures.closed += 1
            continue
        figures.offered += 1
        waits.append(row.wait)
        if row.outcome == ANSWERED:
            figures.answered += 1
            within += row.wait <= service_level_seconds
            member = figures.members.setdefault(row.member or "?", MemberFigures())
            member.answered += 1
            member.talk_seconds += row.talk
        elif row.outcome == ABANDONED:
            figures.abandoned += 1
            abandoned_waits.append(row.wait)
        elif row.outcome == OVERFLOWED:
            figures.overflowed += 1
        else:
            figures.unanswered += 1
    if waits:
        figures.average_wait = sum(waits) / len(waits)
        figures.longest_wait = max(waits)
        figures.service_level = within / figures.offered
    if abandoned_waits:
        figures.abandoned_average_wait = sum(abandoned_waits) / len(abandoned_waits)
    return figures


def load_rows(group: CallGroup, start: dt.datetime, end: dt.datetime) -> list[Row]:
    query = (GroupCall.select(GroupCall, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
             .where(GroupCall.group == group, GroupCall.started_at >= start, GroupCall.started_at < end))
    return [Row(c.outcome, c.wait_seconds, c.member_user.extension if c.member_user else (c.member_number or ""),
                c.talk_seconds) for c in query]


def rows_by_day(group: CallGroup, start: dt.datetime, end: dt.datetime, zone) -> dict[dt.date, list[Row]]:
    """The rows of [start, end) (naive UTC) grouped by the day they started on in `zone` (a ZoneInfo)."""
    query = (GroupCall.select(GroupCall, User).join(User, join_type=peewee.JOIN.LEFT_OUTER)
             .where(GroupCall.group == group, GroupCall.started_at >= start, GroupCall.started_at < end))
    days: dict[dt.date, list[Row]] = {}
    for c in query:
        day = c.started_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
        days.setdefault(day, []).append(Row(c.outcome, c.wait_seconds, c.member_user.extension if c.member_user
                                            else (c.member_number or ""), c.talk_seconds))
    return days


def write_record(record) -> None:
    """Store one flow's CallRecord (the flow's `record` callback in production)."""
    group = CallGroup.get_or_none(CallGroup.id == record.group_id)
    if group is None:
        return
    user, number = None, None
    if "@" in record.member:
        extension = record.member.partition("@")[0]
        user = User.get_or_none(User.tenant == group.tenant_id, User.extension == extension)
    elif record.member:
        number = record.member
    started = record.started_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    GroupCall.create(group=group, call_uuid=record.uuid, started_at=started, outcome=record.outcome,
                     wait_seconds=round(record.wait_seconds, 1), member_user=user, member_number=number,
                     talk_seconds=round(record.talk_seconds, 1))


def to_csv(group_name: str, figures: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["group", "member", "offered", "answered", "abandoned", "overflowed", "unanswered", "closed",
                     "average_wait_s", "longest_wait_s", "service_level_pct", "talk_seconds"])
    level = "" if figures.service_level is None else f"{figures.service_level * 100:.1f}"
    writer.writerow([neutralise(group_name), "", figures.offered, figures.answered, figures.abandoned,
                     figures.overflowed, figures.unanswered, figures.closed, f"{figures.average_wait:.1f}",
                     f"{figures.longest_wait:.1f}", level,
                     f"{sum(m.talk_seconds for m in figures.members.values()):.0f}"])
    for member, numbers in sorted(figures.members.items()):
        writer.writerow([neutralise(group_name), neutralise(member), "", numbers.answered, "", "", "", "", "", "",
                         "", f"{numbers.talk_seconds:.0f}"])
    return out.getvalue()
