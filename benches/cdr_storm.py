"""B8's CDR storm: `python -m benches.cdr_storm PORT RATE [DOMAIN]` posts fresh CDRs (of a call
of user 1001 of DOMAIN, when given: serve files its call-log entries) at RATE a second until
terminated, then prints one JSON object: how many were stored (200), sent, over how many seconds,
how many were stored by then (`filed`: what the server kept up with; the rest were still waiting,
and are stored, counted and timed after), and where the time went: how late each post was sent
(its last byte) after it was due (the generator's share: it did not get a CPU in time, or the
server did not accept the connection) and how long its answer took from then (the server's share;
200s only: a refusal is fast and files nothing).

Open loop, as mod_json_cdr posts from the thread of each call ending: post k is due at k/RATE
seconds whatever was answered before, and is sent then on a new connection, however many posts
are still waiting for their answers (up to MAX_IN_FLIGHT, or what the file descriptor limit
allows; then late, never skipped). One thread
drives every connection (non-blocking sockets, one selector). The storm before had 128 threads,
one post in flight each: answers slower than 128 ms on average made posts late (B8 on PostgreSQL:
answers p99 237 ms, posts sent late p99 1.1 s, 932 CDR/s), so it measured its own cap as much as
the server; and its threads cost more CPU (243 against 203 us a post, 500 posts/s to `serve
--only web` on SQLite; about half of either is the kernel's, loopback TCP on a new connection).
"""
from __future__ import annotations

import json
import resource
import selectors
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serve_process import FS_AUTHORIZATION, cdr_with_uuid  # noqa: E402

# Posts in flight at most (file descriptors). Eight posters each waiting for its answer (closed
# loop, the storm before last) offered 8 / answer time: the answers' latency, not what FreeSWITCH
# offers, which does not wait: at 1,000 calls/s ending, a 50 ms answer means 50 posts in flight.
MAX_IN_FLIGHT = 4096
SPARE_FILES = 64  # descriptors kept for everything else the process opens
ANSWER_TIMEOUT = 15.0  # seconds; then the post counts as sent and not stored
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
RECORDED_DOMAIN = "acme.example"  # the tenant of the recorded CDR (tests/fixtures/freeswitch/json_cdr)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def summary(stored: int, sent: int, seconds: float, late: list[float], answers: list[float], filed: int) -> dict:
    """What the storm prints: counts, and the p50/p99/max of lateness and answer time in ms."""
    figures = {"stored": stored, "sent": sent, "seconds": round(seconds, 3), "filed": filed}
    for name, values in (("late", late), ("answer", answers)):
        for label, fraction in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
            figures[f"{name}_{label}_ms"] = round(percentile(values, fraction) * 1000, 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    return figures


class _Post:
    """One post on its own non-blocking connection: sent, then read until the server closes."""

    __slots__ = ("due", "opened", "sending", "data", "sent", "answer")

    def __init__(self, due: float, opened: float, data: bytes):
        self.due, self.opened, self.data, self.sent, self.answer = due, opened, data, 0, bytearray()
        self.sending: float | None = None  # when its last byte left: the answer is the server's from then


def request(port: int, body: str, call: str) -> bytes:
    """The bytes of one post of CDR `call`, as tests.serve_process.post sends it."""
    payload = body.replace(_PLACEHOLDER, call).encode()
    return (f"POST /cdr?uuid={call} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Authorization: {FS_AUTHORIZATION}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def most_in_flight() -> int:
    """MAX_IN_FLIGHT, or fewer when the hard limit on open files is lower (the soft limit is raised
    to fit: a default of 1,024 would make socket() fail with EMFILE at 1,024 posts in flight)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_IN_FLIGHT + SPARE_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_IN_FLIGHT + SPARE_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return MAX_IN_FLIGHT if soft == resource.RLIM_INFINITY else max(1, min(MAX_IN_FLIGHT, soft - SPARE_FILES))


def storm(port: int, rate: int, domain: str | None = None) -> dict:
    """`domain`: the tenant the calls are of. The recorded CDR's own (acme.example) is no tenant of
    serve's demo database: its legs were stored without a tenant, no entry classified, filed or
    checked against the tenant and user rows, which every real call of a tenant costs."""
    stop: list[float] = []  # when SIGTERM came
    signal.signal(signal.SIGTERM, lambda *_: stop.append(time.monotonic()))
    body = json.dumps(cdr_with_uuid(_PLACEHOLDER))
    if domain:
        body = body.replace(RECORDED_DOMAIN, domain)
    selector = selectors.DefaultSelector()
    counts = {"sent": 0, "stored": 0, "filed": 0}
    late: list[float] = []
    answers: list[float] = []
    started = time.monotonic()
    offered = 0  # posts sent so far; post k is due at started + k / rate
    cap = most_in_flight()

    def finish(sock: socket.socket, post: _Post, status: int) -> None:
        selector.unregister(sock)
        sock.close()
        counts["sent"] += 1
        counts["stored"] += status == 200
        counts["filed"] += status == 200 and not stop
        late.append((post.sending or post.opened) - post.due)
        if status == 200:  # a refusal or an error answers fast: not the server's time to file a CDR
            answers.append(time.monotonic() - post.sending)

    def advance(sock: socket.socket, post: _Post) -> None:
        try:
            if post.sent < len(post.data):
                post.sent += sock.send(memoryview(post.data)[post.sent:])
                if post.sent == len(post.data):
                    post.sending = time.monotonic()
                    selector.modify(sock, selectors.EVENT_READ, post)
                return
            chunk = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            finish(sock, post, 0)
            return
        if chunk:
            post.answer += chunk
            return
        status_line = bytes(post.answer).partition(b"\r\n")[0].split()
        finish(sock, post, int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0)

    checked = started
    while not stop or selector.get_map():
        now = time.monotonic()
        short_of_files = False
        while not stop and started + offered / rate <= now and len(selector.get_map()) < cap:
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            except OSError:  # out of descriptors or buffers: the post stays due, tried again next turn
                short_of_files = True
                break
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))  # in progress: writable once connected (or refused)
            selector.register(sock, selectors.EVENT_WRITE,
                              _Post(started + offered / rate, now, request(port, body, str(uuid.uuid4()))))
            offered += 1
        if stop or len(selector.get_map()) >= cap:
            wait = 0.2  # nothing to send until a post finishes: sleep in select, not spin beside the server
        elif short_of_files:
            wait = 0.01
        else:
            wait = min(0.2, max(0.0, started + offered / rate - time.monotonic()))
        for key, _ in selector.select(timeout=wait):
            advance(key.fileobj, key.data)
        if now - checked > 0.5:
            checked = now
            for key in list(selector.get_map().values()):
                if now - key.data.opened > ANSWER_TIMEOUT:
                    finish(key.fileobj, key.data, 0)
    seconds = stop[0] - started  # posts still in flight then were due before: they count
    return summary(counts["stored"], counts["sent"], seconds, late, answers, counts["filed"])


if __name__ == "__main__":
    print(json.dumps(storm(int(sys.argv[1]), int(sys.argv[2]), (sys.argv[3:4] or [None])[0])), flush=True)
