"""The registry of call flows the ESL server dispatches to, and the small `message` flow.

The dialplan names the flow and its object in channel variables (fs_plugins.channel_vars FLOW,
FLOW_OBJECT, TENANT) before the `socket` action; the server looks the flow up here and calls it
with the Channel and the SessionInfo. A flow that cannot find its object raises NotFound before
touching the call, so the session runner hands the call back to the dialplan's fallback action.
"""
from __future__ import annotations

import logging
from typing import Callable

from fs_plugins.channel import Channel, SessionInfo, tone
from fs_plugins.errors import NotFound

log = logging.getLogger(__name__)

Flow = Callable[[Channel, SessionInfo], None]
AudioResolver = Callable[[str, str], "str | None"]  # (tenant domain, audio id) -> playable path


class FlowRegistry:
    def __init__(self):
        self._flows: dict[str, Flow] = {}

    def register(self, name: str, flow: Flow) -> None:
        self._flows[name] = flow

    def get(self, name: str) -> Flow:
        try:
            return self._flows[name]
        except KeyError:
            raise NotFound("flow", f"no flow named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._flows)


def placeholder_audio(tenant: str, audio_id: str) -> str | None:
    """Until the audio library exists every id plays a one-second tone, so the chain
    dialplan -> socket -> ESL server -> flow can be proven end to end."""
    if not audio_id.isdigit() or not tenant:
        return None
    return tone(1000, 440)


def message_flow(resolve_audio: AudioResolver) -> Flow:
    """Answer, play one message of the tenant's audio library, hang up."""

    def run(channel: Channel, info: SessionInfo) -> None:
        path = resolve_audio(info.tenant, info.flow_object)
        if path is None:
            raise NotFound("audio", f"no message {info.flow_object!r} in tenant {info.tenant!r}")
        channel.answer()
        channel.play(path)
        channel.hangup("NORMAL_CLEARING")

    return run


def default_registry(resolve_audio: AudioResolver | None = None, config=None, simulated: bool = False) -> FlowRegistry:
    """The registry with every flow that exists; features add theirs here. `config`: the process's
    Config (default: load_config()); `simulated`: emulated calls (no statistics, no FreeSWITCH)."""
    registry = FlowRegistry()
    from fs_plugins.audio import resolve_audio as library_audio  # the database edge, imported when wired
    from fs_plugins.groups.wiring import production_flow as group_flow
    from fs_plugins.ivr import build_flow as ivr_flow

    registry.register("message", message_flow(resolve_audio or library_audio))
    registry.register("ivr", ivr_flow(resolve_audio or library_audio))
    registry.register("group", group_flow(config, simulated))
    return registry
