"""B9: advanced groups' lines shared by two nodes on one PostgreSQL (issue 17 [14] item 8).

Two node processes (`python -m benches.b9_queues --node NAME …`, each its own PostgreSQL sessions,
as two `centralita serve` would have) share a fresh database:

  1. claims: 200 callers waiting and 50 members shared by every group. Each node runs `threads`
     (2) sessions, each serving a group of its own (4 groups of 50 callers; callers of one group
     on two sessions would only spin, the later refused until the earlier is served): a session
     claims for its first caller, the members tried from a rotating start, then that caller
     leaves whether it got one or not (its offer ends with it) and a new caller joins at the back,
     so each line stays at 50. Counted: claims that got a member (offers) per second over both
     nodes ≥ 500, and their p99 < 10 ms (the claim's statement alone; leaving and joining are
     not timed). The ceiling, measured in the same run by the same processes and threads: the
     least a claim and its end cost, the group's advisory lock and one queue_offer row inserted
     in one round trip (timed: its p99), then the row deleted in another, commits not waiting
     for the disk as the store's; the ratio is offers/s over those lock-and-write iterations/s.
  2. wake-up: one member, a caller on each node, handing the member back and forth: a node's
     caller leaves with its offer (the member hung up: release and leave, one transaction) and a
     new one joins behind the other node's; the other node's caller, waiting in
     fs_plugins/cluster/wakeups.py (LISTEN), is woken and claims the member. Time from the leave's
     return (its commit) to the other node's claim returning with the member, wall clock of the
     two processes on one machine, p99 < 200 ms over `handoffs` (200) hand-offs (without the
     wake-up it is the 5 s wait, the melody chunk's length).

Run: `python -m benches --bench b9` (--quick: shorter runs). Exits non-zero on a miss, as every bench.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benches import report  # noqa: E402

BENCH = "B9 queues"
GROUP = 7
MEMBERS = [f"m{i}@bench.test" for i in range(50)]
NODES = ("node-a", "node-b")
# The ceiling's statements: what the store's claim must do at the least (its own copy, so the
# ceiling stays the same whatever the store becomes).
ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit = off"
GROUP_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('centralita-queue:' || current_schema()), %(group)s)"


@dataclass(frozen=True)
class Settings:
    seconds: float = 5.0  # claims measured for this long (each side: claims, then the ceiling)
    callers: int = 200
    members: int = 50
    threads: int = 2  # callers' sessions per node
    handoffs: int = 200  # wake-up: releases measured


def run(quick: bool, say) -> list[report.Line]:
    settings = Settings(seconds=2.0, handoffs=60) if quick else Settings()
    lines = []
    for line in measure(settings):
        say(line.text())
        lines.append(line)
    return lines


def measure(settings: Settings) -> list[report.Line]:
    from benches.b8_faults import fresh_postgresql

    with fresh_postgresql() as url:
        _prepare(url)
        claims = _both("claims", url, settings)
        ceiling = _both("ceiling", url, settings)
        handoffs = _both("wakeup", url, settings)
    return [claims_line(settings, claims, ceiling), wakeup_line(handoffs)]


def claims_line(settings: Settings, claims: list[dict], ceiling: list[dict]) -> report.Line:
    rate = sum(part["count"] for part in claims) / settings.seconds
    p99_ms = _p99([ms for part in claims for ms in part["ms"]])
    ceiling_rate = sum(part["count"] for part in ceiling) / settings.seconds
    ceiling_p99 = _p99([ms for part in ceiling for ms in part["ms"]])
    return report.Line(
        BENCH, f"offers, 2 nodes, {settings.callers} callers × {settings.members} members",
        f"{rate:,.0f} claims/s, p99 {p99_ms:.1f} ms",
        f"{ceiling_rate:,.0f} locked writes/s, p99 {ceiling_p99:.1f} ms",
        rate / ceiling_rate if ceiling_rate else 0.0, "≥ 500 claims/s and p99 < 10 ms (absolute)",
        rate >= 500 and p99_ms < 10, goal=500 / ceiling_rate if ceiling_rate else 1.0)


def wakeup_line(parts: list[dict]) -> report.Line:
    released = {stamp["turn"]: stamp["released"] for part in parts for stamp in part["released"]}
    delays = [(stamp["claimed"] - released[stamp["turn"] - 1]) * 1000
              for part in parts for stamp in part["claimed"] if stamp["turn"] - 1 in released]
    p99_ms = _p99(delays)
    return report.Line(BENCH, "member freed on one node → offered on the other",
                       f"p99 {p99_ms:.1f} ms over {len(delays)} hand-offs", "", p99_ms / 200,
                       "p99 < 200 ms", bool(delays) and p99_ms < 200, goal=1.0, higher_is_better=False)


def _p99(values: list[float]) -> float:
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _both(phase: str, url: str, settings: Settings) -> list[dict]:
    """Run `phase` on both nodes at once; each prints one JSON document."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start_at = time.time() + 1.5  # both begin together, after their imports
    procs = [subprocess.Popen(
        [sys.executable, "-m", "benches.b9_queues", "--node", node, "--phase", phase, "--url", url,
         "--start-at", str(start_at), "--seconds", str(settings.seconds), "--callers", str(settings.callers),
         "--members", str(settings.members), "--threads", str(settings.threads),
         "--handoffs", str(settings.handoffs), "--first", str(int(node == NODES[0]))],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for node in NODES]
    parts = []
    for proc in procs:
        out, err = proc.communicate(timeout=settings.seconds * 4 + settings.handoffs + 60)
        if proc.returncode != 0:
            raise RuntimeError(f"B9 node failed ({phase}): {err.strip()[-2000:]}")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    return parts


def _prepare(url: str) -> None:
    from fs_plugins import db as dbmod
    from fs_plugins.cluster import nodes

    db = dbmod.connect(url)
    for name in NODES:
        nodes.beat(name, "127.0.0.1:0", started=True)
    db.close()


# -- inside a node process ----------------------------------------------------------------------
def _in_threads(count: int, session) -> dict:
    """session(index) -> (claims done, their milliseconds) in `count` threads at once; the totals."""
    results: list[tuple[int, list[float]]] = []
    threads = [threading.Thread(target=lambda i=i: results.append(session(i))) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"count": sum(done for done, _ in results), "ms": [ms for _, mine in results for ms in mine]}


def _node_claims(args) -> dict:
    from fs_plugins import db as dbmod
    from fs_plugins.groups.store import SharedQueues

    db = dbmod.connect(args.url, upgrade_schema=False)
    members = MEMBERS[:args.members]
    per_thread = args.callers // len(NODES) // args.threads
    node_index = NODES.index(args.node)
    def session(index: int) -> tuple[int, list[float]]:
        # Each session serves a group of its own (all groups share every member): callers of one
        # group on two sessions would spin, the later one's claims refused until the earlier is
        # served, which a real caller does not do (it waits for news: the wake-up measurement).
        group = GROUP + node_index * args.threads + index
        queue = SharedQueues(args.node).of(group)
        entries = [queue.join(f"{args.node}-{index}-{n}", 0, 10_000) for n in range(per_thread)]
        _wait_until(args.start_at)
        end = time.monotonic() + args.seconds
        done, mine, turn = 0, [], index * 7
        while time.monotonic() < end:
            entry = entries[0]
            turn += 1
            start = turn % len(members)
            began = time.perf_counter()
            keys = queue.claim(entry, members[start:] + members[:start], 1, lambda key: False)
            took = (time.perf_counter() - began) * 1000
            if keys:
                done += 1
                mine.append(took)
            queue.leave(entry)  # answered and ended (or given up): a new caller joins at the back
            entries = entries[1:] + [queue.join(f"{args.node}-{index}-{turn}", 0, 10_000)]
        for entry in entries:
            queue.leave(entry)
        db.close()
        return done, mine

    return _in_threads(args.threads, session)


def _node_ceiling(args) -> dict:
    """The least a claim and its end can cost: the group's lock and one offer row written, in one
    round trip, then the row deleted in another, by the same sessions (commits not waiting for
    the disk, as the store's)."""
    from fs_plugins import db as dbmod

    db = dbmod.connect(args.url, upgrade_schema=False)
    node_index = NODES.index(args.node)

    def session(index: int) -> tuple[int, list[float]]:
        group = GROUP + node_index * args.threads + index
        member = f"ceiling-{group}"
        write = (ASYNC_COMMIT_SQL + "; " + GROUP_LOCK_SQL + "; INSERT INTO queue_offer"
                 " (member, group_id, entry_id, node, offered_at)"
                 " VALUES (%(member)s, %(group)s, 0, %(node)s, now()) RETURNING member")
        params = {"group": group, "member": member, "node": args.node}
        _wait_until(args.start_at)
        end = time.monotonic() + args.seconds
        done, mine = 0, []
        while time.monotonic() < end:
            began = time.perf_counter()
            db.execute_sql(write, params).fetchone()
            mine.append((time.perf_counter() - began) * 1000)
            db.execute_sql(ASYNC_COMMIT_SQL + "; DELETE FROM queue_offer WHERE member = %s", (member,))
            done += 1
        db.close()
        return done, mine

    return _in_threads(args.threads, session)


def _node_wakeup(args) -> dict:
    """Turns alternate: node a holds the member on even turns, node b on odd ones."""
    from gevent import monkey

    monkey.patch_all()
    from fs_plugins import db as dbmod
    from fs_plugins.cluster.wakeups import Wakeups
    from fs_plugins.groups.store import SharedQueues

    db = dbmod.connect(args.url, upgrade_schema=False)
    wakeups = Wakeups.of(db).start()
    wakeups.listening.wait(10)
    queues = SharedQueues(args.node)
    queue = queues.of(GROUP)
    member = [MEMBERS[0]]
    released, claimed = [], []
    # Node a's caller first in line, node b's behind it, before either looks: from then on each
    # node's next caller joins behind the other's, so the member goes back and forth.
    _wait_until(args.start_at + (0 if args.first else 0.3))
    turn = 0 if args.first else 1
    entry = queue.join(f"{args.node}-{turn}", 0, 100)
    _wait_until(args.start_at + 0.6)
    deadline = time.monotonic() + args.handoffs * 2 + 30
    while turn < args.handoffs and time.monotonic() < deadline:
        with wakeups.watching(GROUP, entry.seq, member) as waiter:  # before the look: no news missed
            keys = queue.claim(entry, member, 1, lambda key: False)
            if not keys:
                waiter.woken.wait(5.0)
                continue
        claimed.append({"turn": turn, "claimed": time.time()})
        time.sleep(0.01)  # the member talks for a moment
        queue.leave(entry)  # the member hung up
        released.append({"turn": turn, "released": time.time()})
        turn += 2
        entry = queue.join(f"{args.node}-{turn}", 0, 100)
    queue.leave(entry)
    wakeups.stop()
    db.close()
    return {"released": released, "claimed": claimed}


def _wait_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def node_main(argv) -> None:
    parser = argparse.ArgumentParser()
    for name in ("--node", "--phase", "--url"):
        parser.add_argument(name, required=True)
    parser.add_argument("--start-at", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    for name in ("--callers", "--members", "--threads", "--handoffs", "--first"):
        parser.add_argument(name, type=int, default=0)
    args = parser.parse_args(argv)
    phase = {"claims": _node_claims, "ceiling": _node_ceiling, "wakeup": _node_wakeup}[args.phase]
    print(json.dumps(phase(args)), flush=True)


if __name__ == "__main__":
    if "--node" in sys.argv:
        node_main(sys.argv[1:])
    else:
        lines = run("--quick" in sys.argv, lambda text: print(text, flush=True))
        sys.exit(0 if all(line.ok for line in lines) else 1)
