"""What the servers did during each window of B6/B7's hot-path line: a bench run traced, then read.

    python -m benches.burst_trace --out DIR -- --bench b6 --hot-path-only --engine sqlite [--quick]

runs `python -m benches <those arguments> --results DIR/results` with BENCH_TRACE_DIR=DIR, so every
server the bench starts logs its garbage collections (benches/tracehook/sitecustomize.py), and
attaches to each `serve` process as it appears:
- `perf trace -T -e fdatasync,fsync`: SQLite syncs only at a checkpoint (synchronous=normal), so
  these are the checkpoints a process runs and how long each sync took;
- on the xml_curl handler, `perf record` of its context switches with kernel stacks: each time it
  left the CPU, for how long, in which state (S asleep, D waiting on the kernel, R preempted, by
  whom) and where.
Then, for every window of the line (their CLOCK_MONOTONIC spans are in the kept windows file), its
p99 beside what fell in it. `--read DIR` prints that again for a run already traced.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from benches import servers

ROOT = Path(__file__).resolve().parents[1]
SYNC_LINE = re.compile(r"^\s*(\d+\.\d+)\s+\(\s*([\d.]+) ms\):\s+(?:\S+/\d+\s+)?(fdatasync|fsync)\(")
SWITCH_LINE = re.compile(r"^\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+prev_comm=(.*?) "
                         r"prev_pid=(\d+) prev_prio=(\d+) prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
BORING = ("__schedule", "schedule", "schedule_", "preempt_schedule", "io_schedule", "do_syscall", "entry_SYSCALL",
          "__x64_sys", "exit_to_user", "irqentry", "asm_", "raw_spin", "_raw_")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--read", action="store_true", help="only read a run traced before")
    parser.add_argument("--handler-nice", type=int, default=None,
                        help="an experiment, not the product's setting: give every thread of each xml_curl "
                             "handler this niceness as soon as it starts (e.g. -10)")
    parser.add_argument("bench", nargs="*", help="arguments of python -m benches (after --)")
    args = parser.parse_args(argv)
    if not args.read:
        trace(args.out, args.bench, args.handler_nice)
    report(args.out)
    return 0


def trace(out: Path, bench: list[str], handler_nice: int | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BENCH_TRACE_DIR": str(out)}
    run = subprocess.Popen([sys.executable, "-m", "benches", *bench, "--results", str(out / "results")], cwd=ROOT,
                           env=env)
    tracers: dict[int, list[subprocess.Popen]] = {}
    try:
        while run.poll() is None:
            for pid_file in out.glob("pid-*"):
                pid = int(pid_file.name[4:])
                if pid in tracers:
                    continue
                cmdline = pid_file.read_text()
                tracers[pid] = attach(out, pid, cmdline, handler_nice) if " serve " in cmdline else []
            for pid, started in tracers.items():
                if started:
                    threads_of(out, pid)
                if started and not Path(f"/proc/{pid}").exists():
                    (out / f"gone-{pid}").write_text(repr(time.monotonic()))
                    stop(started)
                    tracers[pid] = []
            time.sleep(0.2)
    finally:
        for started in tracers.values():
            stop(started)
        if run.poll() is None:
            run.terminate()
        run.wait()


def attach(out: Path, pid: int, cmdline: str, handler_nice: int | None = None) -> list[subprocess.Popen]:
    role = cmdline.split("--only ", 1)[1].split()[0] if "--only " in cmdline else "all"
    (out / f"role-{pid}").write_text(role)
    (out / f"born-{pid}").write_text(repr(time.monotonic()))
    if role == "xml_curl" and handler_nice is not None:
        renice(pid, handler_nice)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    # the tracers on the client core (wrk's), never on the server core they watch
    pinned = ["taskset", "-c", str(servers.CLIENT_CORE)]
    started = [subprocess.Popen([*pinned, "perf", "trace", "-T", "-e", "fdatasync,fsync", "-p", str(pid),
                                 "-o", str(out / f"sync-{pid}.txt")], **quiet)]
    if role == "xml_curl":
        started.append(subprocess.Popen([*pinned, "perf", "record", "-a", "-g", "-e", "sched:sched_switch", "--filter",
                                         f"prev_pid == {pid} || next_pid == {pid}",
                                         "-o", str(out / f"sched-{pid}.data")], **quiet))
    return started


def threads_of(out: Path, pid: int) -> None:
    """Each thread of a traced server gets its process's role (role-<tid>): the scheduler names threads."""
    role = out / f"role-{pid}"
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            if not (out / f"role-{task}").exists():
                (out / f"role-{task}").write_text(role.read_text())
    except OSError:  # gone meanwhile
        pass


