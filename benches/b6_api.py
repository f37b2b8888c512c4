"""B6: the REST API on the 1,000,000-call data set, and what it costs FreeSWITCH's hot path.

1. A user's call-log page over HTTP (`GET /api/v1/me/calls`: first pages, pages deep in the history
   following `next`, filtered by type and month) with 1,000,000 rows in the call log: p99 < 20 ms.
   Ceiling: the same keyset query in-process (no HTTP, no authentication).
2. The user list of a 10,000-user tenant (tenant 1 grown to 10,000 users), 100 a page to the end:
   p99 < 20 ms a page. Ceiling: the same query in-process.
3. Directory (sip_auth) p99 with `serve --only api` on the same core answering 50 req/s of mixed
   reads and writes, against the same without the API load: ≤ 1.2×, and the API must reach 90% of
   its rate. sip_auth is offered by wrk at a fixed rate, half the capacity of `serve --only
   xml_curl` measured just before (as fast as it answers, nothing else running), as FreeSWITCH's
   REGISTERs arrive: a saturated handler's p99 is its own queue, whatever else runs. Ten 3 s
   windows a side in ABBA order (quiet, loaded, loaded, quiet, …), each side's wrk histograms
   pooled, p99 of each pool: this machine is shared, and a slow drift must fall on both sides,
   a noisy second weigh only what it lasted (benches/latency_windows.py says why, and why not the
   best of three runs as before). The median of the ratios of the single pairs of windows must be
   ≤ 1.2× too (one window can set a pooled p99 alone), and wrk must reach 95% of its offered rate in
   every window, quiet or loaded. Each window starts 2 s after the previous one ended and after the
   load's last answer, and the line prints whether the quiet windows after a load were still slower
   than those before it.

Where each part runs: both servers are pinned to the server core, each with the configuration an
operator gets by default (`serve --only api` under api_scheduling's default); wrk and the API
client are pinned to the client core. PostgreSQL's backends are not pinned. The API's load is
four keep-alive Python clients (as integrations hold their connections) sending on a fixed schedule,
open loop (benches/paced_load.py); keys come from
`centralita apikey create`, servers are `centralita serve --only …`.

Run: .venv/bin/python -m benches.b6_api [--quick] [--engine sqlite|postgresql] (or python -m benches)
"""
from __future__ import annotations

import functools
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import peewee

from benches import bodies, datasets, latency_windows, paced_load, servers, wrk
from benches.report import Line
from fs_plugins import db as dbmod
from fs_plugins.calllog import log as logmod

BENCH = "B6 API"
TENANT, BIG_TENANT_USERS = "t1.example", 10_000
P99_MS, MAX_HOT_PATH_RATIO, API_RATE = 20.0, 1.2, 50.0
# Line 3: sip_auth offered at this share of the handler's measured capacity, by wrk on this many
# connections (enough that a slow answer does not delay the next slots); at least HOT_PATH_BLOCKS
# blocks of four windows (quiet, loaded, loaded, quiet) of HOT_PATH_WINDOW_SECONDS each; the load
# (the API) must reach MIN_LOAD_SHARE of its rate in every loaded window.
HOT_PATH_SHARE, PACED_CONNECTIONS, MIN_LOAD_SHARE = 0.5, 8, 0.9
HOT_PATH_BLOCKS, HOT_PATH_WINDOW_SECONDS = 8, 3
# A pause before every window, so what a loaded window left running (work the server or PostgreSQL
# still does after the load's last answer: its writes' WAL and autovacuum, a collection) is not
# counted in the quiet window after it. 0.5 s was too short: in 15 of 20 blocks the quiet window
# after the load had the higher p99 (the line prints that check, Comparison.carry_over). 2 s is
# not shown to be enough: in its first full run still 4 of 5 blocks on PostgreSQL (B6 and B7).
# LOAD_STOP_SECONDS: how long a loaded window waits for the load's outstanding requests (each
# client's timeout is 30 s) before it gives up with an error.
HOT_PATH_SETTLE_SECONDS, LOAD_STOP_SECONDS = 2.0, 300
# Before a quiet window that follows a loaded one, longer: a quiet window counted while the load's
# after-effects last raises the quiet side, i.e. helps the line pass. The review of the first runs
# found the next block's first quiet window (then some 4 s after the load) lower again in 13 of 16
# blocks; 7 s here for a margin. It did not hold in the first run with it (still higher in 3 and 4 of 5
# blocks on B6): the line prints the carry-over check so a reader sees it.
HOT_PATH_AFTER_LOAD_SECONDS = 7.0


