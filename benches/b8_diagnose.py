"""Where B8's import + CDR storm spends the machine (`python -m benches.b8_faults --diagnose`).

`python -m benches.b8_diagnose URL ROLE=PID …` runs beside the measurement until SIGTERM, then
prints what it saw, for each process of the run (serve's two roles, the storm, the import, the
bench) and each PostgreSQL backend of the database (named by the process at the other end of its
connection) and PostgreSQL's own processes:

* CPU seconds and seconds runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat: a
  process starved by the others waits there, not on the database);
* on PostgreSQL, what its backends were doing, sampled every SAMPLE_SECONDS from pg_stat_activity
  (state and wait_event), and how often any lock request on this database was waiting (pg_locks,
  not granted);
* the change of pg_stat_slru (MultiXact pages), pg_stat_bgwriter (checkpoints) and pg_stat_wal.
  These three are the whole server's (cluster-wide): another database's work on a shared server
  (another suite's tests) counts in them too.

A diagnosis, not a measurement: the sampler costs the machine a few percent of a core.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import sys
import threading

import psycopg2

SAMPLE_SECONDS = 0.025
# Checkpoints and the buffers they wrote: pg_stat_bgwriter's until PostgreSQL 16, pg_stat_checkpointer's
# from 17 (which dropped buffers_backend: the backends' writes moved to pg_stat_io).
CHECKPOINTS_SQL = {False: "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint FROM pg_stat_bgwriter",
                   True: "SELECT num_timed, num_requested, buffers_written FROM pg_stat_checkpointer"}
SCHEDSTAT_EVERY = 8  # samples: reading every thread's file of every process and backend (serve's
# threads, the probe's pool) 40 times a second is not free


def schedstat(pid: int) -> dict[int, tuple[int, int]]:
    """Per thread of `pid`: (ns on a CPU, ns runnable waiting for one)."""
    seen = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return seen
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as file:
                running, waiting, _ = file.read().split()
        except (OSError, ValueError):
            continue
        seen[int(task)] = (int(running), int(waiting))
    return seen


def socket_owners(pids: dict[str, int]) -> dict[int, str]:
    """Local TCP port -> role of the process holding that socket (to name a backend's client)."""
    inodes = {}
    for role, pid in pids.items():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes[target[8:-1]] = role
    owners = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as file:
                next(file)
                for line in file:
                    fields = line.split()
                    if fields[9] in inodes:
                        owners[int(fields[1].rsplit(":", 1)[1], 16)] = inodes[fields[9]]
        except OSError:
            continue
    return owners


class Sampler:
    def __init__(self, url: str, pids: dict[str, int]):
        self.url, self.pids = url, pids
        self.conn = psycopg2.connect(url) if url.startswith("postgresql") else None  # SQLite: processes only
        if self.conn:
            self.conn.autocommit = True
        self.backends: dict[int, str] = {}  # backend pid -> "pg: <client role>" or its backend_type
        self.cpu: dict[str, dict[int, tuple[int, int]]] = collections.defaultdict(dict)  # role -> tid -> last
        self.first: dict[str, dict[int, tuple[int, int]]] = collections.defaultdict(dict)
        self.states: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.lock_waits = 0
        self.samples = 0
        self.initial_backends: set[int] = set()
        self.before = self.server_stats()

    def server_stats(self) -> dict:
        if self.conn is None:
            return {}
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT name, blks_zeroed, blks_hit, blks_read, blks_written FROM pg_stat_slru"
                           " WHERE name LIKE 'Multi%' OR name = 'Xact'")
            stats = {f"slru {name} {column}": value for name, *values in cursor.fetchall()
                     for column, value in zip(("zeroed", "hit", "read", "written"), values)}
            cursor.execute(CHECKPOINTS_SQL[self.conn.server_version >= 170000])
            stats.update(zip(("checkpoints_timed", "checkpoints_req", "buffers_checkpoint"), cursor.fetchone()))
            cursor.execute("SELECT wal_records, wal_bytes, wal_sync FROM pg_stat_wal")
            stats.update(zip(("wal_records", "wal_bytes", "wal_sync"), (int(v) for v in cursor.fetchone())))
            cursor.execute("SELECT xact_commit, xact_rollback, tup_inserted FROM pg_stat_database"
                           " WHERE datname = current_database()")
            stats.update(zip(("xact_commit", "xact_rollback", "tup_inserted"), cursor.fetchone()))
        return stats

    def sample(self) -> None:
        if self.conn is None:
            return
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT pid, client_port, backend_type, state, wait_event_type, wait_event"
                           " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                           " AND (datname = current_database() OR datname IS NULL)")
            activity = cursor.fetchall()
            # By the waiting backend's database: a row lock is waited on as the holder's transaction
            # id, a lock with no database of its own.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid IN"
                           " (SELECT pid FROM pg_stat_activity WHERE datname = current_database())")
            self.lock_waits += cursor.fetchone()[0] > 0
        if not self.samples:
            self.initial_backends = {row[0] for row in activity}
        self.samples += 1
        unknown = [row for row in activity if row[0] not in self.backends]
        if unknown:
            owners = socket_owners(self.pids)
            for pid, port, backend_type, *_ in unknown:
                if backend_type == "client backend":
                    self.backends[pid] = f"pg: {owners.get(port, 'other')}"
                else:
                    self.backends[pid] = f"pg {backend_type}"
        for pid, _port, _type, state, wait_type, wait in activity:
            role = self.backends[pid]
            self.states[role][f"{state or '-'} {wait_type or ''}:{wait or ''}" if wait else (state or "-")] += 1

    def read_cpu(self) -> None:
        """The figures of every thread now; the first reading of each is its baseline, except for a
        backend that began after the sampler (the import's): all its time counts."""
        for role, pid in list(self.pids.items()) + [(role, pid) for pid, role in self.backends.items()]:
            for task, figures in schedstat(pid).items():
                new_backend = pid in self.backends and pid not in self.initial_backends
                self.first[role].setdefault(task, (0, 0) if new_backend else figures)
                self.cpu[role][task] = figures

    def report(self) -> dict:
        after = self.server_stats()
        cpu = {}
        for role, tasks in self.cpu.items():
            running = sum(now[0] - self.first[role][task][0] for task, now in tasks.items())
            waiting = sum(now[1] - self.first[role][task][1] for task, now in tasks.items())
            if running or waiting:
                cpu[role] = {"cpu_s": round(running / 1e9, 2), "runqueue_wait_s": round(waiting / 1e9, 2)}
        return {"samples": self.samples, "samples_with_lock_waits": self.lock_waits, "cpu": cpu,
                "backend_states": {role: dict(counter.most_common(8)) for role, counter in self.states.items()},
                "cluster_wide_delta": {key: after[key] - self.before[key] for key in after
                                       if after[key] != self.before[key]}}


def main(url: str, pairs: list[str]) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sampler = Sampler(url, {role: int(pid) for role, pid in (pair.split("=") for pair in pairs)})
    count = 0
    while not stop.is_set():
        sampler.sample()
        if count % SCHEDSTAT_EVERY == 0:
            sampler.read_cpu()
        count += 1
        stop.wait(SAMPLE_SECONDS)
    sampler.read_cpu()
    print(json.dumps(sampler.report(), indent=1), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
