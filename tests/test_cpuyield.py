"""`serve --only api` under SCHED_IDLE hands the core back every api_yield_every_us while it works
(fs_plugins/cpuyield.py): the timer runs only while the event loop has work, only in a process
serving people only, and what the loop's thread runs meanwhile (SQLite's statements, commits that
sync, a PostgreSQL query) still completes with the signal arriving every few microseconds."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import PG_URL, _pg_unavailable_reason
from tests.serve_process import ROOT


def _run(code: str, **settings: str) -> dict:
    """`code` in a fresh interpreter (its last line of output is JSON), with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    env.update({f"CENTRALITA_{k.upper()}": v for k, v in settings.items()})
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


FIRING_WHILE = """
import json, threading, time
import gevent
from fs_plugins.cpuyield import WhileTheLoopWorks

yielding = WhileTheLoopWorks(0.0002)
seen = {}

def look_after(delay, name):  # a real thread: it looks while the loop's thread polls or works
    def look():
        time.sleep(delay)
        seen[name] = yielding.timer.firing()
    watcher = threading.Thread(target=look)
    watcher.start()
    return watcher

def work(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass

watcher = look_after(0.2, "polling"); gevent.sleep(0.6); watcher.join()
watcher = look_after(0.2, "a greenlet working"); gevent.spawn(work, 0.6).join(); watcher.join()
watcher = look_after(0.2, "polling again"); gevent.sleep(0.6); watcher.join()
yielding.stop()
print(json.dumps(seen))
"""


def test_the_timer_fires_only_while_the_event_loop_works():
    seen = _run(FIRING_WHILE)
    assert seen == {"polling": False, "a greenlet working": True, "polling again": False}


TIMERS_OF = """
import json
from fs_plugins.commands.serve import yield_while_working
from fs_plugins.config import load_config
yielding = yield_while_working(load_config(), {roles!r})
print(json.dumps(open("/proc/self/timers").read()))
"""


def _timers(roles: tuple[str, ...], **settings: str) -> str:
    return _run(TIMERS_OF.format(roles=roles), **settings)


def test_a_process_serving_only_people_yields_from_its_event_loops_thread_by_default():
    timers = _timers(("api",))
    assert f"signal: {int(signal.SIGRTMIN) + 7}/" in timers and "notify: signal/tid." in timers, timers


@pytest.mark.parametrize("roles, settings", [
    (("xml_curl",), {}), (("api", "xml_curl"), {}), (("web",), {}), (("esl", "api"), {}),
    (("api",), {"api_scheduling": "normal"}), (("api",), {"api_yield_every_us": "0"})])
def test_no_timer_in_a_freeswitch_facing_process_nor_unless_api_scheduling_is_idle(roles, settings):
    assert _timers(roles, **settings) == ""


BLOCKING_CALLS = """
import json, sqlite3, tempfile, threading, time
import gevent
from fs_plugins.cpuyield import WhileTheLoopWorks

yielding = WhileTheLoopWorks(0.00002)  # every 20 µs: thousands of signals in each call below
during = []

def watch(stop):
    while not stop.is_set():
        during.append(yielding.timer.firing())
        time.sleep(0.01)

def calls():
    out = {}
    conn = sqlite3.connect(tempfile.mktemp(suffix=".db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL"); conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (n INTEGER)")
    out["sum"] = conn.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) "
                              "SELECT sum(n) FROM c").fetchone()[0]
    for i in range(200):  # each commit syncs the WAL (fdatasync)
        conn.execute("BEGIN"); conn.execute("INSERT INTO t VALUES (?)", (i,)); conn.execute("COMMIT")
    out["rows"] = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    if {pg_url!r}:  # psycopg2 without gevent's wait callback: libpq waits in poll()
        import psycopg2
        pg = psycopg2.connect({pg_url!r})
        with pg.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.5), 42")
            out["pg"] = cursor.fetchone()[1]
        pg.close()
    return out

stop = threading.Event(); watcher = threading.Thread(target=watch, args=(stop,)); watcher.start()
out = gevent.spawn(calls).get()
stop.set(); watcher.join()
out["firing_seen"] = any(during)
print(json.dumps(out))
"""


def test_blocking_calls_of_the_loops_thread_complete_while_the_signal_keeps_arriving():
    pg_url = "" if _pg_unavailable_reason() else PG_URL
    out = _run(BLOCKING_CALLS.replace("{pg_url!r}", repr(pg_url)))
    assert out["firing_seen"] and out["sum"] == 3_000_000 * 3_000_001 // 2 and out["rows"] == 200
    assert out.get("pg") == (42 if pg_url else None)
