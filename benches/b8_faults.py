"""B8: one slow or lost database never takes calls down (issue 12).

`centralita serve` runs in its own process on a database of its own (a fresh PostgreSQL database
reached through a TCP proxy that can stall and reset, tests/tcp_proxy.py; or a SQLite file), with
the demo tenant serve creates. A client in this process sends the directory fetch FreeSWITCH sends
on every REGISTER (new connection each, as mod_xml_curl does), one at a time (3: open loop, at
REGISTER_RATE), and takes the p99.

  1. PostgreSQL stalled (no packet moves): directory p99 ≤ answer_deadline (1.5 s): every fetch is
     answered, `not found`, before mod_xml_curl's own timeout; meanwhile a request of the same
     process that needs no database (a CDR post that is not JSON: 400) keeps its quiet p99 (≤ 2×,
     with 5 ms of slack for a noisy shared machine);
  2. recovery: seconds from the database being back (after a reset; after a stall) to the first
     directory fetch answered with the user: ≤ 1 s;
  3. a contact import (100,000 lines; --quick 10,000) by `centralita contact import` in its own
     process and a CDR storm (1,000 posts/s on schedule, open loop, from another process: calls of
     the demo tenant's user, whose entries serve files), together: directory p99 ≤ 2× the quiet
     p99 measured the same way just before (with 5 ms of slack), on SQLite and on PostgreSQL. The
     fetches are open loop, as FreeSWITCH's sofia threads send them: fetch k is due at
     k/REGISTER_RATE and sent then, however many are still unanswered, each timed from when it was
     due (a stalled server delays every fetch due meanwhile, not one); over PROBE_USERS users, so
     fetches after each import commit miss the directory's cache. The line also fails when the probe
     fell under 95% of its rate, a fetch was not answered with its user, the import failed or did
     not store the file's contacts, the storm failed, filed under 90% of its rate, or left more
     than a second of posts unanswered when the import ended. serve
     runs one role per process, as centralita@xml_curl and centralita@web do (packaging/): CDR
     ingest costs ~0.5 ms of CPU per post, and in one process a storm of them queues in front of
     every directory fetch on the one event loop (measured so: 4.0× on SQLite, 2.1× on PostgreSQL);
  4. 1,000 slowloris connections (heads never finished, tests/slowloris.py) to the xml_curl server:
     directory p99 ≤ 2× the quiet p99 (with 5 ms of slack), every fetch answered.

Each measurement is a function in MEASUREMENTS returning report.Lines (PASS/FAIL printed as they
come); another one is added by appending it. Run: `python -m benches --bench b8` (or --quick).
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benches import datasets, report  # noqa: E402
from tests.serve_process import DOMAIN, ServeProcess  # noqa: E402
from tests.slowloris import Slowloris  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402

BENCH = "B8 faults"
DEADLINE = 1.5
SLACK = 0.005  # seconds: below this, a p99 difference is the shared machine's noise


@dataclass(frozen=True)
class Settings:
    seconds: float  # per latency sample
    contacts: int  # lines of the imported file
    storm_rate: int = 1000  # CDR posts per second
    diagnose: bool = False  # import + storm: benches/b8_diagnose.py beside it


def run(quick: bool, engines: list[str], say, only: list[str] | None = None,
        diagnose: bool = False) -> list[report.Line]:
    settings = Settings(seconds=2.0 if quick else 5.0, contacts=10_000 if quick else 100_000, diagnose=diagnose)
    lines: list[report.Line] = []
    for measure in MEASUREMENTS:
        if only and measure.__name__ not in only:
            continue
        for line in measure(settings, engines):
            say(line.text())
            lines.append(line)
    return lines



# -- the measurements ---------------------------------------------------------------------------
def stalled_postgresql(settings: Settings, engines: list[str]) -> list[report.Line]:
    if "postgresql" not in engines:
        return []
    with postgresql_behind_proxy() as (proxy, url), tempfile.TemporaryDirectory() as data, \
            ServeProcess(Path(data), database_url=url, log_level="WARNING") as serve:
        quiet_other = p99(sample(serve.not_a_cdr, settings.seconds))
        warm(serve)
        proxy.stall()
        stalled: list = []
        fetching = [threading.Thread(target=lambda: stalled.extend(sample(serve.directory, settings.seconds)))
                    for _ in range(4)]  # four SIP workers' worth of fetches waiting on the database at once
        for thread in fetching:
            thread.start()
        other = sample(serve.not_a_cdr, settings.seconds)
        for thread in fetching:
            thread.join()
        proxy.resume()
    answered = all(status == 200 for status, *_ in stalled)
    worst = p99([seconds for *_, seconds in stalled])
    return [
        report.Line(BENCH, "directory during a PostgreSQL stall", f"p99 {ms(worst)}, {len(stalled)} fetches"
                    f"{'' if answered else ', some unanswered'}", "", worst / DEADLINE,
                    f"p99 ≤ {DEADLINE} s (answer_deadline)", answered and worst <= DEADLINE, 1.0, False),
        ratio_line("request needing no database during the stall", p99(other), quiet_other),
    ]


def recovery(settings: Settings, engines: list[str]) -> list[report.Line]:
    if "postgresql" not in engines:
        return []
    lines = []
    with postgresql_behind_proxy() as (proxy, url), tempfile.TemporaryDirectory() as data, \
            ServeProcess(Path(data), database_url=url, log_level="WARNING") as serve:
        warm(serve)
        proxy.reset()  # the database is back at once: how long until a fetch is answered again
        lines.append(recovered_line("recovery after a connection reset", seconds_to_recover(serve, time.monotonic())))
        warm(serve)
        proxy.stall()
        time.sleep(DEADLINE + 0.5)  # long enough for fetches to have given up on it
        proxy.resume()
        lines.append(recovered_line("recovery after a stall", seconds_to_recover(serve, time.monotonic())))
    return lines


def import_and_cdr_storm(settings: Settings, engines: list[str]) -> list[report.Line]:
    lines = []
    for engine in engines:
        with database_for(engine) as url, tempfile.TemporaryDirectory() as data, \
                ServeProcess(Path(data), ROLE_CALLS, database_url=url, log_level="WARNING") as serve, \
                ServeProcess(Path(data), ROLE_CDRS, database_url=url, log_level="WARNING") as cdrs:
            warm(serve)
            users = ["1001", *add_users(url, PROBE_USERS - 1)]
            fetch = fetching(serve, users)
            quiet = open_loop(fetch, REGISTER_RATE, settings.seconds)
            csv = Path(data) / "contacts.csv"
            csv.write_text("name,phone\n" + "".join(f"Contact {n},+3491{n:07d}\n" for n in range(settings.contacts)))
            with open(Path(data) / "import.err", "w+") as import_errors:  # a file: a pipe would fill and block it
                importing = subprocess.Popen(
                    [sys.executable, "-m", "fs_plugins.cli", "--database", url, "contact", "import", "--tenant",
                     DOMAIN, str(csv)], stdout=subprocess.DEVNULL, stderr=import_errors, cwd=ROOT)
                storm = subprocess.Popen([sys.executable, "-m", "benches.cdr_storm", str(cdrs.web_port),
                                          str(settings.storm_rate), DOMAIN], stdout=subprocess.PIPE, text=True,
                                         cwd=ROOT)
                diagnosing = diagnose(settings, url, {"serve xml_curl": serve.process.pid,
                                                      "serve web": cdrs.process.pid, "storm": storm.pid,
                                                      "import": importing.pid, "bench": os.getpid()})
                time.sleep(0.5)
                busy = open_loop(fetch, REGISTER_RATE, 900, until=lambda: importing.poll() is not None)
                storm.terminate()
                if diagnosing:
                    diagnosing.terminate()
                    print(f"B8 diagnosis · {engine}: {diagnosing.communicate()[0]}", file=sys.stderr, flush=True)
                output = storm.communicate()[0]
                figures = json.loads(output) if storm.returncode == 0 and output else None
                import_errors.seek(0)
                imported = Imported(importing.wait(), settings.contacts, contacts_of_demo(url), import_errors.read())
        lines.append(storm_line(f"directory during a {settings.contacts:,}-line import + CDR storm · {engine}"
                                " · serve --only xml_curl, --only web", quiet, busy, figures, storm.returncode,
                                imported, settings.storm_rate))
    return lines


@dataclass(frozen=True)
class Imported:
    exit_code: int
    lines: int  # contacts in the file
    stored: int  # contacts of the demo tenant after
    errors: str  # what it wrote on stderr


@dataclass(frozen=True)
class Probe:
    """An open-loop probe: per fetch, seconds from when it was due to its answer and to its send,
    and whether it was answered with its user; over `seconds` from the first due to the stop."""
    rate: float
    seconds: float
    waits: list[float]
    late: list[float]
    sent_in_time: int  # fetches sent before the probe stopped: what it kept of its rate
    wrong: int  # fetches not answered with the user asked for (not found, an error, no answer)

    @property
    def achieved(self) -> float:
        return self.sent_in_time / self.seconds if self.seconds > 0 else 0.0


def storm_line(name: str, quiet: Probe, busy: Probe, figures: dict | None, storm_exit: int,
               imported: Imported, storm_rate: int) -> report.Line:
    """The verdict of the import + storm line. `figures`: the storm's JSON, None when it failed."""
    line = ratio_line(name, p99(busy.waits), p99(quiet.waits))
    failures = []
    for probe, phase in ((quiet, "quiet"), (busy, "busy")):
        if probe.achieved < 0.95 * probe.rate:
            failures.append(f"{phase} probe kept {probe.achieved:,.0f} of {probe.rate:,.0f} fetches/s")
    if busy.wrong:
        failures.append(f"{busy.wrong:,} fetches not answered with their user")
    if imported.exit_code != 0:
        failures.append(f"import failed (exit {imported.exit_code}: {imported.errors.strip()[-200:]})")
    elif imported.stored != imported.lines:
        failures.append(f"import stored {imported.stored:,} of {imported.lines:,} contacts")
    if figures is None:
        failures.append(f"storm failed (exit {storm_exit})")
        storm = "no storm figures"
    else:
        rate = figures["filed"] / figures["seconds"]
        backlog = figures["stored"] - figures["filed"]  # answered only after the import had ended
        if rate < 0.9 * storm_rate:
            failures.append(f"storm filed {rate:,.0f} of {storm_rate:,} CDR/s")
        if figures["stored"] != figures["sent"]:
            failures.append(f"{figures['sent'] - figures['stored']:,} CDRs not stored")
        if backlog > storm_rate * MOST_BACKLOG:
            failures.append(f"{backlog:,} posts still unanswered when the import ended")
        # Late: the generator sent after the post was due (it did not get the CPU); answer: the server's.
        storm = (f"{rate:,.0f} CDR/s filed, {figures['stored']}/{figures['sent']} stored (200), {backlog:,} answered"
                 f" after the import (posts sent late p99 {figures.get('late_p99_ms', 0):.1f} ms,"
                 f" answered p99 {figures.get('answer_p99_ms', 0):.1f} ms)")
    measured = (f"{line.measured} from due ({len(busy.waits):,} fetches, {busy.achieved:,.0f}/s of {busy.rate:,.0f},"
                f" sent late p99 {ms(p99(busy.late))}), {storm}")
    # The storm's 90%: its generator shares the machine. The backlog bound: a server filing steadily
    # under the offered rate builds a queue that the 90% alone would let through.
    return report.Line(line.bench, line.name, measured + "".join(f"; {failure}" for failure in failures),
                       line.reference, line.ratio,
                       f"{line.target} at ≥ {0.9 * storm_rate:,.0f} CDR/s filed, ≤ {storm_rate * MOST_BACKLOG:,.0f}"
                       " answered after, probe ≥ 95% of its rate",
                       line.ok and not failures, line.goal, False)


