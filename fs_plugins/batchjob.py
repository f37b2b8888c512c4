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
unprivileged thread cannot leave SCHED_IDLE for its batches and come back, so on SQLite the job
keeps its priority for its batches, which stay short in wall time. But a policy is a thread's,
and most of an import's CPU goes to reading and checking the file (decoding, one phonenumbers
parse per number), which holds no lock: inside `checking_aside(database)` on SQLite, `checks(work)`
runs that work in a thread of its own under SCHED_IDLE while the job's thread waits for it (so
no two of its threads ever want the CPU, or Python's GIL, at once), then stores at its priority.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
from typing import Callable, Iterator, TypeVar

import peewee

T = TypeVar("T")
_aside: contextvars.ContextVar[bool] = contextvars.ContextVar("checks_aside", default=False)

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


@contextlib.contextmanager
def checking_aside(database) -> Iterator[None]:
    """Within: `checks` runs its work under SCHED_IDLE in a thread of its own when `database` is
    SQLite (see the module's docstring); on PostgreSQL the whole job is idle already (yield_cpu_to_calls)."""
    token = _aside.set(isinstance(database, peewee.SqliteDatabase))
    try:
        yield
    finally:
        _aside.reset(token)


def checks(work: Callable[[], T]) -> T:
    """work(): CPU only, no lock and no database. Run aside under SCHED_IDLE within checking_aside
    on SQLite, else here; its result or its exception comes back either way."""
    if not _aside.get():
        return work()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            _set_policy(threading.get_native_id(), os.SCHED_IDLE)
        except OSError as exc:  # refused (a sandbox, a seccomp filter): the checks run at our priority
            log.info("bulk job checks at normal priority: SCHED_IDLE refused (%s)", exc)
        try:
            outcome["value"] = work()
        except BaseException as exc:  # raised again in the job's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="bulk-job-checks")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
