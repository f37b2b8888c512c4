"""B7's portal pages in instructions per view: the web app as `serve --only api` builds it (the portal
behind the people's mounts), called in-process on a small world, signed in as B7 signs in.

B7's line 2 (benches/b7_portal.py) is a wall-clock figure on a shared core; instructions are not. This
builds the `calls` data set at a small scale of its own (3 tenants × 10 users; 12,000 calls and
3,000 contacts, so that user 1000's call log fills B7's pages of 50 as on the full set) in a database
of its own, grows tenant 1 to B7's 10,000 users, adds B7's two logins, signs both in through /login, then calls the
WSGI app with each of B7's pages (USER_PAGES as the user, ADMIN_PAGES as the tenant admin, and the
forward post of its load) `--count` times after two views that warm the templates and statements.

    python -m benches.portal_instructions [--engine sqlite|postgresql] [--page TEXT] [--count N]

prints µs per view (wall clock: noisy); with --callgrind it runs itself under valgrind's callgrind
and prints instructions per view, and the B7 load's step (PORTAL_STEPS: five pages, then the
forwards page and its post) as the mean of its steps. Only the measured loops are counted: each
runs inside operator.call, as in benches/instructions.py, one dump per page.
"""
from __future__ import annotations

import argparse
import operator
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benches.instructions import callgrind_total

ROOT = Path(__file__).resolve().parents[1]
COUNTED = "_operator_call"  # operator.call in CPython's C: what callgrind counts inside
POST = "POST /me/forwards/busy"
SCALE_ARGS = ("portal", 3, 10, 3000, 12000)  # datasets.Scale: label, tenants, users a tenant, contacts, calls
FORWARD_FORM = {"kind": "voicemail", "action": "set"}  # b7_portal.PORTAL_STEPS' post


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benches.portal_instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--page", help="only the pages whose name contains this")
    parser.add_argument("--load", action="store_true", help="only the B7 load's pages (PORTAL_STEPS)")
    parser.add_argument("--count", type=int, help="views measured per page (default 200, callgrind 20)")
    parser.add_argument("--callgrind", action="store_true", help="instructions per view, under valgrind")
    parser.add_argument("--cprofile", type=Path, help="write cProfile's statistics of the measured loops here")
    parser.add_argument("--bodies", type=Path, help="write each page's last warm-up view in this folder (to diff "
                                                    "two versions' pages)")
    parser.add_argument("--language", choices=("es", "en"), help="show the pages in this language (the footer "
                                                                  "switch's cookie; default: the tenant's)")
    parser.add_argument("--url", help=argparse.SUPPRESS)  # under valgrind: the parent's world
    return parser.parse_args(argv)


def pages(selected: str | None, load: bool = False) -> list[tuple[str, str, str]]:
    """(name, who, path) of B7's pages: the user's, the admin's, the load's post (`load`: the load's only)."""
    from benches import b7_portal

    if load:
        steps = [(f"GET {path}", "user", path) for path in b7_portal.USER_PAGES[:5]]
        return steps + [(POST, "user", "/me/forwards/busy")]
    found = [(f"GET {path}", "user", path) for path in b7_portal.USER_PAGES]
    found += [(f"GET {path}", "admin", path.replace(" ", "%20")) for path in b7_portal.ADMIN_PAGES]
    found.append((POST, "user", "/me/forwards/busy"))
    return [page for page in found if not selected or selected.lower() in page[0].lower()]


def main(argv=None) -> int:
    args = parse(argv)
    if args.url:
        return _measured(args, args.url)
    url = build_world(args.engine)
    try:
        if args.callgrind:
            return _under_callgrind(args, url)
        return _measured(args, url)
    finally:
        _discard(url)


def build_world(engine: str) -> str:
    """A database of this run's own: the `calls` set at SCALE_ARGS, tenant 1 grown to B7's size, B7's logins."""
    from benches import b6_api, b7_portal, datasets

    if engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='centralita-portal-instructions-')}/world.db"
    else:
        name = f"centralita_portal_instructions_{os.getpid()}"
        datasets._admin(f'DROP DATABASE IF EXISTS "{name}"')
        datasets._admin(f'CREATE DATABASE "{name}"')
        url = datasets._pg_url(name)
    scale = datasets.Scale(*SCALE_ARGS)
    datasets._build(url, "calls", scale)
    b6_api.grow_tenant(url, scale)
    b7_portal.logins(url)
    return url


def _discard(url: str) -> None:
    from benches import datasets

    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///"):]).parent
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    else:
        datasets.discard(url)


