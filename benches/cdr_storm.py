"""B8's CDR storm: `python -m benches.cdr_storm PORT RATE [DOMAIN]` posts fresh CDRs (of a call
of user 1001 of DOMAIN, when given: serve files its call-log entries) at RATE a second until
terminated, then prints one JSON object: how many were stored (200), sent, over how many seconds,
and where the time went: how late each post was sent after it was due (the generator's share:
no free thread, or its threads not scheduled) and how long its answer took (the server's share).

Open loop, as mod_json_cdr posts from the thread of each call ending: post k is due at k/RATE
seconds whatever was answered before, and is sent then by whichever of POSTERS threads is free
(late when none is, never skipped), on a new connection. A slow answer holds one thread, not the
schedule: the rate falls short only when POSTERS posts are in flight at once (answers slower than
POSTERS / RATE seconds), or when the generator itself does not get the CPU to send on time, which
`late` shows.
"""
from __future__ import annotations

import json
import resource
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serve_process import cdr_with_uuid, post  # noqa: E402

# Posts in flight at most: a post waiting on its answer (for SQLite's write lock, say) holds its
# thread. With 8 threads each waiting for its answer (closed loop) the rate measured the answers'
# latency (8 / latency) rather than what FreeSWITCH offers, which does not wait: at 1,000 calls/s
# ending, a 50 ms answer means 50 posts in flight. 128 keeps the schedule unless answers take 128 ms.
POSTERS = 128
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
RECORDED_DOMAIN = "acme.example"  # the tenant of the recorded CDR (tests/fixtures/freeswitch/json_cdr)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def summary(stored: int, sent: int, seconds: float, late: list[float], answers: list[float]) -> dict:
    """What the storm prints: counts, and the p50/p99/max of lateness and answer time in ms."""
    figures = {"stored": stored, "sent": sent, "seconds": round(seconds, 3)}
    for name, values in (("late", late), ("answer", answers)):
        for label, fraction in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
            figures[f"{name}_{label}_ms"] = round(percentile(values, fraction) * 1000, 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    return figures


def storm(port: int, rate: int, domain: str | None = None) -> dict:
    """`domain`: the tenant the calls are of. The recorded CDR's own (acme.example) is no tenant of
    serve's demo database: its legs were stored without a tenant, no entry classified, filed or
    checked against the tenant and user rows, which every real call of a tenant costs."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    body = json.dumps(cdr_with_uuid(_PLACEHOLDER))
    if domain:
        body = body.replace(RECORDED_DOMAIN, domain)
    counts = {"sent": 0, "stored": 0, "due": 0}
    late: list[float] = []
    answers: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()

    def next_due() -> float:
        with lock:
            counts["due"] += 1
            return started + (counts["due"] - 1) / rate

    def poster():
        while not stop.is_set():
            due = next_due()
            if stop.wait(max(0.0, due - time.monotonic())):
                return  # due after the end: never offered
            sending = time.monotonic()
            call = str(uuid.uuid4())
            try:
                status, _, seconds = post(port, f"/cdr?uuid={call}", body.replace(_PLACEHOLDER, call).encode(),
                                          "application/json", 15)
            except OSError:
                status, seconds = 0, time.monotonic() - sending
            with lock:
                counts["sent"] += 1
                counts["stored"] += status == 200
                late.append(sending - due)
                answers.append(seconds)

    threads = [threading.Thread(target=poster, daemon=True) for _ in range(POSTERS)]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        stop.wait(0.2)
    seconds = time.monotonic() - started  # posts still in flight were due before now: they count
    for thread in threads:
        thread.join(timeout=20)
    with lock:
        return summary(counts["stored"], counts["sent"], seconds, list(late), list(answers))


if __name__ == "__main__":
    print(json.dumps(storm(int(sys.argv[1]), int(sys.argv[2]), (sys.argv[3:4] or [None])[0])), flush=True)
