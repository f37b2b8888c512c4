"""Drive one emulated call through a stored menu and list what happened, step by step.

Used by `centralita ivr try` and meant for `centralita simulate`: the real ESL server and `ivr`
flow run against the FreeSWITCH emulator (fs_plugins.sim) on 127.0.0.1, in virtual time.
"""
from __future__ import annotations

import datetime as dt

from fs_plugins import channel_vars
from fs_plugins.audio import resolve_audio
from fs_plugins.config import Config
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.ivr.flow import ivr_flow, utc_now
from fs_plugins.ivr.loader import load_menu
from fs_plugins.sim.emulator import CallReport, CallSetup, Emulator
from fs_plugins.sim.script import CallerScript


def simulate_menu(config: Config, domain: str, menu_id: int, script: CallerScript, at: dt.datetime | None = None,
                  caller: str = "1001") -> CallReport:
    """One call to the menu `menu_id` of the tenant `domain` with the caller's `script`; `at`
    (aware) fixes the clock for schedules."""
    registry = FlowRegistry()
    registry.register("ivr", ivr_flow(lambda tenant, menu_id: load_menu(tenant, menu_id, resolve_audio),
                                      (lambda: at) if at else utc_now))
    server = EslServer(config.replace(esl_host="127.0.0.1", esl_port=0), registry)
    server.start()
    try:
        setup = CallSetup(caller_number=caller, domain=domain, variables={
            channel_vars.FLOW: "ivr", channel_vars.FLOW_OBJECT: str(menu_id), channel_vars.TENANT: domain})
        return Emulator(server.address, setup, script, idle_timeout=5).run()
    finally:
        server.stop(timeout=1)
