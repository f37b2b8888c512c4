"""Drive emulated calls through a tenant's flow route and list what happened, step by step.

Used by `centralita flow try` and by the authors' helper (fs_plugins.callflows.testing): the real
ESL server and the real `flow` ESL flow (budget, fallback and all) run against the FreeSWITCH
emulator (fs_plugins.sim) on 127.0.0.1, in virtual time. The emulator reports a transfer as the
routing extension the flow handed the call to (pbx-voicemail-, pbx-user-17 …).
"""
from __future__ import annotations

from typing import Sequence

import gevent

from fs_plugins import channel_vars
from fs_plugins.callflows import loader
from fs_plugins.callflows.catalog import Catalog, cached_catalog
from fs_plugins.callflows.flow import custom_flow
from fs_plugins.config import Config
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.sim.emulator import CallReport, CallSetup, Emulator
from fs_plugins.sim.script import CallerScript, Leg


def simulate_route(config: Config, domain: str, route_id: int, digits: Sequence[str] = (), *,
                   caller: str = "+34600000001", hangup_at: float | None = None, dialled: str = "",
                   legs: dict[str, Leg] | None = None, catalog: Catalog | None = None) -> CallReport:
    """One call from `caller` to the route `route_id` of the tenant `domain`."""
    script = CallerScript(digits=list(digits), hangup_at=hangup_at, legs=dict(legs or {}),
                          default_leg=Leg("answer", talk=5.0))
    return simulate_calls(config, domain, route_id, [(caller, script)], dialled=dialled, catalog=catalog)[0]


def simulate_calls(config: Config, domain: str, route_id: int, calls: Sequence[tuple[str, CallerScript]], *,
                   dialled: str = "", catalog: Catalog | None = None) -> list[CallReport]:
    """Several callers at once (each (caller, script)); their reports in the same order."""
    registry = FlowRegistry()
    registry.register("flow", custom_flow(catalog or cached_catalog(config.flows_dir), config.flow_budget_seconds,
                                          loader.resolve_destination, hold_seconds=config.flow_hold_seconds))
    server = EslServer(config.replace(esl_host="127.0.0.1", esl_port=0), registry)
    server.start()
    try:
        running = []
        for caller, script in calls:
            setup = CallSetup(caller_number=caller, caller_name=caller, domain=domain,
                              destination=dialled or f"pbx-flow-{route_id}",
                              variables={channel_vars.FLOW: "flow", channel_vars.FLOW_OBJECT: str(route_id),
                                         channel_vars.TENANT: domain})
            running.append(gevent.spawn(Emulator(server.address, setup, script, idle_timeout=5).run))
        gevent.joinall(running, raise_error=True)
        return [call.value for call in running]
    finally:
        server.stop(timeout=1)