def settle_before(previous: str | None, side: str) -> float:
    """Seconds to wait before a window of `side` that follows one of `previous` (None: the first)."""
    if previous == latency_windows.LOADED and side == latency_windows.QUIET:
        return max(HOT_PATH_AFTER_LOAD_SECONDS, HOT_PATH_SETTLE_SECONDS)
    return HOT_PATH_SETTLE_SECONDS


def run(options, scale: datasets.Scale, engines, report=print) -> list[Line]:
    return on_big_tenant(options, scale, engines, measure, report)


def on_big_tenant(options, scale: datasets.Scale, engines, measured_by, report=print, prepare=None) -> list[Line]:
    """`measured_by(options, url, engine, scale)` on a fresh copy of the 1M-call data set per engine,
    tenant 1 grown to BIG_TENANT_USERS (and `prepare(url)` run first)."""
    lines = []
    for engine in engines:
        url = datasets.database_url(engine, "calls", scale, fresh_copy=True)
        try:
            grow_tenant(url, scale)
            if prepare is not None:
                prepare(url)
            measured = measured_by(options, url, engine, scale)
        finally:
            datasets.discard(url)
        for line in measured:
            report(line.text())
        lines += measured
    return lines


def grow_tenant(url: str, scale: datasets.Scale) -> None:
    """Tenant 1 gets users up to BIG_TENANT_USERS (extensions after the data set's)."""
    from fs_plugins.models import User, utcnow

    db = dbmod.connect(url)
    rows = [{"tenant": 1, "extension": str(1000 + n), "display_name": f"User 1-{n}", "a1_hash": "0" * 32,
             "created_at": utcnow(), "updated_at": utcnow()} for n in range(scale.users, BIG_TENANT_USERS)]
    with db.atomic():
        for start in range(0, len(rows), 1000):
            User.insert_many(rows[start:start + 1000]).execute()
    if isinstance(db, peewee.PostgresqlDatabase):
        # The planner's statistics still describe the data set's 1,000 users: without them it chose a
        # plan for the 10,000-user list whose p99 was ~20 ms (autovacuum analyses it only later).
        db.execute_sql('ANALYZE "user"')
    db.close()


def measure(options, url: str, engine: str, scale: datasets.Scale) -> list[Line]:
    user_key = apikey(url, "bench user", "--role", "user", "--tenant", TENANT, "--user", "1000")
    admin_key = apikey(url, "bench admin", "--role", "tenant-admin", "--tenant", TENANT)
    with tempfile.TemporaryDirectory() as tmp, api_server(url, Path(tmp), options) as api:
        lines = [] if options.hot_path_only else [call_log_line(Client(api.port, user_key), url, engine),
                                                  user_list_line(Client(api.port, admin_key), url, engine)]
        lines.append(hot_path_line(options, url, engine, scale, Path(tmp),
                                   api_clients(api.port, admin_key, user_key), API_STEPS))
    return lines


def api_server(url: str, data_dir: Path, options) -> servers.Server:
    port = servers.free_port()
    chosen = {"api_scheduling": options.api_scheduling} if options.api_scheduling else {}
    env = servers._env(database_url=url, data_dir=str(data_dir), web_host="127.0.0.1", web_port=str(port),
                       fs_event_socket_port="0", **chosen)
    argv = [sys.executable, "-m", "fs_plugins.cli", "serve", "--only", "api", "--no-demo"]
    return servers.Server("centralita serve --only api", argv, env, port, options.logs / "b6-api.log")


def apikey(url: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--database", url, "apikey", "create", *args],
                          capture_output=True, text=True, check=True, cwd=servers.ROOT, env=servers._env())
    return done.stdout.strip().splitlines()[-1]