def fetching(serve, users: list[str]):
    """Fetch k: user k (rotating), as (status, body, seconds); answered with that user or not."""
    def fetch(k: int) -> bool:
        extension = users[k % len(users)]
        return answered_user(serve.directory(extension), extension)
    return fetch


def open_loop(fetch, rate: float, seconds: float, until=None) -> Probe:
    """`fetch(k)` → answered right or not, for k due at k/rate seconds from now, sent when due from
    a pool of PROBE_IN_FLIGHT threads whatever is still unanswered (as FreeSWITCH's sofia threads
    do), until `seconds` have passed or `until()`. Each is timed from when it was due: a stall
    delays every fetch due during it, as it delays the REGISTERs then (no coordinated omission)."""
    done: list[tuple[float, float, float, bool]] = []  # (due, sent, answered, right)

    def one(k: int, due: float) -> None:
        sent = time.monotonic()
        try:
            right = fetch(k)
        except Exception:  # refused, timed out, an answer that is no HTTP: a wrong answer
            right = False
        done.append((due, sent, time.monotonic(), right))

    start = time.monotonic()
    k = 0
    with ThreadPoolExecutor(max_workers=PROBE_IN_FLIGHT) as pool:
        while not (until and until()):
            due = start + k / rate
            if due >= start + seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(one, k, due)
            k += 1
        stopped = max(time.monotonic(), start + k / rate)  # every fetch sent by then was in time
    return Probe(rate, stopped - start, [answered - due for due, _, answered, _ in done],
                 [sent - due for due, sent, _, _ in done], sum(sent <= stopped for _, sent, _, _ in done),
                 sum(not right for *_, right in done))


