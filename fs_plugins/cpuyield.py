"""While a process serving only people (`serve --only api`) works, it hands the core back every
0.2 ms to whichever ordinary process wants it: FreeSWITCH's xml_curl handler on the same core.

Under SCHED_IDLE (api_scheduling "idle", commands/serve.py yield_cpu) a handler that *wakes*
preempts the API at once, but one that is already runnable does not: Linux's EEVDF scheduler
still hands a SCHED_IDLE task the core at a timer tick now and then (its weight is 3, not 0), and
the task keeps it until it blocks or the next tick, up to 4 ms later at HZ=250, while the handler
waits with its REGISTERs. perf sched traces of B6/B7's hot-path line (benches/burst_trace.py)
showed that in the loaded windows: the handler preempted at ticks by the API process.

So from the moment the event loop's poll returns until it polls again, a timer aimed at the
loop's own thread fires every `interval` seconds, and its signal handler is libc's sched_yield
itself. A SCHED_IDLE task that yields goes behind every ordinary task on its core; when nothing
else wants the core, sched_yield returns at once (about 1 µs). Why this way:
- a C handler, not a Python one: Python runs its handlers between bytecodes of the main thread,
  so one would wait for a SQLite statement (C code) to return, and a long one is the case that
  matters;
- a POSIX timer aimed at one thread (SIGEV_THREAD_ID), not setitimer's process-wide signal:
  another thread that caught it (gevent's pool, waiting in SQLite's busy handler) would have its
  sleep cut short, and the statement give up before its busy timeout;
- installed with SA_RESTART (glibc's signal()): a blocking call interrupted by it goes on, it
  does not fail with EINTR; epoll_wait, which is never restarted, is not armed (and gevent's loop
  polls again after an EINTR anyway);
- a CPU-time timer would not do: those are only looked at on ticks, which is the delay to cut.
"""
from __future__ import annotations

import ctypes
import os
import signal

import gevent

SIGNAL = signal.SIGRTMIN + 7  # a real-time signal nobody else in the process uses; never queued twice
_CLOCK_MONOTONIC, _SIGEV_THREAD_ID = 1, 4
_libc = ctypes.CDLL(None, use_errno=True)


class _SigEvent(ctypes.Structure):  # glibc's struct sigevent on Linux, 64 bytes
    _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                ("thread_id", ctypes.c_int), ("_pad", ctypes.c_int * 11)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("seconds", ctypes.c_long), ("nanoseconds", ctypes.c_long)]


class _ITimerSpec(ctypes.Structure):
    _fields_ = [("interval", _TimeSpec), ("first", _TimeSpec)]


def _checked(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


class YieldTimer:
    """A periodic sched_yield of the calling thread, armed and disarmed by hand (`arm`, `disarm`)."""

    def __init__(self, interval: float):
        _libc.signal.restype = ctypes.c_void_p
        _libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
        if _libc.signal(SIGNAL, ctypes.cast(_libc.sched_yield, ctypes.c_void_p)) == ctypes.c_void_p(-1).value:
            _checked(-1, "signal")
        event = _SigEvent(signo=SIGNAL, notify=_SIGEV_THREAD_ID, thread_id=_libc.gettid())
        self._timer = ctypes.c_void_p()
        _checked(_libc.timer_create(_CLOCK_MONOTONIC, ctypes.byref(event), ctypes.byref(self._timer)),
                 "timer_create")
        nanoseconds = max(1, round(interval * 1e9))
        every = _TimeSpec(nanoseconds // 1_000_000_000, nanoseconds % 1_000_000_000)
        self._on, self._off = _ITimerSpec(every, every), _ITimerSpec()
        self.armed = False

    def arm(self) -> None:
        if not self.armed:
            self._set(self._on)

    def disarm(self) -> None:
        if self.armed:
            self._set(self._off)

    def _set(self, spec: _ITimerSpec) -> None:
        _checked(_libc.timer_settime(self._timer, 0, ctypes.byref(spec), None), "timer_settime")
        self.armed = spec is self._on

    def firing(self) -> bool:
        """Whether the kernel's timer is running now (timer_gettime), whatever this object believes."""
        left = _ITimerSpec()
        _checked(_libc.timer_gettime(self._timer, ctypes.byref(left)), "timer_gettime")
        return bool(left.first.seconds or left.first.nanoseconds)

    def close(self) -> None:
        self.disarm()
        _libc.timer_delete(self._timer)


class WhileTheLoopWorks:
    """A YieldTimer of this thread armed each time gevent's loop (this thread's) stops polling, and
    disarmed just before it polls again: it fires only while the process has work to do."""

    def __init__(self, interval: float, loop=None):
        loop = loop or gevent.get_hub().loop
        self.timer = YieldTimer(interval)
        # The check runs first after each poll (highest priority), the prepare last before the next
        # one (lowest): gevent runs its own callbacks (greenlets made ready) in a prepare of priority 0.
        self._woke, self._polls = loop.check(ref=False, priority=2), loop.prepare(ref=False, priority=-2)
        self._woke.start(self.timer.arm)
        self._polls.start(self.timer.disarm)
        self.timer.arm()  # the caller is working now; the next poll disarms it

    def stop(self) -> None:
        self._woke.stop()
        self._polls.stop()
        self.timer.close()
