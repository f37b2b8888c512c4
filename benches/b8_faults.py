"""B8: one slow or lost database never takes calls down (issue 12).

`centralita serve` runs in its own process on a database of its own (a fresh PostgreSQL database
reached through a TCP proxy that can stall and reset, tests/tcp_proxy.py; or a SQLite file), with
the demo tenant serve creates. A client in this process sends the directory fetch FreeSWITCH sends
on every REGISTER, one at a time (new connection each, as mod_xml_curl does), and takes the p99.

  1. PostgreSQL stalled (no packet moves): directory p99 ≤ answer_deadline (1.5 s): every fetch is
     answered, `not found`, before mod_xml_curl's own timeout; meanwhile a request of the same
     process that needs no database (a CDR post that is not JSON: 400) keeps its quiet p99 (≤ 2×,
     with 5 ms of slack for a noisy shared machine);
  2. recovery: seconds from the database being back (after a reset; after a stall) to the first
     directory fetch answered with the user: ≤ 1 s;
  3. a contact import (100,000 lines; --quick 10,000) by `centralita contact import` in its own
     process and a CDR storm (1,000 posts/s on schedule, open loop, from another process: calls of
     the demo tenant's user, whose entries serve files), together: directory p99 (fetches sent at
     REGISTER_RATE, what FreeSWITCH can ask) ≤ 2× the quiet p99 measured the same way just before
     (with 5 ms of slack), on SQLite and on PostgreSQL. serve
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
            quiet = p99([s for *_, s in sample(serve.directory, settings.seconds, rate=REGISTER_RATE)])
            csv = Path(data) / "contacts.csv"
            csv.write_text("name,phone\n" + "".join(f"Contact {n},+3491{n:07d}\n" for n in range(settings.contacts)))
            importing = subprocess.Popen(
                [sys.executable, "-m", "fs_plugins.cli", "--database", url, "contact", "import", "--tenant", DOMAIN,
                 str(csv)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            storm = subprocess.Popen([sys.executable, "-m", "benches.cdr_storm", str(cdrs.web_port),
                                      str(settings.storm_rate), DOMAIN], stdout=subprocess.PIPE, text=True, cwd=ROOT)
            diagnosing = diagnose(settings, url, {"serve xml_curl": serve.process.pid, "serve web": cdrs.process.pid,
                                                  "storm": storm.pid, "import": importing.pid, "bench": os.getpid()})
            time.sleep(0.5)
            busy = [s for *_, s in sample(serve.directory, 900, until=lambda: importing.poll() is not None,
                                          rate=REGISTER_RATE)]
            storm.terminate()
            if diagnosing:
                diagnosing.terminate()
                print(f"B8 diagnosis · {engine}: {diagnosing.communicate()[0]}", file=sys.stderr, flush=True)
            figures = json.loads(storm.communicate()[0] or '{"stored": 0, "sent": 0, "seconds": 1, "filed": 0}')
            # The rate the server kept up with: posts stored while the import ran. An open-loop storm
            # always offers its rate; posts it sent whose answers were still to come are stored
            # later (counted in stored/sent) but were not filed at the rate.
            stored, sent, rate = figures["stored"], figures["sent"], figures["filed"] / figures["seconds"]
            importing.wait()
        line = ratio_line(f"directory during a {settings.contacts:,}-line import + CDR storm · {engine}"
                          " · serve --only xml_curl, --only web",
                          p99(busy), quiet)
        # A storm that did not reach 90% of its rate (the load generator shares the machine) measured
        # less than it claims: that is a miss too, not a pass. Late: the generator sent after the post
        # was due (it did not get the CPU); answer: the server's time.
        lines.append(report.Line(line.bench, line.name,
                                 f"{line.measured} ({len(busy):,} fetches at {REGISTER_RATE}/s),"
                                 f" {rate:,.0f} CDR/s filed, {stored}/{sent} stored (200)"
                                 f" (posts sent late p99 {figures.get('late_p99_ms', 0):.1f} ms,"
                                 f" answered p99 {figures.get('answer_p99_ms', 0):.1f} ms)",
                                 line.reference, line.ratio, f"{line.target} at ≥ {0.9 * settings.storm_rate:,.0f} CDR/s",
                                 line.ok and stored == sent and rate >= 0.9 * settings.storm_rate, line.goal,
                                 False))
    return lines


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
# core sustained 250 REGISTER/s with a static directory (DESIGN.md); a two-core one twice that.
# Sent as fast as answered (~2,000 a second on a quiet machine) the fetches were a third load of
# their own: the bench and serve's xml_curl role used 28 of the machine's 72 CPU-seconds
# (b8_diagnose, a 36 s run on PostgreSQL).
REGISTER_RATE = 500
ROLE_CALLS, ROLE_CDRS = ("xml_curl", "esl"), ("web",)  # what FreeSWITCH waits on; what it posts after
MEASUREMENTS = [stalled_postgresql, recovery, import_and_cdr_storm, slowloris]


# -- helpers ------------------------------------------------------------------------------------
def sample(request, seconds: float, until=None, rate: float | None = None) -> list:
    """`request()` one after another for `seconds` (or until `until()`): what each returned. With
    `rate`, request k is sent when due, at k/rate seconds (at once when late), as FreeSWITCH sends
    REGISTERs' fetches whatever the answers' pace; without, each as soon as the last is answered."""
    results, start = [], time.monotonic()
    end = start + seconds
    while time.monotonic() < end and not (until and until()):
        if rate:
            time.sleep(max(0.0, start + len(results) / rate - time.monotonic()))
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


def answered_user(result) -> bool:
    status, body, _ = result
    return status == 200 and b'<user id="1001"' in body


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