def timed_request(connection: http.client.HTTPConnection, method: str, path: str, body, headers: dict):
    """(response, its body, seconds) of one request on a kept-alive connection. If the server had
    closed it while it sat idle (the load's clients are opened before the handler's capacity is
    measured, and a browser waits while another person's pages are), a new one, once, as an
    integration or a browser would."""
    try:
        started = time.perf_counter()
        connection.request(method, path, body, headers)
        response = connection.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        connection.close()
        started = time.perf_counter()
        connection.request(method, path, body, headers)
        response = connection.getresponse()
    data = response.read()
    return response, data, time.perf_counter() - started


class Client:
    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, **headers) -> tuple[dict, float]:
        payload, headers = json.dumps(body) if body is not None else None, {**self.headers, **headers}
        response, data, elapsed = timed_request(self.connection, method, path, payload, headers)
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {data[:300]!r}")
        return (json.loads(data) if data[:1] == b"{" else {}), elapsed


def call_log_line(client: Client, url: str, engine: str, pages: int = 600) -> Line:
    latencies, after = [], None
    for n in range(pages):
        if n % 3 == 0:
            path = "/api/v1/me/calls?limit=50" + (f"&after={after}" if after else "")
        else:
            path = ("/api/v1/me/calls?limit=50&type=missed", "/api/v1/me/calls?limit=50&month=2026-06")[n % 3 - 1]
        page, elapsed = client.call("GET", path)
        latencies.append(elapsed)
        if n % 3 == 0:
            after = page["next"]
    ceiling = _bare(url, lambda db, key: logmod.page_after(db, logmod.LogQuery(tenant=TENANT, user="1000"), key, 50),
                    pages)
    return _line(f"call-log page over HTTP · {engine}", latencies, ceiling)


def user_list_line(client: Client, url: str, engine: str) -> Line:
    latencies, after, seen = [], None, 0
    while True:
        page, elapsed = client.call("GET", f"/api/v1/tenants/{TENANT}/users?limit=100"
                                           + (f"&after={after}" if after else ""))
        latencies.append(elapsed)
        seen += len(page["items"])
        after = page["next"]
        if after is None:
            break
    if seen != BIG_TENANT_USERS:
        raise RuntimeError(f"the user list showed {seen} users, not {BIG_TENANT_USERS}")
    from fs_plugins.models import User

    def bare_page(db, key):
        rows = User.select().where(User.tenant == 1).order_by(User.extension).limit(101)
        found = list(rows.where(User.extension > key) if key else rows)
        return found, found[99].extension if len(found) > 100 else None

    return _line(f"user list of a 10,000-user tenant, {len(latencies)} pages · {engine}", latencies,
                 _bare(url, bare_page, len(latencies)))


def _bare(url: str, page, count: int) -> list[float]:
    db = dbmod.connect(url, upgrade_schema=False)
    latencies, key = [], None
    for _ in range(count):
        started = time.perf_counter()
        _, key = page(db, key)
        latencies.append(time.perf_counter() - started)
    db.close()
    return latencies


def _line(name: str, latencies: list[float], ceiling: list[float]) -> Line:
    ours, bare = _p99(latencies), _p99(ceiling)
    return Line(BENCH, name, f"p50 {1000 * statistics.median(latencies):.2f} / p99 {ours:.2f} ms",
                f"in-process query p99 {bare:.2f} ms", ours / P99_MS, f"p99 < {P99_MS:.0f} ms",
                ours < P99_MS, 1.0, higher_is_better=False)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return 1000 * ordered[int(0.99 * (len(ordered) - 1))]


