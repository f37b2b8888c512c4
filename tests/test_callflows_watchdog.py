"""The watchdog that stops a flow holding the event loop (fs_plugins.callflows.watchdog), on its own:
greenlets standing for flows, real CPU loops, real time (the limits are CPU seconds of the loop's thread)."""
from __future__ import annotations

import threading
import time

import gevent

from fs_plugins.callflows.watchdog import WATCHDOG, LoopHeld, Watchdog

HOLD = 0.2


def spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def ticking(ticks: list[float]):
    def tick():
        for _ in range(200):
            ticks.append(time.monotonic())
            gevent.sleep(0.01)
    return gevent.spawn(tick)


def guarded(body, stopped: list):
    def run():
        with WATCHDOG.guard(HOLD, "test flow", on_stop=lambda: stopped.append("budget spent")):
            try:
                body()
            except LoopHeld as exc:
                stopped.append(exc)
    return gevent.spawn(run)


def test_a_guarded_greenlet_spinning_is_stopped_and_the_others_tick_again():
    stopped: list = []
    ticks: list[float] = []
    ticker = ticking(ticks)
    gevent.sleep(0.05)
    started = time.monotonic()
    flow = guarded(lambda: spin(10), stopped)
    flow.join(timeout=8)
    assert flow.dead and time.monotonic() - started < 4
    assert stopped[0] == "budget spent" and isinstance(stopped[1], LoopHeld) and stopped[1].cpu > HOLD
    gevent.sleep(0.1)
    assert ticks[-1] > time.monotonic() - 0.1  # the loop turns again
    ticker.kill()


def test_a_flow_that_yields_between_short_bursts_is_never_stopped():
    stopped: list = []

    def bursts():
        for _ in range(15):  # 0.75 s of CPU in all, a quarter of the limit at a time
            spin(HOLD / 4)
            gevent.sleep(0.001)  # a real wait: sleep(0) runs ready greenlets but no timers (they starve)
        stopped.append("done")

    guarded(bursts, stopped).join(timeout=20)
    assert stopped == ["done"]


def test_a_spinning_greenlet_that_is_no_flow_is_left_alone_while_a_flow_waits():
    stopped: list = []
    flow = guarded(lambda: gevent.sleep(1.2), stopped)
    gevent.sleep(0.01)
    other = gevent.spawn(spin, 0.8)  # holds the loop longer than the limit, but it is not a flow
    other.join(timeout=10)
    flow.join(timeout=10)
    assert other.successful() and stopped == []


def test_a_flow_that_catches_being_stopped_is_stopped_again():
    stopped: list = []

    def stubborn():
        try:
            spin(10)
        except LoopHeld:
            stopped.append("caught")
        spin(10)

    started = time.monotonic()
    guarded(stubborn, stopped).join(timeout=15)
    assert stopped[:2] == ["budget spent", "caught"] and isinstance(stopped[2], LoopHeld)
    assert time.monotonic() - started < 8


def test_outside_the_main_thread_the_guard_does_nothing_and_says_so_once(caplog):
    outcome = []

    def elsewhere():
        watchdog = Watchdog()
        with watchdog.guard(HOLD):
            outcome.append(watchdog.install())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert outcome == [False] and "cannot be stopped" in caplog.text


def test_yielding_with_sleep_0_alone_is_still_holding_the_loop():
    stopped: list = []
    waited: list[float] = []

    def other_call():  # a call waiting on a timer, as one waiting for FreeSWITCH waits on its socket
        started = time.monotonic()
        gevent.sleep(0.01)
        waited.append(time.monotonic() - started)

    def yields_to_nobody():
        for _ in range(200):
            spin(HOLD / 4)
            gevent.sleep(0)  # runs ready greenlets, but the loop never polls: timers and sockets starve

    other = gevent.spawn(other_call)
    gevent.sleep(0)
    guarded(yields_to_nobody, stopped).join(timeout=20)
    other.join(timeout=5)
    assert isinstance(stopped[-1], LoopHeld)
    assert waited and waited[0] < 3  # woken once the flow was stopped, not after its 10 s
