"""Drive emulated calls through a stored group and list what happened, step by step.

Used by `centralita group try` and meant for `centralita simulate`: the real ESL server and
`group` flow run against the FreeSWITCH emulator (fs_plugins.sim) on 127.0.0.1 in virtual time;
statistics are not written. Members' phones answer, ring out or are busy as the script's legs
say; `busy` members count as on another call (what channel events would say).
"""
from __future__ import annotations

import datetime as dt

import gevent

from fs_plugins import channel_vars
from fs_plugins.config import Config
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.groups.flow import GroupServices, group_flow
from fs_plugins.groups.loader import load_group
from fs_plugins.sim.emulator import CallReport, CallSetup, Emulator
from fs_plugins.sim.script import CallerScript


def simulate_group(config: Config, domain: str, group_id: int, scripts: list[CallerScript],
                   at: dt.datetime | None = None, busy: frozenset[str] = frozenset(),
                   caller: str = "1001") -> tuple[list[CallReport], list]:
    """One emulated call per script, all at once, to the group `group_id` of the tenant `domain`;
    returns the reports and the records."""
    records: list = []
    services = GroupServices(load=load_group, record=records.append, dial_template=config.outbound_dial_template)
    services.busy.busy = lambda key: key.partition("@")[0] in busy
    if at is not None:
        services.clock = lambda: at
    registry = FlowRegistry()
    registry.register("group", group_flow(services))
    server = EslServer(config.replace(esl_host="127.0.0.1", esl_port=0), registry)
    server.start()
    try:
        calls = []
        for number, script in enumerate(scripts):
            setup = CallSetup(caller_number=caller if number == 0 else f"{caller}{number}", domain=domain,
                              variables={channel_vars.FLOW: "group", channel_vars.FLOW_OBJECT: str(group_id),
                                         channel_vars.TENANT: domain})
            calls.append(gevent.spawn(Emulator(server.address, setup, script, idle_timeout=5).run))
        gevent.joinall(calls)
        return [call.value for call in calls], records
    finally:
        server.stop(timeout=1)


def describe(reports: list[CallReport], records: list) -> list[str]:
    lines = []
    for number, report in enumerate(reports, 1):
        if len(reports) > 1:
            lines.append(f"caller {number}:")
        lines += [f"{at:8.2f} s  {text}" for at, text in report.steps]
        if report.handed_back:
            lines.append("    (the ESL session handed the call back to the dialplan's fallback)")
    for record in records:
        who = f", answered by {record.member}" if record.member else ""
        lines.append(f"result: {record.outcome} after {record.wait_seconds:.1f} s{who}")
    return lines
