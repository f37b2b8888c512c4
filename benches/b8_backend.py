"""What B8's import + CDR storm costs PostgreSQL's backends: CPU a CDR, CPU a contact line.

B8's line (benches/b8_faults.py import_and_cdr_storm) runs on a 2-core machine shared by serve's two
roles, the storm, the import and the probe: whatever PostgreSQL's backends spend is taken from
them. Wall clock cannot say which of those costs what while the others run; the backends' own CPU
counters can (/proc/<pid>/schedstat, as benches/backend_cpu.py reads them). This runs B8's setup (a
fresh database, `serve --only web` filing the storm's CDRs of the demo tenant's user, `centralita
contact import` of B8's file) in three phases and prints, for each, the CPU every client backend of
the database spent, per CDR stored and per contact line, and what pg_stat_database counted (rows,
commits, blocks):

  storm   --rate CDR posts a second for --seconds, alone;
  import  --contacts lines, alone;
  both    the same import with the storm beside it until the import ends (as B8 does).

    python -m benches.b8_backend [--rate 300] [--seconds 10] [--contacts 20000] [--phase …] [--explain]

--explain: every statement of a new session on that database goes through auto_explain (ANALYZE,
BUFFERS, triggers) at --explain-rate; the plans are read back from the server's log file (needs
a superuser and a readable log; a diagnosis, the figures of that run are not comparable).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benches.b8_faults import contacts_of_demo, fresh_postgresql  # noqa: E402
from benches.backend_cpu import _ran_ns  # noqa: E402
from tests.serve_process import DOMAIN, ServeProcess  # noqa: E402

SERVER_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
COUNTERS = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted", "blks_hit", "blks_read")


class Watch:
    """Every client backend's CPU on the database, polled (a backend that ends keeps its last figure)."""

    def __init__(self, url: str):
        import psycopg2

        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.seen: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.read()
            self._stop.wait(0.05)

    def read(self) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT pid, application_name, client_port FROM pg_stat_activity WHERE datname ="
                           " current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            for pid, name, port in cursor.fetchall():
                ns = _ran_ns(pid)
                if ns is not None:
                    self.seen[pid] = ns
                    self.names.setdefault(pid, f"{name or '?'}:{port}")

    def counters(self) -> dict[str, int]:
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(COUNTERS)} FROM pg_stat_database WHERE datname = current_database()")
            return dict(zip(COUNTERS, cursor.fetchone()))

    def snapshot(self) -> tuple[dict[int, int], dict[str, int]]:
        self.read()
        time.sleep(0.6)  # pg_stat_database is sent by each backend at most every 500 ms
        return dict(self.seen), self.counters()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.conn.close()


