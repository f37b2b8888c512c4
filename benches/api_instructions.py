"""B6's API steps in instructions per request, and the SQLite commits each makes, in-process.

B6 line 3 (benches/b6_api.py) puts `serve --only api` on the core of the xml_curl handler: what the
API costs that handler is its CPU per request and the commits it makes (each wakes the handler's
watch of the database). wrk's figures move with whatever else the machine runs; instructions and
commits do not. This builds the web app as `serve --only api` does (the API under the people's
deadline, the connection released after each request), calls it directly through WSGI with each of
b6_api.API_STEPS's requests (the same paths, bodies and headers as its clients send), every step
answered a few times before measuring, and prints per step:

* the statements that wrote, and the commits, per request (a trace of every SQLite connection);
* with --callgrind, instructions per request (the measured loop runs inside operator.call, which
  callgrind alone counts; one dump per step).

    python -m benches.api_instructions --database PATH.db [--count N] [--step NAME] [--callgrind]
                                       [--show] [--profile]

--show prints the statements of each step's last request; --profile runs each step under cProfile
(SORT=cumulative TOP=60 in the environment choose the listing).

    python -m benches.api_instructions --postgres DATABASE [--count N] [--step NAME] [--repeat R] [--show]

runs the same steps on a copy of the PostgreSQL database DATABASE (e.g. centralita_bench_calls_full,
tenant 1 grown as b6_api.grow_tenant grows it) and prints per step the CPU its backends spent per
request (benches/backend_cpu.py; the median of R loops of N) and the round trips and statements
psycopg2 sent per request.

PATH.db is copied first (the copy is written to and removed). Use B6's data set (the calls set
with tenant 1 grown, as b6_api.grow_tenant does) or any database with tenant t1.example, its user
1000 and users 1005 and 1007.
"""
from __future__ import annotations

import argparse
import io
import json
import operator
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from benches.instructions import callgrind_total

ROOT = Path(__file__).resolve().parents[1]
TENANT = "t1.example"
COUNTED = "_operator_call"


