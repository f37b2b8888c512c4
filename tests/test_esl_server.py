"""The outbound ESL server: dispatch, the session cap, hand-back to the dialplan, server stop,
and peers that misbehave (malformed frames, silence, a dead connection)."""
from __future__ import annotations

import gevent
import pytest
from gevent import socket
from gevent.event import Event

from fs_plugins.channel import CallGone, CommandTimeout
from fs_plugins.config import Config
from fs_plugins.audio.flow import message_flow
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.flows import installed_flows

LONG = "tone_stream://%(30000,0,440)"
VARS = {"pbx_flow": "test", "pbx_tenant": "acme.example", "pbx_flow_object": "1"}


@pytest.fixture
def server_for():
    servers = []

    def make(flow=None, registry=None, **config):
        if registry is None:
            registry = FlowRegistry()
            registry.register("test", flow)
        server = EslServer(Config(esl_port=0, **config), registry)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop(timeout=1)
    gevent.sleep(0.01)


def emulate(server, variables=VARS, script=None):
    return Emulator(server.address, CallSetup(variables=dict(variables)), script or CallerScript(), idle_timeout=2).run()


def test_an_unknown_flow_is_handed_back_to_the_dialplan_without_answering(server_for):
    report = emulate(server_for(registry=installed_flows()), {**VARS, "pbx_flow": "nonesuch"})
    assert report.handed_back and report.commands == ["myevents", "linger", "exit"]


def test_a_message_that_does_not_exist_is_handed_back(server_for):
    server = server_for(registry=FlowRegistry({"message": message_flow(lambda tenant, audio: None)}))
    report = emulate(server, {**VARS, "pbx_flow": "message"})
    assert report.handed_back and report.played == []


def test_a_failing_flow_is_logged_and_the_call_handed_back(server_for):
    def flow(channel, info):
        raise RuntimeError("bug")

    assert emulate(server_for(flow)).handed_back


def test_over_the_cap_a_connection_is_closed_so_freeswitch_runs_the_fallback(server_for):
    release = Event()
    server = server_for(lambda ch, info: release.wait(5), esl_max_sessions=1)
    first = gevent.spawn(emulate, server)
    gevent.sleep(0.05)
    assert server.active == 1
    second = emulate(server)
    assert second.refused and second.handed_back and server.refused == 1
    release.set()
    assert first.get(timeout=5).handed_back


def test_many_calls_at_once_below_the_cap_are_all_served(server_for):
    def flow(ch, info):
        ch.answer()
        ch.play(LONG)
        ch.hangup()

    server = server_for(flow, esl_max_sessions=100)
    reports = [g.get(timeout=20) for g in [gevent.spawn(emulate, server) for _ in range(50)]]
    assert all(r.hangup_cause == "NORMAL_CLEARING" for r in reports) and server.refused == 0


def test_stopping_the_server_mid_call_releases_the_flow_and_the_dialplan_continues(server_for):
    seen = {}

    def flow(ch, info):
        ch.answer()
        try:
            ch.play(LONG)
        except CallGone as gone:
            seen["gone"] = gone
            raise

    server = server_for(flow)
    call = gevent.spawn(Emulator(server.address, CallSetup(variables=VARS), quiet=0.2, idle_timeout=2).run)
    gevent.sleep(0.1)
    server.stop(timeout=1)
    report = call.get(timeout=5)
    assert "gone" in seen and report.handed_back and report.hangup_cause is None


class RawPeer:
    """A hand-driven FreeSWITCH side, for peers that break the protocol."""

    REPLY = (b"Unique-ID: 0a0a\nvariable_pbx_flow: test\nContent-Type: command/reply\n"
             b"Reply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")

    def __init__(self, server):
        self.sock = socket.create_connection(server.address)
        self.sock.settimeout(3)

    def expect(self, command: bytes):
        data = b""
        while not data.endswith(b"\n\n"):
            chunk = self.sock.recv(4096)
            assert chunk, "server closed"
            data += chunk
        assert data.startswith(command), data
        return data

    def handshake(self):
        self.expect(b"connect")
        self.sock.sendall(self.REPLY)
        for command in (b"myevents", b"linger"):
            self.expect(command)
            self.sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK\n\n")

    def closed_by_server(self) -> bool:
        try:
            while self.sock.recv(4096):
                pass
            return True
        except OSError:
            return False
        finally:
            self.sock.close()


def flow_recording(seen):
    def flow(ch, info):
        try:
            ch.answer()
        except CallGone as gone:
            seen["gone"] = gone
            raise
    return flow


@pytest.mark.parametrize("garbage", [
    b"Content-Length: banana\nContent-Type: text/event-plain\n\n",
    b"Content-Length: 12\nContent-Type: text/event-plain\n\nNo-Name: x\n\n",
    b"Content-Type: command/reply\nReply-Text: +OK\n\nContent-Type: command/reply\nReply-Text: +OK\n\n",
    b"this is not a header\n\n",
])
def test_a_malformed_frame_ends_the_session_and_releases_the_flow(server_for, garbage):
    seen = {}
    server = server_for(flow_recording(seen))
    peer = RawPeer(server)
    peer.handshake()
    peer.expect(b"sendmsg")
    peer.sock.sendall(garbage)
    assert peer.closed_by_server()
    gevent.sleep(0.05)
    assert isinstance(seen["gone"], CallGone) and server.active == 0


def test_a_connection_dying_without_a_disconnect_notice_releases_the_waiting_command(server_for):
    seen = {}
    server = server_for(flow_recording(seen))
    peer = RawPeer(server)
    peer.handshake()
    peer.expect(b"sendmsg")
    peer.sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK\n\n")
    peer.sock.close()
    gevent.sleep(0.1)
    assert "connection closed" in seen["gone"].reason and server.active == 0


def test_a_command_freeswitch_never_answers_times_out(server_for):
    seen = {}
    server = server_for(flow_recording(seen), esl_command_timeout=0.2)
    peer = RawPeer(server)
    peer.handshake()
    peer.expect(b"sendmsg")
    gevent.sleep(0.4)
    assert isinstance(seen["gone"], CommandTimeout)
    assert peer.closed_by_server()