def process_cpu_ns(pid: int) -> int:
    """User + system CPU of a whole process (every thread), from /proc/<pid>/stat, in ns."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def spent(before: dict[int, int], after: dict[int, int]) -> int:
    return sum(ns - before.get(pid, 0) for pid, ns in after.items())


def storm(port: int, rate: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benches.cdr_storm", str(port), str(rate), DOMAIN],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def stopped(process: subprocess.Popen) -> dict:
    process.terminate()
    return json.loads(process.communicate()[0])


def importing(url: str, csv: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", "--database", url, "contact", "import",
                             "--tenant", DOMAIN, str(csv)], stdout=subprocess.DEVNULL, cwd=ROOT)


def report(phase: str, watch: Watch, before, after, cdrs: int, lines: int, seconds: float) -> None:
    ns = spent(before[0], after[0])
    counts = {name: after[1][name] - before[1][name] for name in COUNTERS}
    text = f"{phase}: {seconds:.1f} s, backends {ns / 1e6:,.0f} ms CPU"
    if cdrs:
        text += f", {cdrs:,} CDRs stored: {ns / 1000 / cdrs:,.1f} µs a CDR (all backends)"
    if lines:
        text += f", {lines:,} lines: {ns / 1000 / lines:,.1f} µs a line (all backends)"
    per = cdrs or lines or 1
    text += "; a " + ("CDR" if cdrs else "line") + ": " + ", ".join(
        f"{name} {value / per:.2f}" for name, value in counts.items())
    print(text, flush=True)
    for pid, value in sorted(after[0].items(), key=lambda item: -(item[1] - before[0].get(item[0], 0))):
        used = value - before[0].get(pid, 0)
        if used > 1e6:
            print(f"    backend {pid} ({watch.names.get(pid, '?')}): {used / 1e6:,.0f} ms", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.b8_backend", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=300, help="CDR posts a second (default 300)")
    parser.add_argument("--seconds", type=float, default=10.0, help="storm alone: seconds (default 10)")
    parser.add_argument("--contacts", type=int, default=20_000, help="lines of the imported file (default 20,000)")
    parser.add_argument("--phase", action="append", choices=("storm", "import", "both"), help="only these")
    parser.add_argument("--explain", action="store_true", help="auto_explain every statement (see above)")
    parser.add_argument("--explain-rate", type=float, default=0.02, help="statements explained (default 0.02)")
    args = parser.parse_args(argv)
    phases = args.phase or ["storm", "import", "both"]
    with fresh_postgresql() as url, tempfile.TemporaryDirectory() as data:
        if args.explain:
            explain(url, args.explain_rate)
        offset = SERVER_LOG.stat().st_size if args.explain else 0
        csv = Path(data) / "contacts.csv"
        csv.write_text("name,phone\n" + "".join(f"Contact {n},+3491{n:07d}\n" for n in range(args.contacts)))
        with ServeProcess(Path(data), ("web",), database_url=url, log_level="WARNING") as serve:
            watch = Watch(url)
            try:
                if "storm" in phases:
                    before, served = watch.snapshot(), process_cpu_ns(serve.process.pid)
                    started = time.monotonic()
                    running = storm(serve.web_port, args.rate)
                    time.sleep(args.seconds)
                    figures = stopped(running)
                    after = watch.snapshot()
                    report("storm", watch, before, after, figures["stored"], 0, time.monotonic() - started)
                    served = process_cpu_ns(serve.process.pid) - served
                    print(f"    serve --only web {served / 1000 / figures['stored']:,.0f} µs a CDR, the storm"
                          f" {figures['cpu_seconds'] * 1e6 / figures['stored']:,.0f} µs a CDR; {json.dumps(figures)}",
                          flush=True)
                if "import" in phases:
                    before, held = watch.snapshot(), contacts_of_demo(url)
                    started = time.monotonic()
                    job = importing(url, csv)
                    job.wait()
                    after = watch.snapshot()
                    report("import", watch, before, after, 0, contacts_of_demo(url) - held,
                           time.monotonic() - started)
                if "both" in phases:
                    before, held = watch.snapshot(), contacts_of_demo(url)
                    started = time.monotonic()
                    again = csv.with_name("again.csv")  # other names: all added again
                    again.write_text(csv.read_text().replace("Contact ", "Again "))
                    running = storm(serve.web_port, args.rate)
                    job = importing(url, again)
                    job.wait()
                    figures = stopped(running)
                    after = watch.snapshot()
                    lines = contacts_of_demo(url) - held
                    print(f"both: import exit {job.returncode}, storm {json.dumps(figures)}", flush=True)
                    report("both", watch, before, after, figures["stored"], lines, time.monotonic() - started)
            finally:
                watch.close()
        if args.explain:
            with open(SERVER_LOG, encoding="utf-8", errors="replace") as log:
                log.seek(offset)
                print(log.read(), flush=True)
    return 0


def explain(url: str, rate: float) -> None:
    """auto_explain for every later session on the database of `url`."""
    import psycopg2

    name = url.rsplit("/", 1)[1]
    settings = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
                "auto_explain.log_analyze": "on", "auto_explain.log_buffers": "on", "auto_explain.log_triggers": "on",
                "auto_explain.log_nested_statements": "off", "auto_explain.sample_rate": str(rate)}
    with contextlib.closing(psycopg2.connect(url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            for setting, value in settings.items():
                cursor.execute(f'ALTER DATABASE "{name}" SET {setting} = %s', (value,))


if __name__ == "__main__":
    sys.exit(main())
