"""CSV export of any call log query, streamed: one batch of rows in memory whatever the size.

Times are shown in the tenant's zone (ISO 8601 with the UTC offset). Any cell starting with `=`,
`+`, `-`, `@` (or tab / CR, which spreadsheets also treat as formula starts) gets a leading `'`,
so a caller name or number cannot run as a formula when the file is opened (CSV injection).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

import peewee

from fs_plugins.calls.log import LogEntry, LogQuery, iterate

HEADER = (
    "started", "user", "type", "status", "colour", "caller_name", "caller_number", "callee",
    "answered_by", "ring_seconds", "talk_seconds", "call_id",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_chunks(entries: Iterable[LogEntry]) -> Iterator[str]:
    """The CSV text (header first) in chunks of ROWS_PER_CHUNK rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for entry in entries:
        writer.writerow((
            entry.started.isoformat(sep=" "), neutralise(entry.user), entry.kind, entry.status.label,
            entry.status.colour, neutralise(entry.caller_name), neutralise(entry.caller_number),
            neutralise(entry.callee), neutralise(entry.answered_by), entry.ring_seconds,
            entry.talk_seconds, neutralise(entry.call_id),
        ))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export(db: peewee.Database, query: LogQuery) -> Iterator[str]:
    """Stream the CSV of a query: all its entries, not one page (the query's page is ignored)."""
    return csv_chunks(iterate(db, query))
