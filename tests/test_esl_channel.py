"""The ESL Channel over real TCP against the emulator: every method, every bridge outcome,
hang-up in the middle of each blocking command. No greenlet may outlive a call."""
from __future__ import annotations

import gc
import gzip
import re
from pathlib import Path
from urllib.parse import unquote

import gevent
import pytest

from fs_plugins.channel import BridgeOutcome, BridgeTarget, CallGone, Channel, Collected, Played
from fs_plugins.config import Config
from fs_plugins.esl import encode
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript, Leg

FIXTURES = Path(__file__).parent / "fixtures" / "freeswitch" / "esl_outbound"
LONG = "tone_stream://%(30000,0,440)"
B = "user/1002@acme.example"
C = "user/1003@acme.example"


def live_greenlets() -> int:
    """Greenlets spawned by code (server, sessions, readers); the hub and its workers excluded."""
    return sum(1 for o in gc.get_objects() if isinstance(o, gevent.Greenlet) and not o.dead)


@pytest.fixture(autouse=True)
def no_greenlet_left_behind():
    before = live_greenlets()
    yield
    gevent.sleep(0.01)
    assert live_greenlets() <= before


def call(flow, script=None, variables=None, **config):
    """Run `flow` on one emulated call; return (emulator report, what the flow recorded)."""
    seen: dict = {}

    def wrapped(channel, info):
        seen["info"] = info
        try:
            seen["result"] = flow(channel)
        except CallGone as gone:
            seen["gone"] = gone
            raise

    registry = FlowRegistry()
    registry.register("test", wrapped)
    server = EslServer(Config(esl_port=0, **config), registry)
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "test", "pbx_tenant": "acme.example", **(variables or {})})
        report = Emulator(server.address, setup, script or CallerScript(), idle_timeout=2).run()
        gevent.sleep(0.01)
    finally:
        server.stop(timeout=1)
    return report, seen


def test_the_adapter_offers_every_method_of_the_channel_interface():
    from fs_plugins.esl.adapter import EslChannel

    wanted = {n for n in vars(Channel) if not n.startswith("_")} - {"info"}
    assert wanted and all(callable(getattr(EslChannel, n, None)) for n in wanted)


def test_answer_and_play_reach_the_caller_and_the_session_info_is_read_from_the_connect_reply():
    def flow(ch):
        ch.answer()
        return ch.play("tone_stream://%(1500,0,440)")

    report, seen = call(flow, variables={"pbx_flow_object": "42"})
    assert seen["result"] == Played(True, 1.5)  # FreeSWITCH's playback_ms, virtual time on the emulator
    assert report.played == ["tone_stream://%(1500,0,440)"]
    info = seen["info"]
    assert (info.tenant, info.flow, info.flow_object, info.caller_number, info.destination) == (
        "acme.example", "test", "42", "1001", "9001")


def test_say_reports_how_long_the_caller_heard_it_from_the_applications_own_events():
    """say's playback_ms is only its last word's: the time between CHANNEL_EXECUTE and its completion."""
    report, seen = call(lambda ch: ch.say(21), variables={"default_language": "es"})
    assert seen["result"] == Played(True, 2.0)  # the emulator's say lasts 2 virtual seconds
    assert report.played == ["say es number pronounced 21"]


def test_a_flow_that_returns_without_hanging_up_hands_the_call_back_to_the_dialplan():
    report, _ = call(lambda ch: ch.answer())
    assert report.handed_back and report.hangup_cause is None


def test_collect_returns_the_digits_and_the_terminator():
    def flow(ch):
        return ch.collect("tone_stream://%(500,0,640)", min_digits=1, max_digits=4, timeout=8)

    report, seen = call(flow, CallerScript(digits=["123#"]))
    assert (seen["result"].digits, seen["result"].result, seen["result"].terminator) == ("123", "success", "#")
    assert report.collected == ["123"]


def test_collect_retries_with_the_invalid_prompt_until_the_input_matches():
    def flow(ch):
        return ch.collect("tone_stream://%(500,0,640)", regex="^[12]$", tries=3, invalid_prompt="tone_stream://%(200,0,300)")

    report, seen = call(flow, CallerScript(digits=["9", "2"]))
    assert seen["result"].digits == "2" and seen["result"].ok
    assert "tone_stream://%(200,0,300)" in report.played


def test_collect_without_input_reports_a_timeout_after_every_try():
    report, seen = call(lambda ch: ch.collect("silence_stream://100", timeout=3, tries=2))
    assert (seen["result"].digits, seen["result"].result) == ("", "timeout")


def test_collect_reports_input_that_never_matches_as_a_failure_like_freeswitch():
    def flow(ch):
        result = ch.collect("silence_stream://100", max_digits=2, regex="^1[0-9]$", tries=2, timeout=2)
        return result, ch.get("pbx_collected_invalid"), ch.get("read_result")

    _, seen = call(flow, CallerScript(digits=["9#", "77"]))
    assert seen["result"] == (Collected("", "failure", "#"), "77", "success")  # FreeSWITCH leaves read_result so


