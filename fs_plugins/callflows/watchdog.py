"""A flow that holds the event loop (a CPU loop that never waits) is stopped where it runs.

All calls of a `serve` process share one thread (gevent), and a greenlet is switched only when it
waits. A flow spinning in a CPU loop would hold every other call (and xml_curl, the API) until it
ends, and its budget's gevent.Timeout could not fire: the event loop that fires it is held too.
Hence three parts, alive only while at least one flow runs:

  heartbeat  a timer in the event loop stamps the time and the loop thread's CPU clock every
             `period`; the stamps stop moving while some greenlet holds the loop
  watchdog   a real OS thread (gevent's original threading: it runs while the loop is held) that
             looks at the stamps every `period`; when the loop thread has computed for a flow's
             `hold` seconds since the last beat (or the loop has stood still for HOLD_WALL_FACTOR
             times that: a wait gevent does not know of), it sends SIGUSR2 to that thread
  handler    Python runs a signal handler in the main thread between two bytecodes of whatever
             holds it. When that is a guarded flow's greenlet and the loop is still held, it raises
             `LoopHeld` there, in the flow's own code: the flow runner logs it and takes the
             fallback. Anything else holding the loop is left alone.

Why a signal and not PyThreadState_SetAsyncExc: the handler runs in the greenlet that holds the loop
at that moment and checks which one it is before raising, so the exception cannot land in another
call through a race between the watchdog's look and its delivery (gevent-helpers' BlockingDetector
raises from a signal handler the same way, without the check).

Limits (docs/flows.md): one call into C that runs long (a regular expression backtracking over a
long text, arithmetic on huge integers) is stopped only when it returns to Python; a flow that
catches BaseException and loops on is signalled again every period, logged at CRITICAL once, but
cannot be stopped in-process. A signal handler can be set only in the main thread: a flow run from
another thread is not guarded (logged once).
"""
from __future__ import annotations

import logging
import signal
import time

import gevent
from gevent.monkey import get_original

log = logging.getLogger(__name__)

SIGNAL = signal.SIGUSR2
HOLD_WALL_FACTOR = 4  # a loop standing still this many times the hold without computing: a blocking wait
STUBBORN = 20  # signals a flow survived (it catches BaseException) before the CRITICAL line

_start_thread = get_original("_thread", "start_new_thread")
_allocate_lock = get_original("_thread", "allocate_lock")
_thread_ident = get_original("_thread", "get_ident")  # the OS thread's, not the greenlet's (patched)
_real_sleep = get_original("time", "sleep")
_set_handler = get_original("signal", "signal")


class LoopHeld(BaseException):
    """The flow held every call of the process without yielding. A BaseException, so that
    `except Exception:` in a flow does not swallow it."""

    def __init__(self, cpu: float, hold: float):
        super().__init__(f"flow computed for {cpu:.2f} s without yielding (limit {hold:g} s)")
        self.cpu = cpu
        self.hold = hold


class _Guard:
    """One flow's greenlet while its code runs; entering and leaving it happen in this module,
    where the handler never raises (its bookkeeping cannot be cut in half)."""

    def __init__(self, watchdog: "Watchdog", hold: float, label: str, on_stop):
        self._watchdog = watchdog
        self.hold = hold
        self.label = label
        self.on_stop = on_stop
        self.stops = 0
        self._greenlet = None

    def __enter__(self):
        if self._watchdog.install():
            self._greenlet = gevent.getcurrent()
            self._watchdog.add(self._greenlet, self)
        return self

    def __exit__(self, *exc):
        if self._greenlet is not None:
            self._watchdog.remove(self._greenlet)
        return False


class Watchdog:
    def __init__(self, period: float = 0.05):
        self.period = period
        self._guarded: dict = {}  # greenlet -> _Guard
        self._beat_wall = time.monotonic()
        self._beat_cpu = 0.0
        self._timer = None
        self._idle = _allocate_lock()
        self._idle.acquire()  # held while nothing is guarded: the watchdog thread waits on it
        self._loop_thread: int | None = None
        self._cpu_clock: int | None = None
        self._available: bool | None = None

    def guard(self, hold: float, label: str = "", on_stop=None) -> _Guard:
        """Around a flow's own code: `hold` CPU seconds without yielding stop it with LoopHeld
        (`on_stop` is called the first time, before the raise)."""
        return _Guard(self, hold, label, on_stop)

    def install(self) -> bool:
        """The handler and the watchdog thread, once, from the loop's thread; False (logged once)
        when that is not the main thread, where alone Python runs signal handlers."""
        if self._available is None:
            try:
                _set_handler(SIGNAL, self._on_signal)
            except ValueError:
                log.warning("custom flows run outside the main thread: a flow that never yields cannot be stopped")
                self._available = False
                return False
            self._loop_thread = _thread_ident()
            self._cpu_clock = time.pthread_getcpuclockid(self._loop_thread)
            _start_thread(self._watch, ())
            self._available = True
        return self._available and _thread_ident() == self._loop_thread

    def add(self, greenlet, guard: _Guard) -> None:
        self._guarded[greenlet] = guard
        if len(self._guarded) == 1:
            self._stamp()
            self._timer = gevent.get_hub().loop.timer(self.period, self.period, ref=False)
            self._timer.start(self._stamp)
            if self._idle.locked():  # only this thread releases: the check cannot go stale
                self._idle.release()

    def remove(self, greenlet) -> None:
        self._guarded.pop(greenlet, None)
        if not self._guarded and self._timer is not None:
            self._timer.close()
            self._timer = None

    def held(self) -> tuple[float, float]:
        """(CPU seconds the loop's thread computed, wall seconds) since the loop last turned."""
        return time.clock_gettime(self._cpu_clock) - self._beat_cpu, time.monotonic() - self._beat_wall

    def _stamp(self) -> None:
        self._beat_wall = time.monotonic()
        self._beat_cpu = time.clock_gettime(self._cpu_clock)

    def _watch(self) -> None:
        """The watchdog thread: never touches the loop, only reads the stamps and signals."""
        while True:
            if not self._guarded:
                self._idle.acquire()
                continue
            _real_sleep(self.period)
            holds = [guard.hold for guard in list(self._guarded.values())]
            if holds and _over(self.held(), min(holds)):
                signal.pthread_kill(self._loop_thread, SIGNAL)

    def _on_signal(self, signum, frame) -> None:
        guard = self._guarded.get(gevent.getcurrent())
        if guard is None or frame is None or frame.f_code.co_filename == __file__:
            return
        cpu, wall = self.held()
        if not _over((cpu, wall), guard.hold):
            return
        guard.stops += 1
        if guard.stops == 1 and guard.on_stop is not None:
            guard.on_stop()
        if guard.stops == STUBBORN:
            log.critical("%s: the flow catches being stopped and keeps every other call of this process waiting",
                         guard.label)
        raise LoopHeld(cpu, guard.hold)


def _over(held: tuple[float, float], hold: float) -> bool:
    cpu, wall = held
    return cpu > hold or wall > hold * HOLD_WALL_FACTOR


WATCHDOG = Watchdog()
