"""The emulator answers the recorded commands with frames shaped like the real FreeSWITCH's.

Each transcript in tests/fixtures/freeswitch/esl_outbound is replayed: a stand-in application
sends the recorded commands byte for byte (each once the emulator has sent as many frames as
FreeSWITCH had), with the caller and callees scripted to do what the recorded ones did. The
frames must match: same order of frame types and events, same header names outside the channel
variables, same Application-UUID correlation, same replies, same results in the variables flows
read. Known, accepted differences are listed in fs_plugins.sim.emulator's docstring.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import gevent
import pytest
from gevent.server import StreamServer

from fs_plugins.esl.framing import FrameBuffer, parse_headers
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript, Leg

FIXTURES = Path(__file__).parent / "fixtures" / "freeswitch" / "esl_outbound"
CHUNK = re.compile(rb"^### \[\+([0-9.]+)\] (>>> APP->FS|<<< FS->APP) \((\d+) bytes\)[^\n]*\n", re.M)
VARIABLES_CHECKED = (
    "originate_disposition", "DIALSTATUS", "originate_failed_cause", "last_bridge_hangup_cause",
    "bridge_hangup_cause", "read_result", "read_terminator_used", "ivr_digits", "playback_terminator_used",
    "hangup_cause", "pbx_ivr_choice", "pbx_exported_var", "continue_on_fail", "hangup_after_bridge", "call_timeout",
    "playback_ms", "playback_seconds",
)
U = "user/{}@acme.example"

SCRIPTS = {
    "a_ivr_dtmf": CallerScript(dtmf=[(2.6, "123#")]),
    "a2_ivr_dtmf_loopback_injected": CallerScript(dtmf=[(0.9, "12", "UNKNOWN"), (1.9, "3#", "APP")]),
    "a3_myevents_json": CallerScript(),
    "b_caller_hangup_in_playback": CallerScript(hangup_at=2.5),
    "b2_caller_hangup_no_linger": CallerScript(hangup_at=2.5),
    "c_bridge_unregistered_user": CallerScript(legs={U.format(1999): Leg("not_registered"),
                                                     U.format(1998): Leg("not_found")}),
    "c2_bridge_unregistered_no_continue_on_fail": CallerScript(legs={U.format(1999): Leg("not_registered")}),
    "d_bridge_answered": CallerScript(legs={U.format(1002): Leg("answer", 1.0, 2.0)}),
    "e1_bridge_busy_486": CallerScript(legs={U.format(1002): Leg("busy")}),
    "e2_bridge_decline_603": CallerScript(legs={U.format(1002): Leg("decline")}),
    "e3_bridge_no_answer_timeout": CallerScript(legs={U.format(1002): Leg("no_answer")}),
    "f_bridge_simultaneous": CallerScript(legs={U.format(1002): Leg("answer", 1.5), U.format(1003): Leg("no_answer")}),
    "g_record_terminated_by_hash": CallerScript(dtmf=[(1.6, "123#")]),
    "h1_server_closes_socket": CallerScript(),
    "h2_server_closes_after_resume": CallerScript(),
    "h3_server_sends_exit": CallerScript(),
}
APP_CLOSES = {"h1_server_closes_socket", "h2_server_closes_after_resume"}


def load_transcript(case: str):
    """(commands as (frames received before it, bytes), recorded frames, channel uuid)."""
    path = FIXTURES / f"{case}.transcript.txt"
    raw = path.read_bytes() if path.exists() else gzip.open(str(path) + ".gz").read()
    commands, frames, buffer = [], [], FrameBuffer()
    position = 0
    while (match := CHUNK.search(raw, position)) is not None:
        data = raw[match.end():match.end() + int(match.group(3))]
        position = match.end() + len(data)
        if b">>>" in match.group(2):
            commands.append((len(frames), data))
        else:
            frames += [f for f in buffer.feed(data) if _event_name(f) != "CHANNEL_PARK"]
    commands = [(sum(1 for _ in frames[:n]), data) for n, data in commands]
    return commands, frames, frames[0][0]["Unique-ID"]


def _event(frame) -> dict:
    headers, body = frame
    if headers.get("Content-Type") == "text/event-plain":
        return parse_headers(body)
    if headers.get("Content-Type") == "text/event-json":
        return json.loads(body)
    return {}


def _event_name(frame) -> str:
    return _event(frame).get("Event-Name", "")


def _shape(frame) -> tuple:
    headers, body = frame
    event = _event(frame)
    return (headers.get("Content-Type"), headers.get("Reply-Text"), headers.get("Content-Disposition"),
            event.get("Event-Name"), event.get("Application"), event.get("Application-Response"),
            event.get("Hangup-Cause"), event.get("DTMF-Digit"), body if "api" in headers.get("Content-Type", "") else None)


def _normalise(frames):
    """FreeSWITCH sends the linger notice just before or after CHANNEL_HANGUP_COMPLETE (race)."""
    frames = list(frames)
    for i, frame in enumerate(frames):
        if frame[0].get("Content-Disposition") == "linger":
            frames.pop(i)
            done = next((j for j, f in enumerate(frames) if _event_name(f) == "CHANNEL_HANGUP_COMPLETE"), i - 1)
            frames.insert(done + 1, frame)
            break
    return frames


def replay(case: str):
    commands, recorded, channel_uuid = load_transcript(case)
    received: list = []

    def application(sock, _address):
        buffer = FrameBuffer()
        sock.settimeout(3)
        try:
            for before, data in commands:
                while len(received) < before:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    received.extend(buffer.feed(chunk))
                sock.sendall(data)
            if case in APP_CLOSES:
                while len(received) < len(recorded):
                    received.extend(buffer.feed(sock.recv(65536)))
                return
            while chunk := sock.recv(65536):
                received.extend(buffer.feed(chunk))
        finally:
            sock.close()

    server = StreamServer(("127.0.0.1", 0), application)
    server.start()
    try:
        summary = json.loads((FIXTURES / f"{case}.summary.json").read_text())
        setup = CallSetup(uuid=channel_uuid, destination=summary["destination"],
                          endpoint="loopback" if "loopback" in case else "sofia")
        report = Emulator(server.address, setup, SCRIPTS[case], idle_timeout=3).run()
        gevent.sleep(0.01)
    finally:
        server.stop(timeout=1)
    return _normalise(recorded), received, commands, report


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_emulator_answers_recorded_commands_like_freeswitch(case):
    recorded, received, commands, _ = replay(case)
    assert [_shape(f) for f in received] == [_shape(f) for f in recorded]
    sent_uuids = set(re.findall(rb"Event-UUID: ([0-9a-f-]+)", b"".join(c for _, c in commands)))
    for mine, theirs in zip(received, recorded):
        assert {k for k in mine[0] if not k.startswith("variable_")} == \
            {k for k in theirs[0] if not k.startswith("variable_")}, f"frame headers differ: {_shape(theirs)}"
        ours, real = _event(mine), _event(theirs)
        if not real:
            continue
        assert {k for k in ours if not k.startswith("variable_")} == {k for k in real if not k.startswith("variable_")}, \
            f"event headers differ in {_shape(theirs)}"
        if real.get("Application-UUID", "").encode() in sent_uuids:
            assert ours["Application-UUID"] == real["Application-UUID"]
        if real["Event-Name"] in ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE"):
            for name in VARIABLES_CHECKED:
                if name.startswith("playback_") and real.get("Hangup-Cause"):
                    continue  # cut by a hang-up, FreeSWITCH counts its read-ahead (4096 ms of a 2.5 s play)
                if "variable_" + name in real:
                    assert ours.get("variable_" + name) == real["variable_" + name], f"{name} in {_shape(theirs)}"


def test_every_recorded_transcript_is_replayed():
    cases = {p.name.split(".")[0] for p in FIXTURES.glob("*.transcript.txt*")}
    assert cases == set(SCRIPTS)


def test_filters_limit_the_events_sent_and_replies_are_worded_like_freeswitch():
    received: list = []
    commands = [b"connect\n\n", b"myevents\n\n", b"myevents\n\n", b"filter Event-Name CHANNEL_EXECUTE_COMPLETE\n\n",
                b"event\n\n", b"nolinger\n\n",
                b"sendmsg\ncall-command: execute\nexecute-app-name: answer\nEvent-UUID: u1\n\n", b"exit\n\n"]

    def application(sock, _address):
        buffer = FrameBuffer()
        for data in commands:
            sock.sendall(data)
            while len(received) < commands.index(data) + 1:
                received.extend(buffer.feed(sock.recv(65536)))
        while chunk := sock.recv(65536):
            received.extend(buffer.feed(chunk))
        sock.close()

    server = StreamServer(("127.0.0.1", 0), application)
    server.start()
    try:
        Emulator(server.address, CallSetup(), CallerScript(), idle_timeout=2).run()
    finally:
        server.stop(timeout=1)
    replies = [h.get("Reply-Text") for h, _ in received if h.get("Content-Type") == "command/reply"]
    assert replies[1:6] == ["+OK Events Enabled", "-ERR aready enabled.",
                            "+OK filter added. [Event-Name]=[CHANNEL_EXECUTE_COMPLETE]", "-ERR no keywords supplied",
                            "+OK will not linger"]
    assert [_event_name(f) for f in received if _event(f)] == ["CHANNEL_EXECUTE_COMPLETE"]
