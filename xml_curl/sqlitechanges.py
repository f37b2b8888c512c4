"""Whether an SQLite database changed, asked once per xml_curl request (xml_curl/cache.py).

The answer must see every commit, of this process's pool or of another process, made before the
request began. Two ways, through a connection of our own that never writes:

* In WAL mode (how Centralita runs SQLite), by reading the WAL-index header at the start of the
  -shm file, mapped into memory: every commit rewrites it (mxFrame grows; a WAL that restarts
  gets new salts), and a reader sees the new one as soon as the commit is done (the commit point
  of WAL mode: sqlite.org/walformat.html, "the WAL-index header"). No system call: PRAGMA
  data_version costs three (a read transaction's file locks and a stat), ~15 µs of kernel time
  per request under load, more than a cached answer takes in Python. Our connection keeps the
  -shm mapped and its DMS lock held, so the file is never removed or replaced while we read it;
  the header's map is the process's, never closed (fs_plugins/sqliteshm.py: closing a descriptor
  of the -shm would drop SQLite's own locks on it).
* Otherwise (another journal mode, no -shm), PRAGMA data_version on that connection: it changes
  whenever another connection commits (sqlite.org/pragma.html#pragma_data_version).

Defence in depth: every RECHECK_SECONDS the header is checked against PRAGMA data_version; a
commit the header did not show (a layout this code does not know) turns the header off for good,
with a warning.
"""
from __future__ import annotations

import logging
import mmap
import sqlite3
import time

from fs_plugins import sqliteshm

log = logging.getLogger(__name__)

HEADER_BYTES = 48  # the first copy of the WalIndexHdr (sqlite's wal.c), what a commit rewrites last
RECHECK_SECONDS = 1.0


class SqliteChanges:
    """`version()`: a number that moves whenever the database may have changed (None: not known).

    A subclass answers something else for each number (`_answer_at`: SqliteWatch, the tenants that
    changed); `version` gives that answer again, without calling anything else, while the mapped
    header is as last seen (the usual request)."""

    def __init__(self, path: str):
        self.path = path
        self._conn: sqlite3.Connection | None = None  # opened on first use
        self._cursor: sqlite3.Cursor | None = None  # reused: 5 µs a pragma instead of 7.5
        self._header: mmap.mmap | None = None  # the -shm's first bytes, in WAL mode
        self._seen = b""
        self._count = 0  # the version: moves with every change seen (and at every reopening)
        self._recheck_at = 0.0
        self._pragma: int | None = None  # data_version last read
        self._count_at_recheck = 0
        self._answer: object = None  # _answer_at(_count) when last asked (None: not known)

    def version(self):
        # Each request: one look at the mapped header, the answer again when it did not move and no
        # recheck is due (_moved for anything else: a commit, a recheck, no header, no answer).
        header = self._header
        if header is not None and self._answer is not None:
            try:
                if time.monotonic() < self._recheck_at and header[:HEADER_BYTES] == self._seen:
                    return self._answer
            except ValueError:  # closed meanwhile: _moved reopens it
                pass
        return self._moved()

    def _moved(self):
        try:
            if self._conn is None:
                self._open()
            if self._header is None:
                self._pragma_moved()
            else:
                self._header_moved()
        except (sqlite3.Error, OSError, ValueError) as exc:  # opened again next time
            log.debug("cache not used for this request: %s", exc)
            self.close()
            self._answer = None
            return None
        self._answer = self._answer_at(self._count)
        return self._answer

    def _answer_at(self, count: int):
        """What `version` gives while the count is `count` (None: not known this time, asked again
        at the next request)."""
        return count

    def _open(self) -> None:
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._cursor = self._conn.cursor()
        self._pragma = self._data_version()  # a read: in WAL mode SQLite maps the -shm, takes its DMS lock
        self._count += 1  # whatever was kept before is not known to be current
        if self._cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            return
        try:
            self._header = sqliteshm.header(self.path)  # never closed: it would drop SQLite's locks
        except (OSError, ValueError) as exc:
            log.debug("PRAGMA data_version for %s: the -shm cannot be read (%s)", self.path, exc)
            return
        self._seen = self._header[:HEADER_BYTES]
        self._count_at_recheck = self._count
        self._recheck_at = time.monotonic() + RECHECK_SECONDS

    def _data_version(self) -> int:
        return self._cursor.execute("PRAGMA data_version").fetchone()[0]

    def _pragma_moved(self) -> None:
        pragma = self._data_version()
        if pragma != self._pragma:
            self._pragma = pragma
            self._count += 1

    def _header_moved(self) -> None:
        if time.monotonic() >= self._recheck_at:
            self._recheck()  # may turn the header off
        if self._header is not None:
            self._header_seen_now()

    def _recheck(self) -> None:
        """The pragma first, then the header: a commit in between shows in the header only."""
        pragma = self._data_version()
        self._header_seen_now()
        if pragma != self._pragma and self._count == self._count_at_recheck:
            log.warning("SQLite's WAL-index header missed a commit to %s: PRAGMA data_version is used from "
                        "now on", self.path)
            self._header = None
            self._count += 1  # the rows kept may be old
        self._pragma, self._count_at_recheck = pragma, self._count
        self._recheck_at = time.monotonic() + RECHECK_SECONDS

    def _header_seen_now(self) -> None:
        header = self._header[:HEADER_BYTES]
        if header != self._seen:
            self._seen = header
            self._count += 1

    def close(self) -> None:
        self._header = None  # the process's map, kept (fs_plugins/sqliteshm.py)
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is not None:
            conn.close()