class Caller:
    """B7's browser (benches/b7_portal.Browser) as WSGI calls: its session cookie, its form token."""

    def __init__(self, app):
        self.app, self.cookies = app, {}

    def environ(self, method: str, path: str, form: dict | None = None) -> dict:
        from werkzeug.test import EnvironBuilder

        headers = {"Host": "127.0.0.1", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        path, _, query = path.partition("?")
        return EnvironBuilder(path=path, query_string=query, method=method, headers=headers, data=data,
                              environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()

    def call(self, environ: dict) -> bytes:
        answered = {}

        def start_response(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers

        body = b"".join(self.app(environ, start_response))
        if int(answered["status"][:3]) >= 400:
            asked = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
            raise RuntimeError(f"{asked}: {answered['status']} {body[:300]!r}")
        for name, value in answered["headers"]:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        return body

    def token(self, page: str) -> str:
        from benches.b7_portal import _TOKEN

        return _TOKEN.search(self.call(self.environ("GET", page))).group(1).decode()

    def sign_in(self, username: str) -> "Caller":
        from benches.b7_portal import PASSWORD

        self.call(self.environ("POST", "/login", {"csrf_token": self.token("/login"), "username": username,
                                                    "password": PASSWORD}))
        if "centralita_session" not in self.cookies:
            raise RuntimeError("the bench login could not sign in")
        return self


def serving_app(url: str):
    """The web app of `serve --only api` (fs_plugins/commands/serve.py _start_web), on `url`."""
    from fs_plugins import metrics
    from fs_plugins.cli import Context
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import release, release_after
    from fs_plugins.launcher import make_cooperative
    from fs_plugins.web import make_web_app, mounts_for

    make_cooperative()  # as `serve` runs: gevent's sockets, psycopg's wait callback
    # api_deadline: under valgrind a sign-in (argon2) takes longer than the 10 s a request may wait
    config = load_config(environ={}, overrides={"database_url": url, "data_dir": tempfile.mkdtemp(),
                                                 "fs_event_socket_port": 0, "api_deadline": 3600.0})
    database = Context(config, serving=True).db
    app = release_after(make_web_app(config, metrics.instrument_mounts(mounts_for(["api"]))), database)
    release(database)
    return app


def _measured(args, url: str) -> int:
    app = serving_app(url)
    callers = {"user": Caller(app).sign_in("bench-user"), "admin": Caller(app).sign_in("bench-admin")}
    if args.language:
        from fs_plugins.portal.i18n import COOKIE

        for caller in callers.values():
            caller.cookies[COOKIE] = args.language
    count = args.count or (20 if args.callgrind else 200)
    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
    for name, who, path in pages(args.page, args.load):
        caller = callers[who]
        if name == POST:
            form = {"csrf_token": caller.token("/me/forwards"), **FORWARD_FORM}
            make = lambda: caller.environ("POST", path, form)  # noqa: E731
        else:
            make = lambda: caller.environ("GET", path)  # noqa: E731
        for _ in range(2):
            body = caller.call(make())  # templates compiled, statements prepared: the steady state
        if args.bodies:
            args.bodies.mkdir(parents=True, exist_ok=True)
            (args.bodies / (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") + ".html")).write_bytes(body)
        environs = [make() for _ in range(count)]
        took = []

        def loop():
            started = time.perf_counter()
            for environ in environs:
                caller.call(environ)
            took.append((time.perf_counter() - started) / count)

        if profiler is not None:
            profiler.runcall(loop)
        else:
            operator.call(loop) if args.callgrind else loop()
        if not args.callgrind:
            print(f"{name:55} {took[0] * 1e6:8.0f} µs per view", flush=True)
    if profiler is not None:
        profiler.dump_stats(args.cprofile)
    return 0


def _under_callgrind(args, url: str) -> int:
    count = args.count or 20
    chosen = pages(args.page, args.load)
    folder = Path(tempfile.mkdtemp(prefix="callgrind-portal-"))
    out = folder / "callgrind.out"
    argv = [sys.executable, "-m", "benches.portal_instructions", "--engine", args.engine, "--count", str(count),
            "--callgrind", "--url", url, *(["--page", args.page] if args.page else []),
            *(["--load"] if args.load else []), *(["--language", args.language] if args.language else [])]
    subprocess.run(["valgrind", "-q", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={COUNTED}",
                    f"--dump-after={COUNTED}", f"--callgrind-out-file={out}", *argv], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONHASHSEED": "0"})
    per_view = {}
    for dump, (name, _who, _path) in enumerate(chosen, 1):
        per_view[name] = callgrind_total(Path(f"{out}.{dump}")) / count
        print(f"{name:55} {per_view[name]:12,.0f} instructions per view", flush=True)
    step = load_step(per_view)
    if step is not None:
        print(f"{'B7 load step (PORTAL_STEPS mean)':55} {step:12,.0f} instructions per step  ({out})", flush=True)
    return 0


def load_step(per_view: dict[str, float]) -> float | None:
    """The mean of b7_portal.PORTAL_STEPS' six steps: USER_PAGES[:5], then the forwards page and its post."""
    from benches.b7_portal import USER_PAGES

    names = [f"GET {path}" for path in USER_PAGES[:5]] + ["GET /me/forwards", POST]
    if not all(name in per_view for name in names):
        return None
    return sum(per_view[name] for name in names) / 6


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