def renice(pid: int, nice: int) -> None:
    """Every thread of `pid` at niceness `nice`, in a thread of its own: once the process changed
    its own niceness at start (if it does), else after 60 s; threads started later inherit the main
    thread's. (Used with a handler_priority setting tried and reverted on lane-ckpt: see its note.)"""
    def later():
        deadline = time.monotonic() + 60
        try:
            first = os.getpriority(os.PRIO_PROCESS, pid)
            while time.monotonic() < deadline and os.getpriority(os.PRIO_PROCESS, pid) == first:
                time.sleep(0.05)
            for task in os.listdir(f"/proc/{pid}/task"):
                os.setpriority(os.PRIO_PROCESS, int(task), nice)
        except OSError:
            return
        print(f"burst_trace: xml_curl handler {pid} at niceness {nice}", flush=True)

    threading.Thread(target=later, daemon=True).start()


def stop(started: list[subprocess.Popen]) -> None:
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in started:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def syncs(out: Path) -> dict[int, list[tuple[float, float]]]:
    """pid -> [(monotonic seconds, ms)] of its fdatasync/fsync calls."""
    found = collections.defaultdict(list)
    for path in out.glob("sync-*.txt"):
        pid = int(path.stem[5:])
        for line in path.read_text(errors="replace").splitlines():
            match = SYNC_LINE.match(line)
            if match:
                found[pid].append((float(match.group(1)) / 1000, float(match.group(2))))
    return found


def gcs(out: Path) -> dict[int, list]:
    return {int(path.stem[3:]): json.loads(path.read_text())["events"] for path in out.glob("gc-*.json")}


def off_cpu(out: Path, pid: int) -> list[tuple[float, float, str, str, str]]:
    """(left at, ms away, prev_state, (comm, pid) of who ran next, where in the kernel) each time `pid`
    left the CPU."""
    data = out / f"sched-{pid}.data"
    if not data.exists():
        return []
    text = subprocess.run(["perf", "script", "-i", str(data)], capture_output=True, text=True).stdout
    events, current = [], None
    for line in text.splitlines():
        match = SWITCH_LINE.match(line)
        if match:
            current = {"t": float(match.group(4)), "prev": int(match.group(6)), "state": match.group(8),
                       "next_comm": match.group(9), "next": int(match.group(10)), "frames": []}
            events.append(current)
        elif current is not None and line.strip() and current["prev"] == pid and len(current["frames"]) < 12:
            parts = line.split()
            if len(parts) >= 2:
                current["frames"].append(parts[1].split("+")[0])
    away, left = [], None
    for event in events:
        if event["prev"] == pid:
            left = event
        elif event["next"] == pid and left is not None:
            where = next((f for f in left["frames"] if not f.startswith(BORING)), "?")
            away.append((left["t"], (event["t"] - left["t"]) * 1000, left["state"],
                         (left["next_comm"], left["next"]), where))
            left = None
    return away


def _n_max(values) -> str:
    values = list(values)
    return f"{len(values)}/{max(values, default=0):.1f}"


def named(task: tuple[str, int], roles: dict[int, str]) -> str:
    comm, pid = task
    return f"{comm} ({roles[pid]})" if pid in roles else comm


