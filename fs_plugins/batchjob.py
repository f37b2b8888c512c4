"""A bulk job run from the command line (`centralita contact import`) gives the CPU to calls.

An import is a batch job: nobody waits on it second by second, while FreeSWITCH waits on serve's
answers and CDR posts. Measured on PostgreSQL (B8, docs/benchmarks.md; pg_stat_activity sampled
every 20 ms through a 100,000-line import beside a CDR storm): no session ever waited on a lock,
serve's CDR writers were idle waiting for serve (ClientRead) or on their own WAL flush, and the
import and its backend took the CPU those writers wanted. So on PostgreSQL the job runs under
Linux's SCHED_IDLE, as serve's API does (commands/serve.py): the kernel runs it only when no
other process wants the core. Its PostgreSQL backend only works on what the job sends, so it is
paced with it (that backend used 40 s of CPU for 100,000 lines, twice the job's own). Eight
posters got 0.43x their quiet rate during that import at normal priority, 1.10x under SCHED_IDLE.
The import takes longer on a busy machine (147 s -> 401 s there); on an idle one it does not.

Not on SQLite: there the import holds the one write lock of the database during each of its
batches (contacts/import_store.py), and a job that runs only when nothing else wants the CPU
could be descheduled holding it while serve's writers wait for it (priority inversion). An
unprivileged process cannot leave SCHED_IDLE for its batches and come back, so on SQLite it keeps
its priority and its batches stay short in wall time.
"""
from __future__ import annotations

import logging
import os

import peewee

log = logging.getLogger(__name__)


def policy_for(database) -> int | None:
    """The CPU policy for a bulk job on `database`: SCHED_IDLE, or None to keep the current one."""
    if isinstance(database, peewee.SqliteDatabase):
        return None  # it holds the write lock serve's writers wait for (the module's docstring)
    return os.SCHED_IDLE


def yield_cpu_to_calls(database) -> None:
    """Run the rest of this process (every thread it has) under `policy_for(database)`."""
    policy = policy_for(database)
    if policy is None or os.sched_getscheduler(0) == policy:
        return
    for thread in os.listdir("/proc/self/task"):  # a policy is per thread; later threads inherit it
        _set_policy(int(thread), policy)
    log.info("bulk job: CPU policy SCHED_IDLE, calls and serve go first")


def _set_policy(thread: int, policy: int) -> None:
    os.sched_setscheduler(thread, policy, os.sched_param(0))
