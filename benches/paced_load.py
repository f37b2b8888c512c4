"""The background load of B6 (the API) and B7 (the portal): requests on a fixed schedule, open loop.

Request k is due `k / rate` seconds after the start, whatever was answered before, and is sent by
whichever of the clients is free (each a keep-alive connection in a thread of its own, prepared and
signed in before the measurement starts). People do not wait for each other's pages: a slow answer
holds up only its own client, the schedule goes on on the others. The single client this replaces
ran one request at a time and caught up in bursts when behind, so a slow page lowered the rate it
offered and then hit the server with everything owed at once.

When every client is busy a due request waits for one: the rate reached then falls short of the
rate asked for, and the bench says so (its line fails). A failed request is counted, never hidden.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

CLIENTS = 4  # keep-alive clients, i.e. requests that may be outstanding at once


@dataclass
class Reached:
    rate: float  # requests answered a second, over the time the load ran
    answered: int
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # the first few, for the report


def open_loop(clients: Sequence, steps: Sequence[Callable], rate: float, stop: threading.Event) -> Reached:
    """Run `steps[k % len(steps)](client)` for k = 0, 1, … at `rate` a second on a fixed schedule,
    each on a free one of `clients`, until `stop` is set."""
    lock = threading.Lock()
    state = {"next": 0, "answered": 0, "failed": 0}
    failures: list[str] = []
    started = time.perf_counter()

    def work(client) -> None:
        while not stop.is_set():
            with lock:
                slot = state["next"]
                state["next"] += 1
            delay = started + slot / rate - time.perf_counter()
            if delay > 0 and stop.wait(delay):
                return
            try:
                steps[slot % len(steps)](client)
            except Exception as exc:  # noqa: BLE001 (any failure is the load's result, reported)
                with lock:
                    state["failed"] += 1
                    if len(failures) < 5:
                        failures.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            with lock:
                state["answered"] += 1

    workers = [threading.Thread(target=work, args=(client,), daemon=True) for client in clients]
    for worker in workers:
        worker.start()
    stop.wait()
    elapsed = time.perf_counter() - started
    with lock:  # what was answered while it ran: a request still out when it stopped does not count
        answered = state["answered"]
    for worker in workers:
        worker.join(60)
    return Reached(answered / elapsed, answered, state["failed"], failures)
