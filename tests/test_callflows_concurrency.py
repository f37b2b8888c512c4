"""A flow cannot hold other calls: one caller's flow sleeps past its budget, or does CPU-heavy work
through session.compute, while another caller's call runs through the same ESL server at once
(the real server and runner, on the emulator)."""
from __future__ import annotations

import time

from fs_plugins.callflows import CallFlow
from fs_plugins.callflows.testing import flow_world
from fs_plugins.sim.script import CallerScript

SLOW, QUICK = "+34600000001", "+34600000002"


def _count(n: int) -> int:
    total = 0
    for i in range(n):  # pure Python: holds the GIL between the interpreter's switch intervals
        total += i % 7
    return total


def timed_flow(slow_part):
    finished: dict[str, float] = {}

    def run(session):
        session.answer()
        if session.caller == SLOW:
            slow_part(session)
        session.play("ivr/ivr-thank_you.wav")
        finished[session.caller] = time.monotonic()
        session.hangup()

    return CallFlow("timed", run), finished


def test_a_flow_sleeping_past_its_budget_does_not_delay_another_call(tmp_path):
    flow, finished = timed_flow(lambda session: session.sleep(30))
    with flow_world(flow, tmp_path, budget=1.0) as world:
        started = time.monotonic()
        slow, quick = world.calls([(SLOW, CallerScript()), (QUICK, CallerScript())])
        took = time.monotonic() - started
    assert finished[QUICK] - started < 0.6  # the other call was done long before the budget ran out
    assert SLOW not in finished and slow.handed_to == "voicemail: (general box)"
    assert quick.hangup_cause == "NORMAL_CLEARING" and 0.9 < took < 5


def test_cpu_heavy_work_handed_to_session_compute_leaves_other_calls_running(tmp_path):
    flow, finished = timed_flow(lambda session: session.compute(_count, 15_000_000))
    with flow_world(flow, tmp_path, budget=30) as world:
        started = time.monotonic()
        world.calls([(SLOW, CallerScript()), (QUICK, CallerScript())])
    assert finished[QUICK] < finished[SLOW]
    assert finished[QUICK] - started < (finished[SLOW] - started) / 2


def test_a_flow_spinning_in_a_cpu_loop_is_stopped_and_other_calls_go_on(tmp_path, caplog):
    spun_out: list[bool] = []

    def spin(session):  # never yields: without the watchdog it holds every call for 15 s
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            pass
        spun_out.append(True)

    flow, finished = timed_flow(spin)
    with flow_world(flow, tmp_path, budget=30, hold=0.3) as world:
        started = time.monotonic()
        slow, quick = world.calls([(SLOW, CallerScript()), (QUICK, CallerScript())])
        took = time.monotonic() - started
    assert quick.hangup_cause == "NORMAL_CLEARING" and finished[QUICK] - started < 4  # 0.3 s of CPU, a loaded machine
    assert not spun_out and SLOW not in finished and slow.handed_to == "voicemail: (general box)"
    assert took < 8
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and slow.report.uuid in errors[0].getMessage()
    assert "without yielding" in errors[0].getMessage() and "in spin" in caplog.text  # the traceback, once
