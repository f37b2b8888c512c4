"""The `message` flow: answer, play one message of the tenant's audio library, hang up."""
from __future__ import annotations

from typing import Callable

from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.errors import NotFound

AudioResolver = Callable[[str, str], "str | None"]  # (tenant domain, audio id) -> playable path


def message_flow(resolve_audio: AudioResolver):
    def run(channel: Channel, info: SessionInfo) -> None:
        path = resolve_audio(info.tenant, info.flow_object)
        if path is None:
            raise NotFound("audio", f"no message {info.flow_object!r} in tenant {info.tenant!r}")
        channel.answer()
        channel.play(path)
        channel.hangup("NORMAL_CLEARING")

    return run
