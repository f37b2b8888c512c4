"""B7: the web portal on the 1,000,000-call data set with a 10,000-user tenant, and what it costs
FreeSWITCH's hot path.

1. Every page a user opens (start page, forwarding, call log: first page, filtered, a month, pages deep
   in the history, contacts, common directory of 10,000 colleagues, phonebook, voicemail, password)
   and the ones a tenant admin opens (users of a 10,000-user tenant, a search among them, numbers, IVR,
   groups, schedules, audio, billing, general voicemail): p99 < 50 ms each, measured as the round trip of a keep-alive
   client on the client core (the server's time is at most that). Ceiling, in the same run: a static
   file through the same server (what HTTP alone costs).
2. Directory (sip_auth) p99 with wrk against `serve --only xml_curl` while `serve --only api` (the API
   and the portal) serves 50 page views a second (reads, and a form post every sixth), against the same
   without the portal load: ≤ 1.2×, p99 of sixteen 3 s windows a side in ABBA order, pooled; sip_auth
   offered at a fixed rate, half the handler's capacity measured just before, as in B6
   (benches/b6_api.py, hot_path_line; benches/latency_windows.py).

Sign-in is the portal's own form (a login created with `centralita login add`); servers are
`centralita serve --only …`, as in B6.

Run: .venv/bin/python -m benches.b7_portal [--quick] [--engine sqlite|postgresql] (or python -m benches)
"""
from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from benches import b6_api, datasets, paced_load, servers
from benches.report import Line

BENCH = "B7 portal"
TENANT, USER = b6_api.TENANT, "1000"
P99_MS, VIEWS_PER_PAGE, PORTAL_RATE = 50.0, 100, 50.0
PASSWORD = "bench-portal-password"
USER_PAGES = ("/", "/me/forwards", "/me/calls", "/me/calls?type=missed", "/me/calls?period=month&day=2026-06-01",
              "/me/contacts", "/me/directory", "/me/phonebook", "/me/voicemail", "/account/password")
ADMIN_PAGES = tuple(f"/t/{TENANT}/{page}" for page in ("users", "users?q=User 1-99", "numbers", "ivr", "groups",
                                                       "schedules", "audio", "billing", "voicemail"))
_TOKEN = re.compile(rb'name="csrf_token" value="([^"]*)"')
_OLDER = re.compile(rb'href="/me/calls\?after=([0-9.]+)"')


def run(options, scale: datasets.Scale, engines, report=print) -> list[Line]:
    return b6_api.on_big_tenant(options, scale, engines, measure, report, prepare=logins)


def logins(url: str) -> None:
    login(url, "bench-user", "--role", "user", "--tenant", TENANT, "--user", USER)
    login(url, "bench-admin", "--role", "tenant-admin", "--tenant", TENANT)


def login(url: str, username: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--database", url, "login", "add", username, *args],
                   input=PASSWORD + "\n", capture_output=True, text=True, check=True, cwd=servers.ROOT,
                   env=servers._env())


def measure(options, url: str, engine: str, scale: datasets.Scale) -> list[Line]:
    with tempfile.TemporaryDirectory() as tmp, b6_api.api_server(url, Path(tmp), options) as server:
        lines = [] if options.hot_path_only else page_lines(server.port, engine)
        lines.append(b6_api.hot_path_line(options, url, engine, scale, Path(tmp), signed_in(server.port), PORTAL_STEPS,
                                          bench=BENCH, what="the portal", rate=PORTAL_RATE))
    return lines


def page_lines(port: int, engine: str) -> list[Line]:
    person = Browser(port)
    person.sign_in("bench-user")
    ceiling = [person.get("/static/vendor/pico.min.css")[1] for _ in range(VIEWS_PER_PAGE)]
    lines = [page_line(person, path, engine, ceiling) for path in USER_PAGES]
    admin = Browser(port)
    admin.sign_in("bench-admin")
    lines += [page_line(admin, path.replace(" ", "%20"), engine, ceiling) for path in ADMIN_PAGES]
    return lines + [deep_pages_line(person, engine, ceiling)]


class Browser:
    """A keep-alive HTTP client that keeps the session cookie and posts forms with their token."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[bytes, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        response, data, elapsed = b6_api.timed_request(self.connection, method, path, body, headers)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {data[:300]!r}")
        return data, elapsed

    def get(self, path: str) -> tuple[bytes, float]:
        return self.request("GET", path)

    def post(self, page: str, action: str, form: dict) -> tuple[bytes, float]:
        token = _TOKEN.search(self.get(page)[0]).group(1).decode()
        return self.request("POST", action, {"csrf_token": token, **form})

    def sign_in(self, username: str) -> None:
        self.post("/login", "/login", {"username": username, "password": PASSWORD})
        if "centralita_session" not in self.cookies:
            raise RuntimeError("the bench login could not sign in")


def page_line(person: Browser, path: str, engine: str, ceiling: list[float]) -> Line:
    latencies = [person.get(path)[1] for _ in range(VIEWS_PER_PAGE)]
    return _line(f"GET {path} · {engine}", latencies, ceiling)


def deep_pages_line(person: Browser, engine: str, ceiling: list[float]) -> Line:
    """The call log's "older calls" link followed VIEWS_PER_PAGE times: 50 calls a page, ever deeper."""
    latencies, path = [], "/me/calls"
    for _ in range(VIEWS_PER_PAGE):
        body, elapsed = person.get(path)
        latencies.append(elapsed)
        found = _OLDER.search(body)
        path = f"/me/calls?after={found.group(1).decode()}" if found else "/me/calls"
    return _line(f"call log, {VIEWS_PER_PAGE} pages deep · {engine}", latencies, ceiling)


def _line(name: str, latencies: list[float], ceiling: list[float]) -> Line:
    ours, bare = b6_api._p99(latencies), b6_api._p99(ceiling)
    return Line(BENCH, name, f"p50 {1000 * statistics.median(latencies):.2f} / p99 {ours:.2f} ms",
                f"static file p99 {bare:.2f} ms", ours / P99_MS, f"p99 < {P99_MS:.0f} ms",
                ours < P99_MS, 1.0, higher_is_better=False)


def signed_in(port: int) -> list[Browser]:
    """The portal load's browsers, signed in before the measurement starts: a sign-in is a password
    hash (argon2, tens of ms of the server's CPU), not a page view a second."""
    browsers = [Browser(port) for _ in range(paced_load.CLIENTS)]
    for browser in browsers:
        browser.sign_in("bench-user")
    return browsers


# PORTAL_RATE page views a second, in turn: the user's first pages, a forward saved every sixth view.
PORTAL_STEPS = tuple(lambda person, path=path: person.get(path) for path in USER_PAGES[:5]) + (
    lambda person: person.post("/me/forwards", "/me/forwards/busy", {"kind": "voicemail", "action": "set"}),)


if __name__ == "__main__":
    from benches.__main__ import main

    sys.exit(main(["--bench", "b7", *sys.argv[1:]]))