def hot_path_line(options, url, engine, scale, tmp: Path, clients, steps, bench: str = BENCH,
                  what: str = "the API", rate: float = API_RATE) -> Line:
    """sip_auth p99 at HOT_PATH_SHARE of the handler's capacity, under a load of `steps` run by
    `clients` at `rate` a second (benches/paced_load.py: open loop, the clients opened and signed in
    by the caller before any of this starts), against the same without: 2 × HOT_PATH_BLOCKS windows
    of HOT_PATH_WINDOW_SECONDS a side in ABBA order, each side's histograms pooled
    (benches/latency_windows.py says why this and not the best of a few runs).

    The capacity is measured first (wrk as fast as the handler answers, no other load); then wrk
    offers sip_auth at a fixed rate, a share of it, as FreeSWITCH's REGISTERs arrive. A saturated
    handler's p99 is its queue's length, whatever else runs: measuring it there said nothing about
    what the API costs a REGISTER, and left the API (SCHED_IDLE) no CPU at all."""
    requests = wrk.write_bodies(tmp / "bodies", (("/xml_curl", body)
                                                 for body in bodies.sip_auth(scale, 500, random.Random(6))))
    blocks = max(options.runs, HOT_PATH_BLOCKS)
    kept = options.logs / f"{bench.split()[0].lower()}-hot-path-{engine}.json"
    windows: list = []
    spans: list = []  # each window's (start, end), CLOCK_MONOTONIC seconds (as perf trace -T, benches/burst_trace.py)
    with servers.centralita("xml_curl", url, options.logs / "b6-xml_curl.log", tmp) as xml_curl:
        target = xml_curl.url_base + "/xml_curl"
        sip_auth = functools.partial(wrk.run, options.wrk, target, requests, "application/x-www-form-urlencoded")
        sip_auth(2, 1)  # warm-up
        capacity = sip_auth(2, options.seconds).rate
        offered = HOT_PATH_SHARE * capacity
        paced = functools.partial(sip_auth, PACED_CONNECTIONS, HOT_PATH_WINDOW_SECONDS, offered)
        try:
            previous = None
            for side in latency_windows.abba_order(blocks):
                time.sleep(settle_before(previous, side))
                started = time.monotonic()
                windows.append((side, *window(side, paced, clients, steps, rate)))
                spans.append((started, time.monotonic()))
                previous = side
        finally:  # the windows of a run that failed half-way are kept too: they say where it failed
            _keep_windows(kept, offered, windows, spans)
    failed_wrk = [run.errors for _, run, _ in windows if run.errors]
    if failed_wrk:
        raise RuntimeError(f"sip_auth at {offered:,.0f} req/s: {sum(failed_wrk)} failed requests")
    compared = latency_windows.compare([(side, run.histogram) for side, run, _ in windows])
    loaded = [(run, reached) for _, run, reached in windows if reached is not None]
    quiet_rate = statistics.mean(run.rate for side, run, _ in windows if side == latency_windows.QUIET)
    # The load's rate and the handler's are their worst over every window: a window where the load
    # or the handler fell short must not hide among the others (a quiet window that stalled would
    # raise the quiet side's p99, i.e. help the line pass).
    achieved = min(reached.rate for _, reached in loaded)
    failed = sum(reached.failed for _, reached in loaded)
    if failed:  # the line fails; what the server answered goes to the log of the run
        print(f"{bench}: {failed} requests of {what} failed, e.g. "
              + "; ".join(next(reached.failures for _, reached in loaded if reached.failures)), file=sys.stderr)
    failed_note = f", {failed} of them failed" if failed else ""
    slowest = min(run.rate for _, run, _ in windows)
    kept_up = slowest >= 0.95 * offered
    ratio = compared.ratio
    return Line(bench, f"sip_auth p99 at {HOT_PATH_SHARE:.0%} of its capacity ({offered:,.0f} of {capacity:,.0f} "
                       f"req/s) with {what} at ≥ {achieved:.0f} req/s{failed_note} · {engine}",
                f"p99 {compared.loaded_p99_us / 1000:.2f} ms of {compared.loaded_samples:,} samples (p50 "
                f"{compared.loaded_p50_us / 1000:.2f}, {statistics.mean(run.rate for run, _ in loaded):,.0f} req/s); "
                f"{compared.noise()}; {compared.carry_over.text()}",
                f"without that load p99 {compared.quiet_p99_us / 1000:.2f} ms of {compared.quiet_samples:,} samples "
                f"(p50 {compared.quiet_p50_us / 1000:.2f}, {quiet_rate:,.0f} req/s; samples are wrk's requests and its "
                f"coordinated-omission corrections; slowest window {slowest:,.0f} req/s)", ratio,
                f"≤ {MAX_HOT_PATH_RATIO}× pooled and pairs' median, ≥ {MIN_LOAD_SHARE:.0%} of {rate:.0f} req/s "
                f"(p99 of {2 * blocks} {HOT_PATH_WINDOW_SECONDS} s windows a side, ABBA, pooled)",
                compared.passes(MAX_HOT_PATH_RATIO) and achieved >= MIN_LOAD_SHARE * rate and kept_up and not failed,
                MAX_HOT_PATH_RATIO, higher_is_better=False)


