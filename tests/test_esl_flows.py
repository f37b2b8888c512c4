"""The flow registry and the `message` flow, end to end through the ESL server and the emulator."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config
from fs_plugins.errors import NotFound
from fs_plugins.audio.flow import message_flow
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.flows import installed_flows


def message_call(registry, audio_id="7", tenant="acme.example", script=None):
    server = EslServer(Config(esl_port=0), registry)
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "message", "pbx_flow_object": audio_id, "pbx_tenant": tenant})
        return Emulator(server.address, setup, script or CallerScript(), idle_timeout=2).run()
    finally:
        server.stop(timeout=1)


def test_the_message_flow_answers_plays_the_tenants_audio_and_hangs_up():
    asked = []

    def resolve(tenant, audio_id):
        asked.append((tenant, audio_id))
        return "/var/lib/centralita/audio/acme/7.wav"

    report = message_call(FlowRegistry({"message": message_flow(resolve)}))
    assert asked == [("acme.example", "7")]
    assert report.played == ["/var/lib/centralita/audio/acme/7.wav"]
    assert report.hangup_cause == "NORMAL_CLEARING" and not report.handed_back


def test_a_caller_hanging_up_during_the_message_ends_the_session_quietly():
    report = message_call(FlowRegistry({"message": message_flow(lambda t, a: "tone_stream://%(20000,0,440)")}),
                          script=CallerScript(hangup_at=2))
    assert report.hangup_cause == "NORMAL_CLEARING" and report.commands[-1] == "exit"


def test_the_registry_names_its_flows_and_refuses_unknown_ones():
    registry = installed_flows()
    assert {"message", "ivr"} <= set(registry.names())
    with pytest.raises(NotFound):
        registry.get("no-such-flow")