def report(out: Path) -> None:
    roles = {int(p.name[5:]): p.read_text() for p in out.glob("role-*")}
    synced, collected = syncs(out), gcs(out)
    for kept in sorted((out / "results").rglob("*hot-path-*.json")):
        windows = json.loads(kept.read_text())["windows"]
        begin, end = windows[0]["monotonic"][0], windows[-1]["monotonic"][1]
        alive = [pid for pid in collected if (out / f"born-{pid}").exists()
                 and float((out / f"born-{pid}").read_text()) <= end
                 and float((out / f"gone-{pid}").read_text() if (out / f"gone-{pid}").exists() else "inf") >= begin]
        print(f"\n== {kept.name}: servers {', '.join(f'{roles[p]} {p}' for p in alive)}")
        handler = next((p for p in alive if roles[p] == "xml_curl"), None)
        away = off_cpu(out, handler) if handler else []
        print("window side   p99 ms | handler: gc gen2 n/max ms | preempted >0.5 ms by the API, by postgres, by "
              "others: n/max ms | waits >0.5 ms not in epoll (D: on the kernel, S: asleep): n/max ms "
              "| other servers: fdatasync n/sum ms, gc gen2 n/max ms")
        for number, w in enumerate(windows):
            a, b = w["monotonic"]
            inside = lambda events: [e for e in events if a <= e[0] <= b]  # noqa: E731
            parts = [f"{number:>6} {w['side']:<6} {w['p99_ms']:6.2f} |"]
            if handler:
                full = [e for e in inside(collected.get(handler, [])) if e[1] == 2]
                parts.append(f"gen2 {_n_max(e[2] for e in full)} |")
                long = [e for e in inside(away) if e[1] > 0.5]
                preempted = [e for e in long if e[2].startswith("R")]
                by_api = [e[1] for e in preempted if roles.get(e[3][1]) not in (None, "xml_curl")]
                by_pg = [e[1] for e in preempted if e[3][1] not in roles and e[3][0] == "postgres"]
                by_others = [e[1] for e in preempted if e[3][1] not in roles and e[3][0] != "postgres"]
                parts.append(f"api {_n_max(by_api)}, pg {_n_max(by_pg)}, others {_n_max(by_others)} |")
                waits = [e for e in long if not e[2].startswith("R") and e[4] != "do_epoll_wait"]
                parts.append(f"D {_n_max(e[1] for e in waits if e[2].startswith('D'))}, "
                             f"S {_n_max(e[1] for e in waits if e[2].startswith('S'))}")
            for pid in alive:
                if pid == handler:
                    continue
                s = inside(synced.get(pid, []))
                full = [e for e in inside(collected.get(pid, [])) if e[1] == 2]
                parts.append(f"| {roles[pid]}: fdatasync {len(s)}/{sum(e[1] for e in s):.1f}, "
                             f"gen2 {_n_max(e[2] for e in full)}")
            print(" ".join(parts))
        if away:
            for side in ("quiet", "loaded"):
                spans = [w["monotonic"] for w in windows if w["side"] == side]
                preempted = [e for e in away if e[1] > 0.5 and e[2].startswith("R")
                             and any(a <= e[0] <= b for a, b in spans)]
                by = collections.defaultdict(list)
                for e in preempted:
                    who = roles.get(e[3][1]) or ("postgres" if e[3][0] == "postgres" else "others")
                    by[who].append(e[1])
                print(f"{side} windows: handler preempted > 0.5 ms: " + (", ".join(
                    f"by {who} {len(v)} times, {sum(v):.1f} ms in all, longest {max(v):.1f}"
                    for who, v in sorted(by.items())) or "never"))
            spans = [w["monotonic"] for w in windows]
            long = [e for e in away if e[1] > 0.5 and any(a <= e[0] <= b for a, b in spans)]
            summary = collections.Counter((e[2], named(e[3], roles) if e[2].startswith("R") else e[4]) for e in long)
            print("handler off the CPU > 0.5 ms inside windows, by (state, whom it yielded to / where):")
            for (state, where), count in summary.most_common(15):
                print(f"   {count:5d}  {state:<3} {where}")


if __name__ == "__main__":
    sys.exit(main())