def test_collect_counts_too_few_digits_as_a_failure():
    def flow(ch):
        return ch.collect("silence_stream://100", min_digits=3, max_digits=4, tries=1, timeout=2), ch.get("read_result")

    _, seen = call(flow, CallerScript(digits=["12"]))
    assert seen["result"] == (Collected("", "failure", ""), "failure")


def test_collect_accepts_enough_digits_that_end_by_timeout():
    def flow(ch):
        return ch.collect("silence_stream://100", min_digits=2, max_digits=4, timeout=2), ch.get("read_result")

    _, seen = call(flow, CallerScript(digits=["12"]))
    assert seen["result"] == (Collected("12", "success", ""), "timeout")


def test_a_prompt_of_thirty_seconds_runs_in_a_fraction_of_a_second():
    import time

    started = time.monotonic()
    call(lambda ch: [ch.play(LONG) for _ in range(3)])
    assert time.monotonic() - started < 5  # 90 s of prompts


def test_break_playback_ends_the_prompt_playing_and_never_the_next_one():
    def flow(ch):
        ch.answer()
        ch.break_playback()  # nothing playing: nothing sent (FreeSWITCH would keep it for the next prompt)
        kept = ch.play(LONG)
        cutter = gevent.spawn(ch.break_playback)  # from another greenlet, while the prompt plays
        cut = ch.play(LONG)
        cutter.join()
        ch.break_playback()  # the prompt just ended (the melody about to restart): nothing sent
        return kept, cut, ch.play("tone_stream://%(1500,0,440)")

    report, seen = call(flow)
    kept, cut, whole = seen["result"]
    assert kept == Played(True, 30.0) and cut.ok and cut.seconds < 1 and whole == Played(True, 1.5)
    assert sum(1 for command in report.commands if command.startswith("api uuid_break ")) == 1


def test_a_break_arriving_just_after_the_prompt_ended_does_not_cut_the_restarted_one():
    """The wake-up comes as FreeSWITCH reports the chunk complete, before the flow is back: the
    greenlet cutting it short runs first. FreeSWITCH's uuid_break then would stay pending (CF_BREAK)
    and cut the next chunk at its start; the adapter sends none."""
    def flow(ch):
        ch.answer()
        ended = gevent.event.Event()
        original = ch._on_event

        def on_event(event):
            original(event)
            if event.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "playback":
                ended.set()

        ch.conn.on_event = on_event
        cutter = gevent.spawn(lambda: (ended.wait(), ch.break_playback()))
        first = ch.play("tone_stream://%(1500,0,440)")
        cutter.join()
        return first, ch.play("tone_stream://%(1500,0,440)")

    report, seen = call(flow)
    assert seen["result"] == (Played(True, 1.5), Played(True, 1.5))
    assert not any(command.startswith("api uuid_break ") for command in report.commands)


def test_the_emulator_keeps_a_uuid_break_sent_with_nothing_playing_for_the_next_prompt_as_freeswitch_does():
    def flow(ch):
        ch.answer()
        ch.conn.send(f"api uuid_break {ch.info.uuid}")
        return ch.play(LONG)

    _, seen = call(flow)
    assert seen["result"] == Played(True, 0.0)


@pytest.mark.parametrize("outcome, status, cause", [
    (Leg("answer", 1.0, 2.0), "answered", "NORMAL_CLEARING"),
    (Leg("busy"), "busy", "USER_BUSY"),
    (Leg("decline"), "rejected", "CALL_REJECTED"),
    (Leg("no_answer"), "no_answer", "NO_ANSWER"),
    (Leg("not_registered"), "not_registered", "USER_NOT_REGISTERED"),
    (Leg("not_found"), "not_registered", "SUBSCRIBER_ABSENT"),
])
def test_bridge_reports_each_outcome_with_freeswitchs_cause(outcome, status, cause):
    report, seen = call(lambda ch: ch.bridge([B], timeout=5), CallerScript(legs={B: outcome}))
    result = seen["result"]
    assert (result.status, result.hangup_cause) == (status, cause)
    assert report.hangup_cause is None  # the caller is kept for the flow to decide


def test_an_answered_bridge_says_how_long_the_member_rang_and_talked_in_freeswitchs_time():
    _, seen = call(lambda ch: ch.bridge([B], timeout=20), CallerScript(legs={B: Leg("answer", 3.0, 45.0)}))
    assert (seen["result"].ring_seconds, seen["result"].talk_seconds) == (3.0, 45.0)  # virtual seconds


