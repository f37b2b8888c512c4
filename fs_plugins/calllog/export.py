"""CSV export of any call log query, streamed: one batch of rows in memory whatever the size.

Times are shown in the tenant's zone (ISO 8601 with the UTC offset). Any cell starting with `=`,
`+`, `-`, `@` (or tab / CR, which spreadsheets also treat as formula starts) gets a leading `'`,
so a caller name or number cannot run as a formula when the file is opened (CSV injection).

Rows go from the cursor straight to csv.writer (no LogEntry per row): the export is the one
query that walks hundreds of thousands of rows, and building objects tripled its cost.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

import peewee

from fs_plugins.calllog.classify import Status
from fs_plugins.calllog.log import LogQuery, iterate_rows
from fs_plugins.csvsafe import FORMULA_STARTS, neutralise

HEADER = (
    "started", "user", "type", "status", "colour", "caller_name", "caller_number", "callee",
    "answered_by", "ring_seconds", "talk_seconds", "cause", "note", "call_id",
)
ROWS_PER_CHUNK = 500
_STATUS = {status.code: (status.label, status.colour) for status in Status}


def csv_chunks(rows: Iterable[tuple], zone: ZoneInfo) -> Iterator[str]:
    """The CSV text (header first) of raw log rows (fs_plugins.calllog.log.COLUMNS), in chunks."""
    buffer = io.StringIO()
    write = csv.writer(buffer, lineterminator="\r\n").writerow
    write(HEADER)
    stamp, danger, count = _LocalTime(zone), _DANGER, 0
    for (_, call_id, user, kind, status, _, started, name, number, callee, answered_by, ring, talk, cause,
         note) in rows:
        label, colour = _STATUS[status]
        user = user or ""
        write((stamp(started), "'" + user if user[:1] in danger else user, kind, label, colour,
               "'" + name if name[:1] in danger else name, "'" + number if number[:1] in danger else number,
               "'" + callee if callee[:1] in danger else callee,
               "'" + answered_by if answered_by[:1] in danger else answered_by, ring, talk, cause or "",
               ("'" + note if note[:1] in danger else note) if note else "", neutralise(call_id)))
        count += 1
        if count == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            count = 0
    yield buffer.getvalue()


_DANGER = frozenset(FORMULA_STARTS)


BLOCK = 6 * 3600
_HH_MM = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SS = tuple(f"{s:02d}" for s in range(60))


class _LocalTime:
    """Unix seconds -> "YYYY-MM-DD hh:mm:ss+hh:mm" in a zone, by arithmetic on cached offsets.

    A datetime per row was the export's largest cost. The offset is looked up once per six-hour
    block of UTC when it is the same at both ends of the block (a zone changes its offset at most
    twice a year, months apart); a block holding a change is computed row by row. The date is
    looked up once per local day; both caches are emptied when full, so memory stays flat
    whatever the export's time span.
    """

    LIMIT = 4096

    def __init__(self, zone: ZoneInfo):
        self.zone, self.offsets, self.days = zone, {}, {}

    def __call__(self, seconds: int) -> str:
        block = seconds // BLOCK
        offset = self.offsets.get(block) or self._offset(block, seconds)
        day, of_day = divmod(seconds + offset[0], 86400)
        minute, secs = divmod(of_day, 60)
        return f"{self.days.get(day) or self._date(day)} {_HH_MM[minute]}{_SS[secs]}{offset[1]}"

    def _offset(self, block: int, seconds: int) -> tuple[int, str]:
        first, last = (self._utcoffset(block * BLOCK + edge) for edge in (0, BLOCK - 1))
        if first != last:  # the offset changes inside this block: exact for each row, not cached
            return self._render(self._utcoffset(seconds))
        if len(self.offsets) >= self.LIMIT:
            self.offsets.clear()
        self.offsets[block] = value = self._render(first)
        return value

    def _utcoffset(self, seconds: int) -> int:
        return int(dt.datetime.fromtimestamp(seconds, self.zone).utcoffset().total_seconds())

    @staticmethod
    def _render(delta: int) -> tuple[int, str]:
        sign, size = ("-", -delta) if delta < 0 else ("+", delta)
        return delta, f"{sign}{size // 3600:02d}:{size % 3600 // 60:02d}"

    def _date(self, day: int) -> str:
        text = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
        if len(self.days) >= self.LIMIT:
            self.days.clear()
        self.days[day] = text
        return text


def export(db: peewee.Database, query: LogQuery) -> Iterator[str]:
    """Stream the CSV of a query: all its entries, not one page (the query's page is ignored).

    The tenant and user are checked before the first chunk (NotFound, nothing written).
    """
    zone, rows = iterate_rows(db, query)
    return csv_chunks(rows, zone)