ADD_USERS = """
import sys
from fs_plugins.cli import Context
from fs_plugins.config import load_config
from fs_plugins.core import app
ctx = Context(load_config(overrides={"database_url": sys.argv[1]})).app
for extension in sys.argv[3:]:
    app.add_user(ctx, sys.argv[2], extension, "Probe " + extension)
"""


def add_users(url: str, count: int) -> list[str]:
    """`count` more users of the demo tenant (2000, 2001, …), added as `centralita user add` does."""
    extensions = [str(2000 + n) for n in range(count)]
    subprocess.run([sys.executable, "-c", ADD_USERS, url, DOMAIN, *extensions], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return extensions


def contacts_of_demo(url: str) -> int:
    sql = "SELECT COUNT(*) FROM contact c JOIN tenant t ON t.id = c.tenant_id WHERE t.domain = %s"
    if url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql.replace("%s", "?"), (DOMAIN,)).fetchone()[0]
    import psycopg2

    with contextlib.closing(psycopg2.connect(url)) as db, db.cursor() as cursor:
        cursor.execute(sql, (DOMAIN,))
        return cursor.fetchone()[0]


def diagnose(settings: Settings, url: str, pids: dict[str, int]) -> subprocess.Popen | None:
    """With --diagnose: benches/b8_diagnose.py watching these processes and the database."""
    if not settings.diagnose:
        return None
    return subprocess.Popen([sys.executable, "-m", "benches.b8_diagnose", url,
                             *(f"{role}={pid}" for role, pid in pids.items())],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def slowloris(settings: Settings, engines: list[str]) -> list[report.Line]:
    """Directory p99 while 1,000 slowloris clients hold connections to the same server (each
    trickling a header byte a second, reconnecting when cut off) against the quiet p99 just before."""
    with tempfile.TemporaryDirectory() as data, ServeProcess(Path(data), log_level="WARNING") as serve:
        warm(serve)
        quiet = p99([s for *_, s in sample(serve.directory, settings.seconds)])
        with Slowloris(serve.xml_curl_port, SLOWLORIS) as loris:
            time.sleep(1.0)
            busy = sample(serve.directory, settings.seconds)
            held = loris.open_now
    answered = all(answered_user(result) for result in busy)
    line = ratio_line(f"directory with {SLOWLORIS:,} slowloris connections", p99(busy), quiet)
    return [report.Line(line.bench, line.name, f"{line.measured}, {held} held open, {len(busy)} fetches"
                        f"{'' if answered else ', some unanswered'}", line.reference, line.ratio, line.target,
                        line.ok and answered, line.goal, False)]


SLOWLORIS = 1000
# Directory fetches a second beside the import + storm: what FreeSWITCH can ask. One pinned to a
# core sustained 250 REGISTER/s with a static directory (the project's design notes, DESIGN.md); a
# two-core one twice that.
# Sent as fast as answered (~2,000 a second on a quiet machine) the fetches were a third load of
# their own: the bench and serve's xml_curl role used 28 of the machine's 72 CPU-seconds
# (b8_diagnose, a 36 s run on PostgreSQL).
REGISTER_RATE = 500
PROBE_IN_FLIGHT = 512  # threads: a second of fetches unanswered before the pool itself makes them late
PROBE_USERS = 200  # users the probe rotates over: ~0.4 s between two fetches of one, so each import
# commit (it drops the tenant's kept rows, xml_curl/changes.py) sends most fetches to the database
MOST_BACKLOG = 1.0  # seconds of posts still to be answered when the import ends
ROLE_CALLS, ROLE_CDRS = ("xml_curl", "esl"), ("web",)  # what FreeSWITCH waits on; what it posts after
MEASUREMENTS = [stalled_postgresql, recovery, import_and_cdr_storm, slowloris]


# -- helpers ------------------------------------------------------------------------------------
def sample(request, seconds: float, until=None) -> list:
    """`request()` one after another for `seconds` (or until `until()`): what each returned, each
    sent as soon as the last is answered (closed loop: a stall weighs one sample; the import +
    storm line's probe is open loop, `open_loop`)."""
    results, start = [], time.monotonic()
    end = start + seconds
    while time.monotonic() < end and not (until and until()):
        results.append(request())
    return results


def p99(values) -> float:
    values = sorted(v[-1] if isinstance(v, tuple) else v for v in values)
    if not values:
        return float("inf")
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio_line(name: str, measured: float, quiet: float) -> report.Line:
    ratio = measured / quiet if quiet else float("inf")
    return report.Line(BENCH, name, f"p99 {ms(measured)}", f"quiet p99 {ms(quiet)}", ratio,
                       f"≤ 2× quiet (+{SLACK * 1000:.0f} ms)", measured <= 2 * quiet + SLACK, 2.0, False)


def recovered_line(name: str, seconds: float) -> report.Line:
    return report.Line(BENCH, name, f"{seconds:.2f} s after the database is back", "", seconds,
                       "≤ 1 s", seconds <= 1.0, 1.0, False)


def warm(serve) -> None:
    for _ in range(20):
        if answered_user(serve.directory()):
            return
        time.sleep(0.1)
    raise RuntimeError(f"serve does not answer the directory:\n{serve.log()}")


def answered_user(result, extension: str = "1001") -> bool:
    status, body, _ = result
    return status == 200 and f'<user id="{extension}"'.encode() in body


def seconds_to_recover(serve, since: float, limit: float = 30.0) -> float:
    while time.monotonic() - since < limit:
        if answered_user(serve.directory()):
            return time.monotonic() - since
        time.sleep(0.01)
    return float("inf")


@contextlib.contextmanager
def fresh_postgresql():
    name = f"centralita_b8_{uuid.uuid4().hex[:12]}"
    datasets._admin(f'CREATE DATABASE "{name}"')
    try:
        yield datasets.PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        datasets._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgresql_behind_proxy():
    with fresh_postgresql() as url:
        parts = urlsplit(url)
        with TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as proxy:
            user = f"{parts.username}@" if parts.username else ""
            yield proxy, f"postgresql://{user}127.0.0.1:{proxy.port}{parts.path}"


@contextlib.contextmanager
def database_for(engine: str):
    if engine == "postgresql":
        with fresh_postgresql() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/centralita.db"


def main(argv: list[str]) -> int:
    """`python -m benches.b8_faults [--quick] [--measure NAME …] [--engine sqlite|postgresql …]
    [--diagnose]`: B8 alone, or some of its measurements on one engine (`python -m benches --bench
    b8` runs them all)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benches.b8_faults", description=main.__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 contacts, 2 s samples")
    parser.add_argument("--measure", action="append", choices=[m.__name__ for m in MEASUREMENTS],
                        help="only this measurement (repeatable)")
    parser.add_argument("--engine", action="append", choices=("sqlite", "postgresql"), help="only this database")
    parser.add_argument("--diagnose", action="store_true",
                        help="import + storm: print where the machine's time went (benches/b8_diagnose.py)")
    args = parser.parse_args(argv)
    lines = run(args.quick, args.engine or ["sqlite", "postgresql"], lambda text: print(text, flush=True),
                args.measure, args.diagnose)
    return 0 if all(line.ok for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
