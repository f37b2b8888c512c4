"""SQLite's checkpoints for `serve`: run by a thread of their own, never by a request's COMMIT.

In WAL mode a commit appends pages to the -wal file, and a checkpoint copies them back into the
database file and syncs both. SQLite's default (wal_autocheckpoint=1000) runs it inside the COMMIT
that takes the WAL past 1,000 pages, and `serve` runs SQLite's statements on its event loop
(fs_plugins/dbpool.py): traced under B6 (`perf trace -e fdatasync` on `serve --only api`), one
API write paid four fdatasyncs, 80 ms, while every other request of that process waited; in the
all-in-one `serve` a CDR's commit would hold up the REGISTERs and dialplan fetches the same way.

So serve's connections never checkpoint (wal_autocheckpoint=0, fs_plugins/db.py) and every `serve`
process on SQLite that writes (any role but xml_curl alone) runs a Checkpointer: an OS thread (not a
greenlet: a checkpoint blocks in C for its I/O, with the GIL released) that looks at the WAL every
EVERY_SECONDS and, once PAGES pages wait there, runs a PASSIVE checkpoint (it never waits for a
reader or a writer, nor makes them wait). Several processes on one file may each run one: SQLite
lets one checkpoint run at a time, and a second finding it busy tries again at its next look. (For
a while, 2026-12, serve's connections checkpointed in their COMMITs again: with wal_autocheckpoint=0
B8's SQLite line had filed 77 CDR/s. That was serve --only web dying of SIGBUS, the -shm rebuilt
under it once this thread had dropped SQLite's locks: fs_plugins/sqliteshm.py.)

The thread keeps serve's CPU priority, that of the writers waiting for its TRUNCATE (below). At
niceness 19 (until 2026-12), on a machine kept busy by serve's own work, it waited for the CPU while
it held SQLite's write lock, and every CDR writer waited with it: B8's SQLite line, shared machine,
traced TRUNCATEs of up to 431 ms, 401 of them runnable but not running (the posts' answers p99
1.1 s). A lower priority saved little: all that line's checkpoints took 0.14 s of CPU in 35 s.

A WAL starts again from its first page only when a writer finds it all copied; writes that never
pause (a CDR burst) leave no such moment, and it grows. Past LIMIT_PAGES, after the PASSIVE one, a
TRUNCATE checkpoint: it takes the write lock, copies what came since and empties the file once no
reader needs it; writers wait for it meanwhile (off the event loop: fs_plugins/dbpool.py). It never
waits for a writer or a reader (no busy timeout): SQLite holds the write lock while TRUNCATE waits
for readers, so a long read (`centralita backup`, an export) would have made every writer wait that
timeout again at every look. Busy, it is tried again at the next look; the WAL grows meanwhile.

How many pages wait is read from the WAL-index header at the start of the -shm file (mxFrame, and
nBackfill in the checkpoint information after the header's two copies: sqlite.org/walformat.html),
mapped into memory once per process and never closed (fs_plugins/sqliteshm.py: closing it would drop
SQLite's own locks on the file); without it, a PASSIVE checkpoint at every look.
"""
from __future__ import annotations

import logging
import mmap
import sqlite3
import struct
import threading
import time

import gevent
from gevent.monkey import get_original

from fs_plugins import sqliteshm

log = logging.getLogger(__name__)

PAGES = 1000  # SQLite's own default threshold (wal_autocheckpoint)
LIMIT_PAGES = 4 * PAGES  # ~16 MB of 4 KB pages: past this, TRUNCATE
EVERY_SECONDS = 0.25
# WalIndexHdr.mxFrame (a u32 at byte 16 of the first header copy) and WalCkptInfo.nBackfill (a u32
# right after the two 48-byte copies), both in the machine's byte order.
_U32, _MX_FRAME_AT, _BACKFILL_AT = struct.Struct("=I"), 16, 96
_start_thread = get_original("_thread", "start_new_thread")  # an OS thread under serve's monkey-patching
_sleep = get_original("time", "sleep")


class Checkpointer:
    """`step()` checkpoints when due and says what it did; `start()` runs it every EVERY_SECONDS.
    `observed(seconds)` is told how long each checkpoint that moved pages took (serve: /metrics)."""

    def __init__(self, path: str, pages: int = PAGES, limit_pages: int = LIMIT_PAGES, observed=None):
        self.path, self.pages, self.limit_pages = path, pages, limit_pages
        self.observed = observed or (lambda seconds: None)
        self._conn: sqlite3.Connection | None = None
        self._header: mmap.mmap | None = None
        self._stopped = threading.Event()  # gevent's under serve: only ever set, never waited on here
        self._in_loop = lambda function, *args: function(*args)  # step() called directly: here

    def start(self) -> "Checkpointer":
        """Run it in an OS thread from now on (called in the event loop's thread: what the thread
        logs and observes runs there, as gevent's locks of logging and prometheus_client want)."""
        loop = gevent.get_hub().loop
        self._in_loop = lambda function, *args: loop.run_callback_threadsafe(function, *args)
        _start_thread(self._run, ())
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        failing = False
        while not self._stopped.is_set():
            try:
                self.step()
                failing = False
            except Exception as exc:  # any: a thread that ended would leave the WAL to grow until restart
                if not failing:  # once per outage; opened again at the next look
                    self._in_loop(log.warning, "SQLite checkpoint of %s failed: %r", self.path, exc)
                failing = True
                self.close()
            _sleep(EVERY_SECONDS)
        self.close()

    def waiting_pages(self) -> tuple[int, int] | None:
        """(pages in the WAL, of them not yet in the database file), or None when not known."""
        if self._conn is None:
            self._open()
        if self._header is None:
            return None
        frames = _U32.unpack_from(self._header, _MX_FRAME_AT)[0]
        return frames, frames - min(_U32.unpack_from(self._header, _BACKFILL_AT)[0], frames)

    def step(self) -> str | None:
        """"passive" or "truncate" when it checkpointed the whole WAL; None when nothing was due,
        or a reader, a writer or another process's checkpoint held part of it back (tried again next
        look). `observed` is told only of a checkpoint that copied or emptied something."""
        before = self.waiting_pages()
        if before is not None and before[1] < self.pages and before[0] < self.limit_pages:
            return None
        started = time.monotonic()
        busy, in_wal, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        mode = "passive"
        if in_wal >= self.limit_pages:  # the pragma's count: known even where the -shm is not mapped
            # Writes that never pause leave no moment when the WAL is all copied and a writer could
            # start it again: it grows. Copied just above, what is left is only what came since.
            mode = "truncate"
            busy, in_wal, copied = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        pages = self.waiting_pages()
        # The pragma's third column counts every page copied so far, by any checkpoint: the header
        # before and after says whether this one moved anything.
        moved = copied > 0 if before is None or pages is None else (
            pages[0] < before[0] or pages[0] - pages[1] > before[0] - before[1])  # emptied, or more copied
        if moved:
            self._in_loop(self.observed, time.monotonic() - started)
        return None if busy or copied < in_wal else mode

    def _open(self) -> None:
        # timeout=0: no busy handler, so no checkpoint here ever waits (the module's docstring)
        self._conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            return
        self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # maps the -shm, holds its DMS lock
        try:
            self._header = sqliteshm.header(self.path)  # never closed: it would drop SQLite's locks
        except (OSError, ValueError) as exc:
            self._in_loop(log.info, "the WAL of %s is checkpointed at every look: the -shm cannot be read (%s)",
                          self.path, exc)

    def close(self) -> None:
        self._header = None  # the process's map, kept (fs_plugins/sqliteshm.py)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
