"""B5's CDR ingest in deterministic quantities: what one leg costs, posted through /cdr as `serve` builds it.

wrk's CDR/s move with whatever else the machine runs; these do not. The recorded mod_json_cdr posts
(benches/bodies.py cdr_posts) go through the web app `serve --only web` builds (pooled cooperative
database, group commit, SQLite's Checkpointer thread), called directly (no sockets, no pywsgi), into
a fresh copy of a `calls` data set (benches/datasets.py; its own small scale, so that building it
takes seconds). Posts go in rounds of `--together` at once, each in its own greenlet as pywsgi
runs them: one round is one group commit (16 at once: a full batch, as at B5's 16 connections; 1:
each leg alone, the filer's single-leg path). Every answer must be 200.

    python -m benches.cdr_instructions [--engine sqlite|postgresql] [--together N] [--legs N] [--callgrind]

prints, per leg of the measured rounds (after a warm-up that prepares statements and fills caches):
SQL statements the engine ran (SQLite: its trace callback, BEGIN and COMMIT included; PostgreSQL:
texts sent, each a round trip), and on PostgreSQL the backends' CPU (/proc/<pid>/schedstat). With --callgrind it runs itself under valgrind's callgrind and
prints Python-side instructions per leg: callgrind dumps at each entry of operator.call (called
only to mark the measured loop's start and end), so the greenlet switches of group commit, which
confuse callgrind's tracking of returns, do not matter.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import operator
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benches.instructions import callgrind_total

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "freeswitch", "bench-only-not-a-secret"
AUTHORIZATION = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benches.cdr_instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--together", type=int, default=16, help="posts at once: one group commit (default 16)")
    parser.add_argument("--legs", type=int, default=480, help="legs measured (default 480)")
    parser.add_argument("--warmup", type=int, default=160, help="legs posted before measuring (default 160)")
    parser.add_argument("--calls", type=int, default=20_000, help="calls the database holds (default 20,000)")
    # B5's set has 1,000 tenants of 100 users: statements that look people up cost more there than
    # on the default 20 of 10 (the entries' statement's join read every tenant; see calllog/entries.py).
    parser.add_argument("--tenants", type=int, default=20, help="tenants the database holds (default 20; B5: 1,000)")
    parser.add_argument("--users", type=int, default=10, help="users of each tenant (default 10; B5: 100)")
    parser.add_argument("--callgrind", action="store_true", help="instructions per leg, under valgrind")
    parser.add_argument("--by-text", action="store_true",
                        help="PostgreSQL: the backends' CPU a leg split by the text sent (its statements' heads)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # under valgrind: figures as JSON
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)  # the data set only
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.build:
        _data_set(args)
        return 0
    if args.callgrind:
        return _under_callgrind(args)
    figures = measure(args)
    if args.json:
        print(json.dumps(figures), flush=True)
    else:
        print(describe(args, figures), flush=True)
    return 0


def describe(args, figures: dict) -> str:
    text = (f"{args.engine} {args.together} at once: {figures['statements']:.2f} statements a leg "
            f"({figures['legs']} legs, {figures['new']} new)")
    if "backend_ns" in figures:
        text += f", backends {figures['backend_ns'] / 1000:.0f} µs CPU a leg over {figures['backends']} connections"
    for head, (sent, ns) in sorted(figures.get("by_text", {}).items(), key=lambda item: -item[1][1]):
        if sent < 0.005:
            continue  # sent (nearly) only before the measured legs: the schema's check, PREPAREs
        text += f"\n  {ns / 1000:6.0f} µs a leg, {sent:.2f} sent a leg: {head}"
    return text


def _data_set(args, fresh_copy: bool = False):
    """(scale, URL) of this bench's data set: its own scale and folder, never the benches' own
    (building one of those here would replace the one a bench is using)."""
    from benches import datasets

    shape = "" if (args.tenants, args.users) == (20, 10) else f"t{args.tenants}u{args.users}"
    scale = datasets.Scale(f"cdrlane{args.calls}{shape}_{ROOT.name.replace('-', '_')}", tenants=args.tenants,
                           users=args.users, contacts=0, calls=args.calls)
    datasets.DATA_DIR = Path(tempfile.gettempdir()) / f"centralita-cdrlane-{ROOT.name}"
    return scale, datasets.database_url(args.engine, "calls", scale, fresh_copy=fresh_copy)


def measure(args) -> dict:
    # Built (bulk COPY on PostgreSQL) before the process turns cooperative, which COPY refuses.
    subprocess.run([sys.executable, "-m", "benches.cdr_instructions", "--engine", args.engine, "--calls",
                    str(args.calls), "--tenants", str(args.tenants), "--users", str(args.users), "--build"],
                   cwd=ROOT, check=True)
    from fs_plugins.launcher import make_cooperative

    make_cooperative()  # as `serve` runs: gevent's sockets, psycopg's wait callback
    import gevent

    from benches import bodies, datasets

    scale, url = _data_set(args, fresh_copy=True)
    counter = _Counter()
    try:
        app, database, stop = _app(url, counter)
        posts = list(bodies.cdr_posts(scale, args.warmup + args.legs, seed=17))
        answers = []

        def post(path_and_body):
            path, body = path_and_body
            status = []
            b"".join(app(_environ(path, body), lambda s, h, e=None: status.append(s)))
            answers.append(status[0])

        def rounds(batch):
            for start in range(0, len(batch), args.together):
                gevent.joinall([gevent.spawn(post, item) for item in batch[start:start + args.together]],
                               raise_error=True)

        rounds(posts[:args.warmup])
        before = counter.snapshot()
        operator.call(lambda: None)  # callgrind dumps here: start-up and warm-up end
        rounds(posts[args.warmup:])
        operator.call(lambda: None)  # and here: the measured legs end
        after = counter.snapshot()
        bad = [status for status in answers if not status.startswith("200")]
        if bad:
            raise SystemExit(f"unexpected answers: {bad[:3]} ({len(bad)} of {len(answers)})")
        from fs_plugins.dbpool import release

        release(database)
        new = database.execute_sql("SELECT COUNT(*) FROM cdr_leg").fetchone()[0] - args.calls
        release(database)
        figures = {"legs": args.legs, "new": new,
                   "statements": (after["statements"] - before["statements"]) / args.legs}
        if "backend_ns" in after:
            figures.update(backend_ns=(after["backend_ns"] - before["backend_ns"]) / args.legs,
                           backends=len(counter.pids))
        if args.by_text:
            figures["by_text"] = {head: ((sent - before["by_text"].get(head, (0, 0))[0]) / args.legs,
                                         (ns - before["by_text"].get(head, (0, 0))[1]) / args.legs)
                                  for head, (sent, ns) in after["by_text"].items()}
        stop()
        database.close_all()
        return figures
    finally:
        datasets.discard(url)


def _app(url: str, counter: "_Counter"):
    """(the web app, its database, what stops the rest): serve --only web's, with its SQLite
    Checkpointer (serve's connections never checkpoint: without it the WAL grew the whole run,
    and COMMITs, lookups and the WAL-index were not serve's)."""
    from fs_plugins import metrics
    from fs_plugins.cli import Context
    from fs_plugins.commands.serve import _start_checkpointer, freeze_startup_heap
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import GreenSqliteDatabase, release, release_after
    from fs_plugins.web import make_web_app, mounts_for

    counter.install()
    data_dir = tempfile.mkdtemp(prefix="centralita-cdr-instructions-")
    config = load_config(environ={}, overrides={"database_url": url, "data_dir": data_dir,
                                                 "cdr_user": USER, "cdr_password": PASSWORD})
    database = Context(config, serving=True).db
    app = release_after(make_web_app(config, metrics.instrument_mounts(mounts_for(["web"]))), database)
    release(database)  # as serve does once started
    stop = lambda: None  # noqa: E731
    if isinstance(database, GreenSqliteDatabase):  # as serve starts it (fs_plugins/commands/serve.py)
        stop = _start_checkpointer(database).server.stop  # serve's own, its metrics observer included
    freeze_startup_heap()
    return app, database, stop


class _Counter:
    """Statements the engine ran, and (PostgreSQL) its backends' CPU."""

    def __init__(self):
        self.statements = 0
        self.by_text: dict[str, list[int]] = {}  # head of the text sent: [times sent, backend ns]
        self.pids: set[int] = set()

    def install(self) -> None:
        import peewee
        import psycopg2.extensions

        counter = self
        add_hooks = peewee.SqliteDatabase._add_conn_hooks

        def traced(db, conn):
            add_hooks(db, conn)
            conn.set_trace_callback(counter._traced)

        peewee.SqliteDatabase._add_conn_hooks = traced

        class Counting(psycopg2.extensions.cursor):
            def execute(self, sql, params=None):
                counter.statements += 1
                # The backend works on nothing else meanwhile: what its CPU grew by is this text's.
                pid = self.connection.get_backend_pid()
                start = _schedstat(pid)
                try:
                    return super().execute(sql, params)
                finally:
                    figures = counter.by_text.setdefault(_head(sql), [0, 0])
                    figures[0] += 1
                    figures[1] += _schedstat(pid) - start

        connect = peewee.PostgresqlDatabase._connect

        def counted(db):
            conn = connect(db)
            conn.cursor_factory = Counting
            counter.pids.add(conn.get_backend_pid())
            return conn

        peewee.PostgresqlDatabase._connect = counted

    def _traced(self, sql: str) -> None:
        if not sql.startswith("--"):  # a trigger's statement is part of the one that fired it
            self.statements += 1

    def snapshot(self) -> dict:
        figures = {"statements": self.statements, "by_text": {head: tuple(v) for head, v in self.by_text.items()}}
        if self.pids:
            figures["backend_ns"] = sum(_schedstat(pid) for pid in self.pids)
        return figures


def _head(sql: str) -> str:
    """A text sent, named by its start (its parameters differ; serve's prepared statements are sent
    as `EXECUTE centralita_<hash of the statement>(…)`) and whether it carries the COMMIT."""
    return " ".join(sql.split()[:3])[:72] + (" … COMMIT" if sql.rstrip().endswith("COMMIT") else "")


def _schedstat(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except OSError:
        return 0


def _environ(path: str, body: bytes) -> dict:
    """What pywsgi's environ holds for mod_json_cdr's POST."""
    path_info, _, query = path.partition("?")
    return {"REQUEST_METHOD": "POST", "PATH_INFO": path_info, "QUERY_STRING": query, "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8081", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "GATEWAY_INTERFACE": "CGI/1.1",
            "HTTP_HOST": "127.0.0.1:8081", "HTTP_USER_AGENT": "freeswitch-json/1.0", "HTTP_ACCEPT": "*/*",
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": AUTHORIZATION,
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
            "wsgi.multiprocess": False, "wsgi.run_once": False}


def _under_callgrind(args) -> int:
    folder = Path(tempfile.mkdtemp(prefix="callgrind-cdr-"))
    out = folder / "callgrind.out"
    argv = [sys.executable, "-m", "benches.cdr_instructions", "--engine", args.engine, "--together",
            str(args.together), "--legs", str(args.legs), "--warmup", str(args.warmup), "--calls", str(args.calls),
            "--tenants", str(args.tenants), "--users", str(args.users),
            "--json"]
    done = subprocess.run(["valgrind", "-q", "--tool=callgrind", "--dump-before=_operator_call",
                           f"--callgrind-out-file={out}", *argv], cwd=ROOT, check=True, stdout=subprocess.PIPE,
                          env={**os.environ, "PYTHONHASHSEED": "0"}, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    per_leg = callgrind_total(Path(f"{out}.2")) / args.legs
    print(f"{describe(args, figures)}; {per_leg:,.0f} instructions a leg (Python side; {out}.2)", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
