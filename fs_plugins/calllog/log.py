"""Call log queries: one user's log, or a tenant admin's log over all its users.

Every query is scoped by tenant first (a user is looked up inside the tenant named by its domain),
so a user never sees another user's calls and a tenant never sees another tenant's. Filters: kind
(made / received / missed, see fs_plugins.calllog.classify) and a day, week (Monday to Sunday) or
month, whose boundaries are midnights in the tenant's time zone. Newest first; pages of PAGE_SIZE;
`iterate` walks a whole query in batches (keyset pagination) for the CSV export, in constant memory.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee

from fs_plugins.calllog.classify import KINDS, Status
from fs_plugins.calllog.store import sql_for
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import MAX_BIGINT
from fs_plugins.prepared import run_planned

PAGE_SIZE = 50
PERIODS = ("day", "week", "month")
COLUMNS = (
    "e.id, e.call_id, u.extension, e.kind, e.status, e.direction, e.started_at, e.caller_name,"
    " e.caller_number, e.callee, e.answered_by, e.ring_seconds, e.talk_seconds, e.cause, n.note"
)
# The note a custom flow left on the call (fs_plugins.callflows: one per call and tenant, unique index).
FROM = ('call_entry e LEFT JOIN "user" u ON u.id = e.user_id'
        " LEFT JOIN flow_note n ON n.tenant_id = e.tenant_id AND n.call_uuid = e.call_id")


@dataclass(frozen=True)
class LogQuery:
    tenant: str  # the tenant's domain
    user: str | None = None  # an extension; None = the tenant admin's view over all users
    kind: str | None = None
    period: str | None = None
    day: dt.date | None = None  # any day inside the period
    page: int = 1
    page_size: int = PAGE_SIZE

    def __post_init__(self):
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidInput("type", f"must be one of {', '.join(KINDS)}")
        if self.period is not None and self.period not in PERIODS:
            raise InvalidInput("period", f"must be one of {', '.join(PERIODS)}")
        if (self.period is None) != (self.day is None):
            raise InvalidInput("period", "a day, week or month needs a date")
        if self.page < 1:
            raise InvalidInput("page", "must be 1 or more")
        if self.page * self.page_size > MAX_BIGINT:  # its offset would overflow the database's integer
            raise InvalidInput("page", "past the last page")


@dataclass(frozen=True)
class LogEntry:
    call_id: str
    user: str  # the extension the entry belongs to; "" for the tenant itself
    kind: str
    status: Status
    direction: str
    started: dt.datetime  # aware, in the tenant's zone
    caller_name: str
    caller_number: str
    callee: str
    answered_by: str
    ring_seconds: int
    talk_seconds: int
    cause: str = ""  # a made call never answered: why (voicemail, caller_hung_up, busy, declined, …)
    note: str = ""  # what a custom flow noted on the call (fs_plugins.callflows), else ""


@dataclass(frozen=True)
class LogPage:
    entries: tuple[LogEntry, ...]
    page: int
    has_more: bool


@dataclass(frozen=True)
class _Scope:
    tenant_id: int
    zone: ZoneInfo
    user_id: int | None


def page(db: peewee.Database, query: LogQuery) -> LogPage:
    scope = _scope(db, query)
    where, params = _where(query, scope)
    sql = (f'SELECT {COLUMNS} FROM {FROM} WHERE {where}'
           " ORDER BY e.started_at DESC, e.id DESC LIMIT ? OFFSET ?")
    rows = db.execute_sql(sql_for(db, sql), (*params, query.page_size + 1, (query.page - 1) * query.page_size))
    entries = [_entry(row, scope.zone) for row in rows.fetchall()]
    return LogPage(tuple(entries[: query.page_size]), query.page, len(entries) > query.page_size)


def page_after(db: peewee.Database, query: LogQuery, after: tuple[int, int] | None,
               limit: int = PAGE_SIZE) -> tuple[tuple[LogEntry, ...], tuple[int, int] | None]:
    """Keyset paging for the REST API: the entries after `after` (the (started_at, id) key the
    previous page returned) and the key of the next page, or None at the end. Any page costs what
    the first does, and a call logged meanwhile neither repeats nor skips an entry."""
    scope = _scope(db, query)
    where, params = _where(query, scope)
    sql = f'SELECT {COLUMNS} FROM {FROM} WHERE {where}'
    if after is not None:
        sql += " AND e.started_at <= ? AND (e.started_at < ? OR e.id < ?)"
        params = (*params, after[0], after[0], after[1])
    sql += " ORDER BY e.started_at DESC, e.id DESC LIMIT ?"
    # One text per filter shape (16 at most), prepared on serve's connection: see _scope.
    rows = run_planned(db, sql, (*params, limit + 1)).fetchall()
    shown = rows[:limit]
    following = (shown[-1][6], shown[-1][0]) if len(rows) > limit else None
    return tuple(_entry(row, scope.zone) for row in shown), following


def iterate_rows(db: peewee.Database, query: LogQuery, batch: int = 2000) -> tuple[ZoneInfo, Iterator[tuple]]:
    """Every entry of the query (all pages), newest first, as raw rows (COLUMNS order) read one batch
    at a time, and the tenant's zone: the CSV export's fast path. The tenant and user are checked
    now (NotFound before anything is produced); rows come lazily."""
    scope = _scope(db, query)
    where, params = _where(query, scope)
    base = f'SELECT {COLUMNS} FROM {FROM} WHERE {where}'
    return scope.zone, _batches(db, base, params, batch)


def _batches(db, base: str, params: tuple, batch: int) -> Iterator[tuple]:
    after: tuple | None = None
    while True:
        sql, extra = base, ()
        if after is not None:
            # The first condition bounds the index range; an OR alone would rescan from the top.
            sql += " AND e.started_at <= ? AND (e.started_at < ? OR e.id < ?)"
            extra = (after[0], after[0], after[1])
        sql += " ORDER BY e.started_at DESC, e.id DESC LIMIT ?"
        rows = db.execute_sql(sql_for(db, sql), (*params, *extra, batch)).fetchall()
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1][6], rows[-1][0])


def period_date(period: str, text: str, field: str) -> dt.date:
    """The date a period filter names: YYYY-MM-DD, or YYYY-MM for a month."""
    value = text.strip()
    if period == "month" and len(value) == 7:
        value += "-01"
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, f"expected a date YYYY-MM-DD, got {text!r}") from None


def period_bounds(period: str, day: dt.date, zone: ZoneInfo) -> tuple[int, int]:
    """[start, end) of the day / week (from Monday) / month containing `day`, as UTC unix seconds."""
    if period == "day":
        first, after = day, day + dt.timedelta(days=1)
    elif period == "week":
        first = day - dt.timedelta(days=day.weekday())
        after = first + dt.timedelta(days=7)
    else:
        first = day.replace(day=1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
    return _midnight(first, zone), _midnight(after, zone)


def tenant_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timezone", f"unknown time zone {name!r}") from None


def _midnight(day: dt.date, zone: ZoneInfo) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=zone).timestamp())


def _scope(db: peewee.Database, query: LogQuery) -> _Scope:
    # The tenant and the user in one statement: each round trip to PostgreSQL is paid per page. It
    # and the API's and portal's page (page_after) run as statements prepared on serve's connection
    # (prepared.run_planned): PostgreSQL planned this one ~4x longer than it ran it, and the page (with
    # call_entry's statistics, fs_plugins/models/calllog.py) about as long as it ran it.
    row = run_planned(db, 'SELECT t.id, t.timezone, u.id FROM tenant t LEFT JOIN "user" u'
                          " ON u.tenant_id = t.id AND u.extension = ? WHERE t.domain = ?",
                      (query.user, query.tenant)).fetchone()
    if row is None:
        raise NotFound("tenant", f"no tenant with domain {query.tenant!r}")
    if query.user is not None and row[2] is None:
        raise NotFound("user", f"no user {query.user!r} in {query.tenant}")
    return _Scope(row[0], tenant_zone(row[1]), row[2] if query.user is not None else None)


def _where(query: LogQuery, scope: _Scope) -> tuple[str, tuple]:
    clauses, params = ["e.tenant_id = ?"], [scope.tenant_id]
    if scope.user_id is not None:
        clauses.append("e.user_id = ?")
        params.append(scope.user_id)
    if query.kind is not None:
        clauses.append("e.kind = ?")
        params.append(query.kind)
    if query.period is not None:
        start, end = period_bounds(query.period, query.day, scope.zone)
        clauses.append("e.started_at >= ? AND e.started_at < ?")
        params.extend((start, end))
    return " AND ".join(clauses), tuple(params)


def _entry(row, zone: ZoneInfo) -> LogEntry:
    return LogEntry(
        call_id=row[1], user=row[2] or "", kind=row[3], status=Status.from_code(row[4]), direction=row[5],
        started=dt.datetime.fromtimestamp(row[6], zone), caller_name=row[7], caller_number=row[8],
        callee=row[9], answered_by=row[10], ring_seconds=row[11], talk_seconds=row[12], cause=row[13] or "",
        note=row[14] or "",
    )

