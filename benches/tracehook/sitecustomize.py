"""Bench-only: what a server process of a bench spent in the garbage collector, and when.

Loaded by Python at start-up (as `sitecustomize`) only in processes whose PYTHONPATH holds this
folder: benches/servers.py puts it there when BENCH_TRACE_DIR is set (benches/burst_trace.py does).
Nothing of the product imports it. Each process writes BENCH_TRACE_DIR/pid-<pid> (its argv, so a
tracer can attach to it) at start and BENCH_TRACE_DIR/gc-<pid>.json (every collection: CLOCK_MONOTONIC
start in seconds, the same clock as `perf trace -T`, generation, milliseconds, objects collected)
at exit. The callback only appends to a list: a few hundred nanoseconds a collection.
"""
import atexit
import gc
import json
import os
import time

_DIR = os.environ.get("BENCH_TRACE_DIR")


def _install(folder: str) -> None:
    events, started = [], {}
    clock = time.monotonic

    def on_gc(phase, info):
        if phase == "start":
            started["at"] = clock()
        elif "at" in started:
            at = started.pop("at")
            events.append((at, info["generation"], (clock() - at) * 1000, info["collected"]))

    def dump():
        with open(os.path.join(folder, f"gc-{os.getpid()}.json"), "w") as out:
            json.dump({"events": events}, out)

    gc.callbacks.append(on_gc)
    atexit.register(dump)
    with open(os.path.join(folder, f"pid-{os.getpid()}"), "w") as out:
        out.write(open("/proc/self/cmdline").read().replace("\0", " "))


if _DIR:
    _install(_DIR)