def window(side: str, sip_auth, clients, steps, rate: float) -> tuple[wrk.Result, paced_load.Reached | None]:
    """One window of `side`: sip_auth's figures, and with the load what the load reached. The
    caller waits settle_before it; a loaded window ends only when the load has its last request
    answered (open_loop joins its clients), so no request of the load runs into the next window."""
    if side == latency_windows.QUIET:
        return sip_auth(), None
    stop, done = threading.Event(), []
    loader = threading.Thread(target=on_client_core, daemon=True,
                              args=(lambda: done.append(paced_load.open_loop(clients, steps, rate, stop)),))
    loader.start()
    try:
        busy = sip_auth()
    finally:  # wrk failing must stop the load too, or the bench would hang instead of failing
        stop.set()
        loader.join(LOAD_STOP_SECONDS)
    if loader.is_alive() or not done:
        raise RuntimeError(f"the load's requests were still running {LOAD_STOP_SECONDS} s after its window ended")
    return busy, done[0]


def _keep_windows(path: Path, offered: float, windows, spans) -> None:
    """Every window's figures and histogram, in the order they ran, beside the run's table: the
    line is one figure of many, and the windows let a reader check it (or the noise) afterwards.
    With each its CLOCK_MONOTONIC start and end, to set against what the servers did meanwhile."""
    path.write_text(json.dumps({"offered": offered, "windows": [
        {"side": side, "rate": run.rate, "requests": run.requests, "p99_ms": run.p99_ms,
         "load_rate": reached.rate if reached else None, "histogram": sorted(run.histogram.items()),
         "monotonic": span}
        for (side, run, reached), span in zip(windows, spans)]}))


def on_client_core(load, *args) -> None:
    """`load(*args)` in this thread pinned to the client core, under SCHED_IDLE (pid 0 is the
    calling thread; the threads it starts inherit both): the load client must not take the server
    core from the handler it measures, nor delay wrk, which shares the client core with it.

    At normal priority the load's Python threads (building requests, parsing pages and JSON) were
    runnable when wrk's answers arrived, and wrk (whose latency runs to the answer's last byte read)
    waited for them. Measured on B7's load, full set, SQLite (2026-12-05, /proc/<pid>/task/*/schedstat
    of wrk, 5 windows a side): wrk's run-queue wait 4.0 µs a request in quiet windows, 6.9 with the
    load at normal priority, 4.4 under SCHED_IDLE, the load at its 50 req/s either way. That wait
    is small: it is not what raises the loaded p99 (the handler's own wait on the server core
    does), but it is the client's, not the API's, and must not be charged to it. Under SCHED_IDLE
    the load runs only while wrk waits; it must still reach MIN_LOAD_SHARE of its rate."""
    os.sched_setaffinity(0, {servers.CLIENT_CORE})
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    load(*args)


@dataclass(frozen=True)
class ApiPair:
    """One integration's two keep-alive connections: the tenant admin's key and the user's."""
    admin: Client
    user: Client


def api_clients(port: int, admin_key: str, user_key: str) -> list[ApiPair]:
    return [ApiPair(Client(port, admin_key), Client(port, user_key)) for _ in range(paced_load.CLIENTS)]


# API_RATE requests a second, in turn: call-log and user-list reads, a user's edit, a forward change.
API_STEPS = (
    lambda c: c.user.call("GET", "/api/v1/me/calls?limit=50"),
    lambda c: c.admin.call("GET", f"/api/v1/tenants/{TENANT}/users?limit=100"),
    lambda c: c.admin.call("PATCH", f"/api/v1/tenants/{TENANT}/users/1005", {"name": f"Renamed {time.time():.3f}"},
                           **{"If-Match": "*"}),
    lambda c: c.user.call("GET", "/api/v1/me/call-handling"),
    lambda c: c.user.call("PATCH", "/api/v1/me/call-handling", {"dnd": bool(int(time.time()) % 2)},
                          **{"If-Match": "*"}),
    lambda c: c.admin.call("GET", f"/api/v1/tenants/{TENANT}/users/1007"),
)


if __name__ == "__main__":
    from benches.__main__ import main

    sys.exit(main(["--bench", "b6", *sys.argv[1:]]))
