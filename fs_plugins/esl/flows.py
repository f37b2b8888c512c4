"""The registry of call flows the ESL server dispatches to.

Flows come from the plugins (each declares ``flows = {name: factory}``, see fs_plugins.plugins);
the process wiring builds the registry with `Registry.flow_registry`. The dialplan names the flow
and its object in channel variables (fs_plugins.channel_vars FLOW, FLOW_OBJECT, TENANT) before
the `socket` action; the server looks the flow up here and calls it with the Channel and the
SessionInfo. A flow that cannot find its object raises NotFound before
touching the call, so the session runner hands the call back to the dialplan's fallback action.

Gates (a plugin's `gates`) are asked first: one that answers a hang-up cause refuses the call
before any flow runs (the core's refuses a suspended tenant's calls with CALL_REJECTED).
"""
from __future__ import annotations

import functools
import logging
from typing import Callable, Sequence

from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.errors import NotFound

log = logging.getLogger(__name__)
Flow = Callable[[Channel, SessionInfo], None]
Gate = Callable[[SessionInfo], "str | None"]  # a hang-up cause refuses the call, None lets it through


class FlowRegistry:
    def __init__(self, flows: dict[str, Flow] | None = None, gates: Sequence[Gate] = ()):
        self._flows: dict[str, Flow] = dict(flows or {})
        self._gates = tuple(gates)

    def register(self, name: str, flow: Flow) -> None:
        self._flows[name] = flow

    def get(self, name: str) -> Flow:
        try:
            flow = self._flows[name]
        except KeyError:
            raise NotFound("flow", f"no flow named {name!r}") from None
        return _gated(flow, self._gates) if self._gates else flow

    def names(self) -> list[str]:
        return sorted(self._flows)


def _gated(flow: Flow, gates: tuple[Gate, ...]) -> Flow:
    @functools.wraps(flow)  # keeps what the flow exposes (the group flow's queues, for the gauges)
    def run(channel: Channel, info: SessionInfo) -> None:
        for gate in gates:
            cause = gate(info)
            if cause:
                log.info("call %s to %s of %s refused before the flow: %s", info.uuid, info.flow, info.tenant, cause)
                channel.hangup(cause)
                return
        flow(channel, info)

    return run
