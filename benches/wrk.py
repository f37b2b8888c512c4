"""wrk, the C load generator of the HTTP benches: found (or installed with apt-get), pinned to the
core the server does not use, fed recorded bodies by benches/wrk_bodies.lua.

Latency is wrk's, measured in the client from the request's first byte written to the response's
last byte read (its histogram gives p50/p99/p99.9, and comes back whole for benches that pool
several runs); the connection is new for every request.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from benches.servers import CLIENT_CORE, FREESWITCH_AUTHORIZATION

SCRIPT = Path(__file__).with_name("wrk_bodies.lua")
FREESWITCH_RR_PRIORITY = 89


def may_run_realtime() -> bool:
    """Whether this process may start wrk under SCHED_RR FREESWITCH_RR_PRIORITY (root, or a high
    enough RLIMIT_RTPRIO); if not, paced wrk runs at normal priority, as before."""
    soft, _ = resource.getrlimit(resource.RLIMIT_RTPRIO)
    return os.geteuid() == 0 or soft == resource.RLIM_INFINITY or soft >= FREESWITCH_RR_PRIORITY


def find_or_install() -> tuple[str, str]:
    """(path of wrk, what was done to get it)."""
    found = shutil.which("wrk")
    if found:
        return found, f"wrk found at {found}"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is needed for the HTTP benches: install the Debian package `wrk` (apt-get install wrk)")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        subprocess.run(install, capture_output=True, check=True)
    return shutil.which("wrk"), "wrk installed with apt-get install wrk (Debian package)"


@dataclass(frozen=True)
class Result:
    rate: float  # completed requests per second
    requests: int
    errors: int  # connect, read, write, timeout and HTTP >= 400, all together
    p50_ms: float
    p99_ms: float
    p999_ms: float
    # microseconds → requests that took that long (wrk's histogram, as its percentiles use it)
    histogram: dict[int, int] = field(default_factory=dict, repr=False, compare=False)


def write_bodies(path: Path, requests: Iterable[tuple[str, bytes]]) -> Path:
    """The requests file wrk_bodies.lua reads: (url path, body) pairs."""
    with open(path, "wb") as out:
        for url_path, body in requests:
            out.write(b"%s %d\n" % (url_path.encode(), len(body)))
            out.write(body)
    return path


def run(wrk: str, url: str, bodies: Path, content_type: str, connections: int, seconds: int,
        rate: float | None = None) -> Result:
    """As fast as the server answers on `connections`, or `rate` requests a second on a fixed
    schedule (the connections take turns; give enough that one slow answer does not hold the rest).

    At a fixed rate wrk stands for FreeSWITCH sending its requests as calls and REGISTERs come, and
    runs as FreeSWITCH does: SCHED_RR priority 89, its Debian unit's setting
    (debian/freeswitch-systemd.freeswitch.service: CPUSchedulingPolicy=rr, CPUSchedulingPriority=89).
    So nothing else on the client core (the bench's own load clients, this machine's other services)
    delays the answer's read and is charged to the server as latency. As fast as it can, wrk keeps
    normal priority: a real-time task that never sleeps would starve the core's kernel threads."""
    realtime = ["chrt", "--rr", str(FREESWITCH_RR_PRIORITY)] if rate and may_run_realtime() else []
    argv = [*realtime, "taskset", "-c", str(CLIENT_CORE), wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(SCRIPT), url, "--", str(bodies), content_type, FREESWITCH_AUTHORIZATION,
            *([f"{rate:.3f}"] if rate else [])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
    figures = json.loads(lines[-1])
    return Result(rate=figures["requests"] / (figures["duration_us"] / 1e6), requests=figures["requests"],
                  errors=sum(figures["errors"].values()), p50_ms=figures["p50_us"] / 1000,
                  p99_ms=figures["p99_us"] / 1000, p999_ms=figures["p999_us"] / 1000,
                  histogram={value: count for value, count in figures["histogram"]})
