"""B1's paths in instructions per request: the xml_curl app as `serve` builds it vs the ceiling's app.

wrk's figures move with whatever else the machine runs; instructions do not. This calls the WSGI
apps directly (no sockets, no pywsgi: what the server does is the same for both sides), each
request in a new greenlet as pywsgi runs it, over B1's recorded bodies (benches/bodies.py) on the
quick data set, every body answered once before measuring (the steady state of a bench run).

    python -m benches.instructions [--engine sqlite|postgresql] [--path NAME] [--count N]

prints µs per request (wall clock: noisy); with --callgrind it runs itself under valgrind's
callgrind and prints instructions per request, the handler's and the ceiling's, and the
difference: what the handler adds. Only the measured loops are counted: each runs inside
operator.call (which nothing else calls), callgrind collects inside it alone and writes one file
at each return (one valgrind process per path). Under callgrind each request runs in the
measuring greenlet: callgrind takes a greenlet's switch of stacks for the counted function's return.
"""
from __future__ import annotations

import argparse
import base64
import io
import operator
import pickle
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from greenlet import greenlet

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "freeswitch", "bench-only-not-a-secret"


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benches.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--path", help="only the paths whose name contains this")
    parser.add_argument("--count", type=int, help="requests measured per path (default 2000, callgrind 300)")
    parser.add_argument("--callgrind", action="store_true", help="instructions per request, under valgrind")
    parser.add_argument("--measured", type=Path, help=argparse.SUPPRESS)  # under valgrind: the path's bodies
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.callgrind and not args.measured:
        return _under_callgrind(args)
    from benches import datasets
    from fs_plugins.launcher import make_cooperative

    # Built (bulk COPY on PostgreSQL) before the process turns cooperative, which COPY refuses.
    datasets.database_url(args.engine, "pbx", datasets.QUICK)
    make_cooperative()  # as `serve` runs: gevent's sockets, psycopg's wait callback
    loops = _loops(args, _paths(args))
    for name, app, ceiling, bodies in loops:
        count = args.count or (300 if args.callgrind else 2000)
        handler_cost = _measure(app, bodies, count, args.callgrind)
        ceiling_cost = _measure(ceiling, bodies, count, args.callgrind)
        if not args.callgrind:
            print(f"{name:18} handler {handler_cost * 1e6:7.1f} µs  ceiling {ceiling_cost * 1e6:6.1f} µs  "
                  f"added {(handler_cost - ceiling_cost) * 1e6:6.1f} µs per request", flush=True)
    return 0


def _paths(args) -> list[tuple[str, list[bytes], object]]:
    """(name, bodies, check) of the paths asked for; under valgrind, the bodies the parent wrote
    (made there: making them here would take minutes), checked by the parent's own run."""
    if args.measured:
        name, bodies = pickle.loads(args.measured.read_bytes())
        return [(name, bodies, lambda answer: None)]
    from benches import b1_xml_curl, datasets

    return [(path.name, path.bodies, path.check) for path in b1_xml_curl.paths(datasets.QUICK)
            if not args.path or args.path.lower() in path.name.lower()]


def _loops(args, paths):
    from benches import ceiling, datasets
    from fs_plugins.cli import Context
    from fs_plugins.commands.serve import xml_curl_app
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import release

    url = datasets.database_url(args.engine, "pbx", datasets.QUICK)
    data_dir = tempfile.mkdtemp(prefix="centralita-instructions-")
    config = load_config(environ={}, overrides={"database_url": url, "data_dir": data_dir,
                                                 "xml_curl_user": USER, "xml_curl_password": PASSWORD})
    database = Context(config, serving=True).db
    app = xml_curl_app(config, database)
    release(database)  # as serve does once started: the start-up's connection goes back to the pool
    loops = []
    for name, bodies, check in paths:
        measured = bodies[:args.count] if args.count else bodies
        # Every answer kept from now on. Twice: on PostgreSQL nothing is kept until the cache's
        # listening connection is up (xml_curl/pgchanges.py), which the first requests' reads let
        # connect; those bodies would otherwise be read from the database on every pass measured.
        for _ in range(2):
            answers = [_call(app, body) for body in measured]
        problems = {problem for problem in map(check, answers) if problem}
        if problems:
            raise SystemExit(f"{name}: unexpected answers: {sorted(problems)[:3]}")
        size = len(answers[0])
        loops.append((name, app, ceiling.make_app(ceiling.fixed_document(size, "text/xml"), "text/xml"),
                      random.Random(1).sample(measured, len(measured))))
    return loops


AUTHORIZATION = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _environ(body: bytes) -> dict:
    """What pywsgi's environ holds for mod_xml_curl's POST (benches/servers.py `post`)."""
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/xml_curl", "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "GATEWAY_INTERFACE": "CGI/1.1",
            "HTTP_HOST": "127.0.0.1:8080", "HTTP_USER_AGENT": "freeswitch-xml/1.0", "HTTP_ACCEPT": "*/*",
            "HTTP_CONNECTION": "close", "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "HTTP_AUTHORIZATION": AUTHORIZATION, "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False,
            "wsgi.run_once": False}


def _start_response(status, headers, exc_info=None):
    return None


def _call(app, body: bytes, in_greenlet: bool = True) -> bytes:
    """One request in a new greenlet, as pywsgi serves each connection (not under callgrind: it
    takes a greenlet's switch of stacks for the counted function's return)."""
    if not in_greenlet:
        return b"".join(app(_environ(body), _start_response))
    return greenlet(lambda: b"".join(app(_environ(body), _start_response))).switch()


COUNTED = "_operator_call"  # operator.call in CPython's C: what callgrind counts inside


def _measure(app, bodies: list[bytes], count: int, counted: bool = False) -> float:
    """Seconds per request over `count` requests (`counted`: inside operator.call, for callgrind)."""
    environs = [bodies[i % len(bodies)] for i in range(count)]
    took = []

    def loop():
        started = time.perf_counter()
        for body in environs:
            _call(app, body, not counted)
        took.append((time.perf_counter() - started) / count)

    operator.call(loop) if counted else loop()
    return took[0]


def _under_callgrind(args) -> int:
    count = args.count or 300
    for name, bodies, _check in _paths(args):
        folder = Path(tempfile.mkdtemp(prefix="callgrind-"))
        out, measured = folder / "callgrind.out", folder / "bodies.pickle"
        measured.write_bytes(pickle.dumps((name, bodies[:count])))
        argv = [sys.executable, "-m", "benches.instructions", "--engine", args.engine, "--count", str(count),
                "--callgrind", "--measured", str(measured)]
        subprocess.run(["valgrind", "-q", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={COUNTED}",
                        f"--dump-after={COUNTED}", f"--callgrind-out-file={out}", *argv], cwd=ROOT, check=True)
        handler, ceiling = (callgrind_total(Path(f"{out}.{dump}")) / count for dump in (1, 2))
        print(f"{name:18} handler {handler:9,.0f}  ceiling {ceiling:7,.0f}  added {handler - ceiling:9,.0f} "
              f"instructions per request ({out})", flush=True)
    return 0


def callgrind_total(dump: Path) -> int:
    """The instructions a callgrind dump counted (its `summary:` line; `totals:` in some versions)."""
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"no summary in {dump}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
