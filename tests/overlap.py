"""Two changes that overlap in the database: the first waits inside its transaction (at its audit
entry) until the second has been sent, so both meet on the same rows (PostgreSQL: SQLite's writers
take the lock one after the other at BEGIN)."""
from __future__ import annotations

import threading
from typing import Callable

from fs_plugins.application import AppContext, audit_table


def overlapping(first: Callable[[AppContext], object], second: Callable[[AppContext], object]) -> dict:
    """Run first(ctx) and second(ctx) in two threads (each its own connection), the first held open
    until the second's statement has reached the server; {"first"|"second": result or exception}."""
    first_inside, second_started = threading.Event(), threading.Event()
    outcomes: dict = {}

    def audit(event):
        first_inside.set()
        second_started.wait(5)
        threading.Event().wait(0.3)  # the second change's statement reaches the server meanwhile
        audit_table(event)

    def run(name: str, change, ctx: AppContext) -> None:
        try:
            outcomes[name] = change(ctx)
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
            outcomes[name] = exc

    one = threading.Thread(target=run, args=("first", first, AppContext.operator(origin="test", audit=audit)))
    one.start()
    assert first_inside.wait(5), "the first change never reached its audit entry"
    two = threading.Thread(target=run, args=("second", second, AppContext.operator(origin="test")))
    two.start()
    second_started.set()
    one.join(10)
    two.join(10)
    return outcomes