def test_the_recorded_answered_bridge_gives_its_ring_and_talk_time():
    """esl_outbound/d_bridge_answered: 1002 rings 1 s, answers, hangs up 2 s later (its BYE). The bridge's
    CHANNEL_EXECUTE_COMPLETE carries no bridge_uepoch (set only at hang-up), but the bridged time."""
    events = _recorded_events("d_bridge_answered")
    started = next(e for e in events if e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == "bridge")
    done = next(e for e in events if e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application") == "bridge")
    variables = {k[9:]: v for k, v in done.items() if k.startswith("variable_")}
    assert "bridge_uepoch" not in variables
    outcome = BridgeOutcome.from_variables(variables, done["Other-Leg-Unique-ID"], int(started["Event-Date-Timestamp"]),
                                           done["Caller-Channel-Bridged-Time"], done["Event-Date-Timestamp"])
    assert outcome.answered and (round(outcome.ring_seconds, 2), round(outcome.talk_seconds, 2)) == (1.04, 2.02)


def _recorded_events(case: str) -> list[dict]:
    text = gzip.decompress((FIXTURES / f"{case}.transcript.txt.gz").read_bytes()).decode()
    events = []
    for chunk in re.split(r"^### .*$", text, flags=re.M):
        headers = dict(line.split(": ", 1) for line in chunk.splitlines() if ": " in line)
        if "Event-Name" in headers:
            events.append({k: unquote(v) for k, v in headers.items()})
    return events


def test_bridge_to_several_targets_at_once_connects_the_first_to_answer():
    script = CallerScript(legs={B: Leg("answer", 3.0, 1.0), C: Leg("answer", 1.0, 1.0)})
    report, seen = call(lambda ch: ch.bridge([B, C]), script)
    assert seen["result"].answered
    assert report.bridges == [(C, "SUCCESS")]


def test_bridge_in_sequence_tries_the_next_target_after_a_ring_timeout():
    script = CallerScript(legs={B: Leg("no_answer"), C: Leg("answer", 1.0, 1.0)})
    report, seen = call(lambda ch: ch.bridge([BridgeTarget(B, 2), BridgeTarget(C, 5)], sequential=True), script)
    assert seen["result"].answered and report.bridges == [(C, "SUCCESS")]


def test_record_ends_on_the_terminator_key():
    def flow(ch):
        ch.answer()
        return ch.record("/tmp/msg.wav", max_seconds=20)

    _, seen = call(flow, CallerScript(dtmf=[(1.0, "12#")]))
    assert (seen["result"].path, seen["result"].terminator) == ("/tmp/msg.wav", "#")


def test_record_ends_on_silence():
    _, seen = call(lambda ch: ch.record("/tmp/msg.wav", max_seconds=60, silence_seconds=2))
    assert seen["result"].terminator == ""


def test_transfer_hands_the_call_to_a_routing_extension_in_the_tenant_context():
    report, _ = call(lambda ch: ch.transfer("pbx-ivr-5", "acme.example"))
    assert report.transfer == ("pbx-ivr-5", "acme.example") and not report.handed_back


def test_set_export_and_get_variables():
    def flow(ch):
        ch.set("pbx_choice", "2")
        ch.export("pbx_exported", "yes")
        return ch.get("pbx_choice"), ch.get("pbx_missing")

    _, seen = call(flow)
    assert seen["result"] == ("2", None)


def test_hangup_uses_the_given_cause():
    report, seen = call(lambda ch: ch.hangup("USER_BUSY"))
    assert report.hangup_cause == "USER_BUSY" and "gone" not in seen


@pytest.mark.parametrize("name, flow", [
    ("play", lambda ch: ch.play(LONG)),
    ("collect", lambda ch: ch.collect(LONG, timeout=10)),
    ("bridge", lambda ch: ch.bridge([B])),
    ("bridged", lambda ch: ch.bridge([C])),
    ("record", lambda ch: ch.record("/tmp/x.wav", max_seconds=60)),
])
def test_a_caller_hanging_up_in_the_middle_of_a_command_raises_call_gone(name, flow):
    script = CallerScript(hangup_at=3.0, legs={B: Leg("no_answer"), C: Leg("answer", 1.0)})
    report, seen = call(flow, script)
    # A caller who hangs up before any answer sends CANCEL: ORIGINATOR_CANCEL (recorded, json_cdr_centralita/f1).
    cause = "NORMAL_CLEARING" if name == "bridged" else "ORIGINATOR_CANCEL"
    assert isinstance(seen.get("gone"), CallGone) and seen["gone"].cause == cause
    assert report.hangup_cause == cause


def test_commands_after_the_hangup_raise_call_gone_at_once():
    def flow(ch):
        with pytest.raises(CallGone):
            ch.play(LONG)
        ch.answer()

    _, seen = call(flow, CallerScript(hangup_at=1.0))
    assert "gone" in seen


def test_unsafe_values_never_reach_freeswitch():
    def flow(ch):
        for bad in ("${system rm}", "x\nexecute-app-name: hangup", "a\rb"):
            with pytest.raises(encode.UnsafeArgument):
                ch.set("pbx_x", bad)
        with pytest.raises(encode.UnsafeArgument):
            ch.bridge(["user/1002@acme.example,sofia/gateway/evil/1"])
        return "refused"

    report, seen = call(flow)
    assert seen["result"] == "refused" and report.commands == ["myevents", "linger", "exit"]
