"""A flow's time budget: the seconds its own code may take on one call.

The budget counts the flow's own time — its computing, its HTTP requests, its sleeps — and pauses
while the session waits for the caller or FreeSWITCH (a prompt, a bridge with a long talk): those
are bounded by FreeSWITCH's own timers. When the budget is spent a gevent.Timeout raises
`BudgetSpent` in the flow's greenlet at its next cooperative wait; every session operation also
checks the budget first, so a flow that catches it carelessly is stopped again at its next call.

The timeout cannot fire while the flow never yields (gevent runs every call of the process in one
thread, and its event loop is held too): that case is fs_plugins.callflows.watchdog's, which stops
such a flow after `flow_hold_seconds` of computing and spends its budget.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable

import gevent


class BudgetSpent(BaseException):
    """The flow used up its time budget. A BaseException, so `except Exception` in a flow does
    not swallow it."""

    def __init__(self, seconds: float):
        super().__init__(f"flow ran past its budget of {seconds:g} s")
        self.seconds = seconds


class Budget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.left = seconds
        self._clock = clock
        self._since: float | None = None
        self._timer: gevent.Timeout | None = None

    def start(self) -> None:
        """Start counting (the flow's code runs from now on)."""
        self.check()
        self._since = self._clock()
        self._timer = gevent.Timeout(self.left, BudgetSpent(self.seconds))
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.close()
            self._timer = None
        if self._since is not None:
            self.left -= self._clock() - self._since
            self._since = None

    def spend(self) -> None:
        """Nothing left (the watchdog stopped the flow): every later session operation refuses."""
        self.left = 0.0
        if self._since is not None:
            self._since = self._clock()

    def check(self) -> None:
        spent = self.left if self._since is None else self.left - (self._clock() - self._since)
        if spent <= 0:
            raise BudgetSpent(self.seconds)

    @contextmanager
    def waiting(self):
        """Around a wait for the caller or FreeSWITCH: the budget is checked, then paused."""
        self.check()
        self.stop()
        try:
            yield
        finally:
            self.start()