def steps(admin_key: str, user_key: str) -> list[tuple[str, callable]]:
    """b6_api.API_STEPS as (name, environ of request n); the renames and DND changes as the bench
    makes them: a new name each time, DND the same for about eight requests (the bench sends
    time-of-second parity at 50 req/s, six steps in turn)."""
    admin, user = f"Bearer {admin_key}", f"Bearer {user_key}"
    return [
        ("GET me/calls", lambda n: _environ("GET", "/api/v1/me/calls", "limit=50", user)),
        ("GET users page", lambda n: _environ("GET", f"/api/v1/tenants/{TENANT}/users", "limit=100", admin)),
        ("PATCH user", lambda n: _environ("PATCH", f"/api/v1/tenants/{TENANT}/users/1005", "", admin,
                                          {"name": f"Renamed {n}"}, {"HTTP_IF_MATCH": "*"})),
        ("GET me/call-handling", lambda n: _environ("GET", "/api/v1/me/call-handling", "", user)),
        ("PATCH me/call-handling", lambda n: _environ("PATCH", "/api/v1/me/call-handling", "", user,
                                                      {"dnd": bool(n // 8 % 2)}, {"HTTP_IF_MATCH": "*"})),
        ("GET user", lambda n: _environ("GET", f"/api/v1/tenants/{TENANT}/users/1007", "", admin)),
    ]


def _environ(method, path, query, authorization, body=None, extra=None) -> dict:
    data = b"" if body is None else json.dumps(body).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "GATEWAY_INTERFACE": "CGI/1.1",
               "HTTP_HOST": "127.0.0.1:8080", "HTTP_ACCEPT_ENCODING": "identity",
               "HTTP_AUTHORIZATION": authorization, "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http",
               "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": False, "wsgi.run_once": False}
    environ.update(extra or {})
    return environ


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benches.api_instructions", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--database", type=Path, help="an SQLite data set (copied first)")
    source.add_argument("--postgres", help="a PostgreSQL database (copied first): its backends' CPU per request")
    parser.add_argument("--repeat", type=int, default=5, help="--postgres: loops per step (their median is shown)")
    parser.add_argument("--count", type=int, default=0, help="requests measured per step (default 200, callgrind 40)")
    parser.add_argument("--step", help="only the steps whose name contains this")
    parser.add_argument("--callgrind", action="store_true", help="instructions per request, under valgrind")
    parser.add_argument("--show", action="store_true", help="print the statements of each step's last request")
    parser.add_argument("--profile", action="store_true", help="cProfile each step (top functions by own time)")
    parser.add_argument("--measured", type=Path, help=argparse.SUPPRESS)  # under valgrind: the prepared copy
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.postgres:
        return _on_postgres(args)
    if args.callgrind and not args.measured:
        return _under_callgrind(args)
    prepared = pickle.loads(args.measured.read_bytes()) if args.measured else _prepare(args.database)
    try:
        return _run(args, prepared)
    finally:
        if not args.measured:
            _discard(prepared["path"])


def _prepare(database: Path) -> dict:
    """A copy of `database` and two keys made in it, as b6_api.measure makes them."""
    from fs_plugins import db as dbmod
    from fs_plugins.access import apikeys
    from fs_plugins.models import Tenant

    folder = Path(tempfile.mkdtemp(prefix="centralita-api-instructions-"))
    path = folder / "data.db"
    shutil.copyfile(database, path)
    db = dbmod.connect(f"sqlite:///{path}")
    tenant = Tenant.get(Tenant.domain == TENANT)
    keys = {"user": apikeys.create("bench user", "user", tenant, "1000").key,
            "admin": apikeys.create("bench admin", "tenant-admin", tenant).key}
    db.close()
    return {"path": str(path), "data_dir": str(folder), **keys}


def _on_postgres(args) -> int:
    """Each step's backend CPU, round trips and statements per request on a copy of args.postgres."""
    import statistics

    from benches import b6_api, backend_cpu, datasets
    from fs_plugins import db as dbmod
    from fs_plugins.access import apikeys
    from fs_plugins.models import Tenant

    url = datasets._pg_url(datasets._postgres_copy(args.postgres))
    try:
        b6_api.grow_tenant(url, datasets.FULL)  # the full set's copy
        db = dbmod.connect(url)
        tenant = Tenant.get(Tenant.domain == TENANT)
        user_key = apikeys.create("bench user", "user", tenant, "1000").key
        admin_key = apikeys.create("bench admin", "tenant-admin", tenant).key
        db.close()
        backends = backend_cpu.Backends(url)  # before the trace: its own reads are not counted
        trips = backend_cpu.RoundTrips()
        app = _serving_app(url, tempfile.mkdtemp(prefix="centralita-api-backends-"))
        chosen = [(name, make) for name, make in steps(admin_key, user_key)
                  if not args.step or args.step.lower() in name.lower()]
        count, serial = args.count or 200, iter(range(10**9))
        for name, make in chosen:  # warm: every statement prepared, every cache filled
            for _ in range(5):
                _call(app, make(next(serial)))
        for name, make in chosen:
            spent = []
            for _ in range(args.repeat):
                environs = [make(next(serial)) for _ in range(count)]
                del trips.texts[:]
                before = backends.ran()
                for environ in environs:
                    _call(app, environ)
                spent.append(backends.spent(before, backends.ran()) / count)
            if args.show:
                per = len(trips.texts) // count
                print("\n".join("    " + trips.shown(t)[:400] for t in trips.texts[-per:]))
            print(f"{name:24} backend CPU {statistics.median(spent) / 1000:7.1f} µs per request "
                  f"(runs {', '.join(f'{s / 1000:.0f}' for s in spent)})  round trips {len(trips.texts) / count:5.2f}  "
                  f"statements {trips.statements() / count:5.2f}", flush=True)
        backends.close()
    finally:
        datasets.discard(url)
    return 0


def _serving_app(url: str, data_dir: str):
    """The web app of `serve --only api` on `url`, as _run builds it."""
    from fs_plugins.launcher import make_cooperative

    make_cooperative()
    from fs_plugins import metrics
    from fs_plugins.cli import Context
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import release, release_after
    from fs_plugins.web import make_web_app, mounts_for

    config = load_config(environ={}, overrides={"database_url": url, "data_dir": data_dir, "fs_event_socket_port": "0"})
    database = Context(config, serving=True).db
    app = release_after(make_web_app(config, metrics.instrument_mounts(mounts_for({"api"}))), database)
    release(database)
    return app


def _discard(path: str) -> None:
    shutil.rmtree(Path(path).parent, ignore_errors=True)


class Trace:
    """Every statement run on any SQLite connection opened from now on."""

    def __init__(self):
        import peewee

        self.statements: list[str] = []
        connect = peewee.SqliteDatabase._connect

        def traced(db, *a, **k):
            conn = connect(db, *a, **k)
            conn.set_trace_callback(self.statements.append)
            return conn

        peewee.SqliteDatabase._connect = traced


def _run(args, prepared: dict) -> int:
    from fs_plugins.launcher import make_cooperative

    make_cooperative()  # as `serve` runs
    trace = Trace() if not args.callgrind else None  # its callback would be counted too
    from fs_plugins.cli import Context
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import release, release_after
    from fs_plugins import metrics
    from fs_plugins.web import make_web_app, mounts_for

    config = load_config(environ={}, overrides={"database_url": f"sqlite:///{prepared['path']}",
                                                 "data_dir": prepared["data_dir"], "fs_event_socket_port": "0"})
    database = Context(config, serving=True).db
    app = release_after(make_web_app(config, metrics.instrument_mounts(mounts_for({"api"}))), database)
    release(database)
    chosen = [(name, make) for name, make in steps(prepared["admin"], prepared["user"])
              if not args.step or args.step.lower() in name.lower()]
    count = args.count or (40 if args.callgrind else 200)
    serial = iter(range(10**9))
    for name, make in chosen:  # warm: every statement prepared, every cache filled
        for _ in range(5):
            _call(app, make(next(serial)))
    watcher = _Commits(prepared["path"])
    for name, make in chosen:
        environs = [make(next(serial)) for _ in range(count)]
        watcher.moves = 0
        if args.callgrind:
            operator.call(lambda: [_call(app, environ) for environ in environs])
            continue
        del trace.statements[:]
        profile = None
        if args.profile:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        for environ in environs:
            _call(app, environ)
            if profile is None:
                watcher.look()
        if profile is not None:
            import pstats

            profile.disable()
            print(f"--- {name}: Python calls per request {pstats.Stats(profile).total_calls / count:,.0f}")
            order, top = os.environ.get("SORT", "tottime"), int(os.environ.get("TOP", "25"))  # e.g. SORT=cumulative
            pstats.Stats(profile).sort_stats(order).print_stats(top)
        if args.show:
            per = len(trace.statements) // count
            print("\n".join("    " + s[:200] for s in trace.statements[-per:]))
        writes = [s for s in trace.statements if s.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]
        commits = sum(s.strip().upper() == "COMMIT" for s in trace.statements)
        kinds = sorted({" ".join(s.split()[:3]) for s in writes})
        seen = f", commits seen by a watcher {watcher.moves / count:.2f}"
        print(f"{name:24} statements {len(trace.statements) / count:5.2f}  writes {len(writes) / count:4.2f}  "
              f"COMMIT {commits / count:4.2f}{seen} per request  {kinds}", flush=True)
    return 0


class _Commits:
    """PRAGMA data_version of a connection of its own: it moves when another connection commits."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.version = self._read()
        self.moves = 0

    def _read(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def look(self) -> None:
        now = self._read()
        if now != self.version:
            self.version, self.moves = now, self.moves + 1


def _call(app, environ) -> bytes:
    status = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("2"):
        raise SystemExit(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}: {status[0]} {body[:300]!r}")
    return body


def _under_callgrind(args) -> int:
    prepared = _prepare(args.database)
    try:
        folder = Path(prepared["data_dir"])
        out, measured = folder / "callgrind.out", folder / "prepared.pickle"
        measured.write_bytes(pickle.dumps(prepared))
        count = args.count or 40
        argv = [sys.executable, "-m", "benches.api_instructions", "--database", str(args.database),
                "--count", str(count), "--callgrind", "--measured", str(measured)]
        if args.step:
            argv += ["--step", args.step]
        subprocess.run(["valgrind", "-q", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={COUNTED}",
                        f"--dump-after={COUNTED}", f"--callgrind-out-file={out}", *argv], cwd=ROOT, check=True)
        names = [name for name, _ in steps("", "") if not args.step or args.step.lower() in name.lower()]
        total = 0
        for number, name in enumerate(names, 1):
            dump = Path(f"{out}.{number}")
            each = callgrind_total(dump) / count
            total += each
            shutil.copyfile(dump, Path(tempfile.gettempdir()) / f"api-callgrind-{number}.out")
            print(f"{name:24} {each:12,.0f} instructions per request", flush=True)
        print(f"{'mean of the steps':24} {total / len(names):12,.0f}  "
              f"(dumps: {tempfile.gettempdir()}/api-callgrind-N.out)")
    finally:
        _discard(prepared["path"])
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
