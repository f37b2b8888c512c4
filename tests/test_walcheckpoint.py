"""serve's SQLite checkpoints run in a thread of their own (fs_plugins/walcheckpoint.py), never in a
request's COMMIT, and keep the WAL bounded."""
from __future__ import annotations

import os
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from fs_plugins import db as dbmod
from fs_plugins.walcheckpoint import Checkpointer
from tests.serve_process import ServeProcess
from xml_curl.sqlitechanges import SqliteChanges

# Rows of ~3,000 bytes: one page each (4 KB pages), so a commit of n rows adds about n pages to the WAL.
ROWS = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO scratch SELECT randomblob(3000) FROM n")


def wal(path: Path) -> tuple[int, int]:
    """(pages in the WAL, of them copied into the database file), as the -shm's WAL-index says
    (sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at byte 96)."""
    head = Path(f"{path}-shm").read_bytes()[:136]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


def outside_writer(path: Path) -> sqlite3.Connection:
    """A connection that writes and never checkpoints (as serve's own now do)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE IF NOT EXISTS scratch (body BLOB)")
    return conn


def write_pages(conn, commits: int, rows: int) -> None:
    for _ in range(commits):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(ROWS, (rows,))
        conn.execute("COMMIT")


def test_serves_commits_leave_a_wal_past_a_thousand_pages_to_the_checkpointer(tmp_path):
    path = tmp_path / "serve.db"
    database = dbmod.connect(f"sqlite:///{path}", pool=dbmod.PoolSettings(size=2))  # serve's kind of database
    try:
        database.execute_sql("CREATE TABLE scratch (body BLOB)")
        for _ in range(30):  # a burst of requests' commits, 50 pages each
            with database.atomic():
                database.execute_sql(ROWS, (50,))
        pages, copied = wal(path)
        assert pages >= 1500 and copied == 0  # no COMMIT ran a checkpoint
        checkpointer = Checkpointer(str(path))
        assert checkpointer.step() == "passive"
        assert wal(path) == (pages, pages)  # every page in the database file
        assert checkpointer.step() is None  # nothing waits: nothing done
        checkpointer.close()
    finally:
        database.close_all()


def test_writers_wait_for_a_truncate_no_longer_on_a_core_serve_keeps_busy(tmp_path):
    # TRUNCATE holds SQLite's write lock while it copies and syncs. At niceness 19 the thread waited
    # for the CPU holding it (B8's SQLite line: truncates of 431 ms, 401 of them in the run queue),
    # and every CDR writer waited with it. Here two processes at serve's priority keep one core busy;
    # the Checkpointer's thread runs there, a writer commits every 10 ms meanwhile.
    path = tmp_path / "held.db"
    writer = outside_writer(path)
    writer.execute("PRAGMA busy_timeout = 5000")  # as serve's writers wait, off the event loop
    write_pages(writer, 6, 100)  # past the limit below
    core = min(os.sched_getaffinity(0))
    spin = f"import os; os.sched_setaffinity(0, {{{core}}})\nwhile True: pass"
    busy = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    checkpointer, done = Checkpointer(str(path), pages=50, limit_pages=250), []

    def run() -> None:  # the Checkpointer's own thread, on the busy core
        os.sched_setaffinity(0, {core})
        checkpointer._run()

    checkpointer.observed = done.append
    thread = threading.Thread(target=run)
    try:
        time.sleep(0.2)  # the spinners are running
        thread.start()
        waits = commit_waits(writer, 3, enough=lambda: len(done) >= 2)
    finally:
        checkpointer.stop()
        thread.join()
        for process in busy:
            process.kill()
            process.wait()
    assert done, "no checkpoint ran"
    assert Path(f"{path}-wal").stat().st_size < 250 * 4096  # truncated
    # before: 0.33-0.75 s (the truncate waiting for the CPU at niceness 19); room left for a busy machine
    assert max(waits) < 0.2, f"a commit waited {max(waits):.3f} s for the truncate (checkpoints took {done})"


def test_a_wal_under_the_threshold_is_left_alone(tmp_path):
    path = tmp_path / "small.db"
    write_pages(outside_writer(path), 2, 50)
    checkpointer = Checkpointer(str(path))
    assert checkpointer.step() is None
    assert wal(path)[1] == 0
    checkpointer.close()


def test_a_wal_past_its_limit_is_truncated_once_no_reader_needs_it(tmp_path):
    path = tmp_path / "big.db"
    write_pages(outside_writer(path), 3, 100)
    checkpointer = Checkpointer(str(path), pages=50, limit_pages=250)
    assert checkpointer.step() == "truncate"
    assert Path(f"{path}-wal").stat().st_size == 0
    checkpointer.close()


def test_a_wal_written_all_the_time_stays_bounded(tmp_path):
    # A commit every millisecond or so, as a CDR burst's are (requests, each parsed between two):
    # the WAL is never all copied when a writer starts, so it would never start again by itself.
    path = tmp_path / "busy.db"
    writer, stop, most = outside_writer(path), threading.Event(), [0]

    def write():
        while not stop.is_set():
            write_pages(writer, 1, 5)
            time.sleep(0.001)

    thread = threading.Thread(target=write)
    thread.start()
    checkpointer = Checkpointer(str(path), pages=100, limit_pages=400)
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            checkpointer.step()
            most[0] = max(most[0], wal(path)[0])
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
        checkpointer.close()
    written = writer.execute("SELECT COUNT(*) FROM scratch").fetchone()[0]
    assert written > 1500  # several times the limit went through the WAL
    assert most[0] < 400 + 600, most  # the limit, and what one look's interval lets in at most


def test_serve_checkpoints_a_wal_other_writers_filled_and_counts_it_in_metrics(tmp_path):
    with ServeProcess(tmp_path, metrics_token="tok") as serve:
        path = tmp_path / "centralita.db"
        write_pages(outside_writer(path), 30, 50)  # 1,500 pages nobody checkpointed
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pages, copied = wal(path)
            if copied and pages - copied < 1000:  # copied up to less than a threshold's worth
                break
            time.sleep(0.1)
        assert copied and pages - copied < 1000, (pages, copied)
        request = urllib.request.Request(f"http://127.0.0.1:{serve.xml_curl_port}/metrics",
                                         headers={"Authorization": "Bearer tok"})
        scraped = urllib.request.urlopen(request, timeout=5).read().decode()
        count = next(line for line in scraped.splitlines() if line.startswith("centralita_sqlite_checkpoint_seconds_count"))
        assert float(count.split()[-1]) >= 1


def test_a_long_reader_never_makes_writers_wait_at_each_look(tmp_path):
    # TRUNCATE holds SQLite's write lock while it waits for readers: with a busy timeout, a read
    # lasting seconds (`centralita backup`, an export) made every writer wait that timeout again at
    # each look. Without one, it gives up at once and the WAL grows until the reader is gone.
    path = tmp_path / "read.db"
    writer = outside_writer(path)
    writer.execute("PRAGMA busy_timeout = 5000")  # as serve's writers wait, off the event loop
    write_pages(writer, 3, 100)  # past the limit below
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM scratch").fetchone()  # its snapshot held until the end
    checkpointer, stop = Checkpointer(str(path), pages=50, limit_pages=250), threading.Event()

    def look():  # Checkpointer._run's loop without its OS thread
        while not stop.is_set():
            checkpointer.step()
            time.sleep(0.25)

    thread = threading.Thread(target=look)
    thread.start()
    try:
        waits = commit_waits(writer, 3)
    finally:
        stop.set()
        thread.join()
        checkpointer.close()
        reader.close()
    assert max(waits) < 0.5, f"{sum(w >= 0.5 for w in waits)} of {len(waits)} commits waited, up to {max(waits):.2f} s"


def test_a_checkpoint_a_reader_held_back_is_neither_whole_nor_counted(tmp_path):
    path = tmp_path / "held.db"
    writer = outside_writer(path)
    write_pages(writer, 1, 100)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM scratch").fetchone()  # its snapshot: the first 100 pages
    write_pages(writer, 1, 100)  # 100 more the reader keeps from being copied
    seen = []
    checkpointer = Checkpointer(str(path), pages=50, limit_pages=10_000, observed=seen.append)
    try:
        assert checkpointer.step() is None  # copied up to the reader's snapshot only
        assert len(seen) == 1
        held = wal(path)
        assert checkpointer.step() is None  # nothing more can move
        assert wal(path) == held and len(seen) == 1  # and nothing is counted as a checkpoint
    finally:
        reader.close()
        checkpointer.close()


def test_the_checkpoint_thread_outlives_an_unexpected_error(tmp_path, caplog):
    # Its end would leave serve's WAL to grow until a restart: serve's own connections never checkpoint.
    checkpointer, calls = Checkpointer(str(tmp_path / "any.db")), []

    def step():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("unexpected")
        checkpointer.stop()

    checkpointer.step = step
    with caplog.at_level("WARNING", logger="fs_plugins.walcheckpoint"):
        checkpointer._run()
    assert len(calls) == 2
    assert "RuntimeError('unexpected')" in caplog.text


@pytest.mark.parametrize("reader", [
    pytest.param(lambda path: (Checkpointer(path), Checkpointer.waiting_pages), id="checkpointer"),
    pytest.param(lambda path: (SqliteChanges(path), SqliteChanges.version), id="xml_curl-changes"),
])
def test_looking_at_the_wal_index_keeps_this_processs_sqlite_locks(tmp_path, reader):
    # POSIX locks are the process's: closing a descriptor of the -shm dropped SQLite's own locks on it
    # (a writer's, the DMS lock). B8's SQLite line at wal_autocheckpoint=0: another process rebuilt the
    # -shm under serve --only web, which died of SIGBUS (fs_plugins/sqliteshm.py). Here: a second
    # writer got in beside ours, after the Checkpointer or xml_curl's change watcher looked and closed.
    path = tmp_path / "locked.db"
    writer = outside_writer(path)
    write_pages(writer, 1, 5)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO scratch VALUES (randomblob(10))")
    looking, look = reader(str(path))
    try:
        assert look(looking) is not None  # the header read
        assert another_process_asks_for_the_write_lock(path) == "database is locked"
        looking.close()
        assert another_process_asks_for_the_write_lock(path) == "database is locked"
    finally:
        looking.close()
        writer.execute("COMMIT")


def commit_waits(writer, seconds: float, enough=lambda: False) -> list[float]:
    """How long each of `writer`'s commits took, one every 10 ms for `seconds` or until `enough()`."""
    waits, until = [], time.monotonic() + seconds
    while time.monotonic() < until and not enough():
        started = time.monotonic()
        writer.execute("INSERT INTO scratch VALUES (randomblob(100))")
        waits.append(time.monotonic() - started)
        time.sleep(0.01)
    return waits


# Another process asking for the write lock at once: what it says ("database is locked": someone holds it).
TAKE_THE_WRITE_LOCK = ("import sqlite3, sys\nconn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
                       "try:\n    conn.execute('BEGIN IMMEDIATE')\n    print('taken')\nexcept sqlite3.OperationalError as exc:\n"
                       "    print(exc)")


def another_process_asks_for_the_write_lock(path) -> str:
    return subprocess.run([sys.executable, "-c", TAKE_THE_WRITE_LOCK, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()
