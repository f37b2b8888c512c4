"""The registry of call flows the ESL server dispatches to.

Flows come from the plugins (each declares ``flows = {name: factory}``, see fs_plugins.plugins);
the process wiring builds the registry with `Registry.flow_registry`. The dialplan names the flow
and its object in channel variables (fs_plugins.channel_vars FLOW, FLOW_OBJECT, TENANT) before
the `socket` action; the server looks the flow up here and calls it with the Channel and the
SessionInfo. A flow that cannot find its object raises NotFound before
touching the call, so the session runner hands the call back to the dialplan's fallback action.
"""
from __future__ import annotations

from typing import Callable

from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.errors import NotFound

Flow = Callable[[Channel, SessionInfo], None]


class FlowRegistry:
    def __init__(self, flows: dict[str, Flow] | None = None):
        self._flows: dict[str, Flow] = dict(flows or {})

    def register(self, name: str, flow: Flow) -> None:
        self._flows[name] = flow

    def get(self, name: str) -> Flow:
        try:
            return self._flows[name]
        except KeyError:
            raise NotFound("flow", f"no flow named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._flows)
