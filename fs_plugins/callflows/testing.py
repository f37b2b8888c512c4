"""Test a custom flow against the FreeSWITCH emulator in a few lines (for flow authors).

    from fs_plugins.callflows.testing import flow_world
    from my_flows.pin import flow

    def test_the_right_pin_reaches_the_boss(tmp_path):
        with flow_world(flow, tmp_path, settings={"pin": "4321", "target": "user:1001"}) as world:
            world.add_user("1001", "Boss")
            call = world.call(digits=["4321"])
        assert call.handed_to == "user:1001 (Boss)"

`flow_world` makes a throwaway PBX in `folder`: an SQLite database with one tenant allowed to use
the flow and a route to it (``flow:<flow name>``) with your settings, then runs each call through
the real ESL server and the real `flow` runner (budget, fallback and all) on the emulator, in
virtual time. No FreeSWITCH, no configuration, nothing left behind outside `folder`.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from fs_plugins import db as dbmod
from fs_plugins import references
from fs_plugins.application import AppContext
from fs_plugins.callflows import settings as checks
from fs_plugins.callflows import simulate
from fs_plugins.callflows.catalog import Available, Catalog
from fs_plugins.callflows.records import CallFlow
from fs_plugins.config import Config
from fs_plugins.core import app as core
from fs_plugins.destinations import Destination
from fs_plugins.models import Tenant, database
from fs_plugins.models.callflows import FlowGrant, FlowNote, FlowRecord, FlowRoute
from fs_plugins.sim.call import CallReport
from fs_plugins.sim.script import CallerScript, Leg

_QUIET = AppContext.operator(origin="flow test", audit=lambda event: None)


@dataclass(frozen=True)
class FlowCall:
    """One emulated call: what the caller heard and where the call went."""

    report: CallReport
    handed_to: str | None  # where the flow (or its fallback) transferred the call: "user:1001 (Boss)"
    note: str | None  # the note the flow left for the call log

    @property
    def played(self) -> list[str]:
        return list(self.report.played)

    @property
    def hangup_cause(self) -> str | None:
        return self.report.hangup_cause

    @property
    def steps(self) -> list[str]:
        return self.report.lines()


class FlowWorld:
    def __init__(self, flow: CallFlow, folder: Path, domain: str, budget: float, hold: float):
        self.flow = flow
        self.domain = domain
        self.config = Config(data_dir=str(folder), flow_budget_seconds=budget, flow_hold_seconds=hold)
        self.catalog = Catalog({flow.name: Available(flow, "test")})
        self.tenant: Tenant | None = None
        self.route: FlowRoute | None = None

    def add_user(self, extension: str, name: str = "") -> None:
        core.add_user(_QUIET, self.domain, extension, name or f"User {extension}")

    def call(self, digits: Sequence[str] = (), *, caller: str = "+34600000001", hangup_at: float | None = None,
             legs: Mapping[str, str] | None = None) -> FlowCall:
        """A call from `caller` typing `digits` at each prompt; `legs`: what a bridged user's phone
        does, by extension (answer, busy, no_answer, reject; default answer)."""
        dialled = {f"user/{ext}@{self.domain}": Leg(outcome, talk=5.0 if outcome == "answer" else None)
                   for ext, outcome in (legs or {}).items()}
        script = CallerScript(digits=list(digits), hangup_at=hangup_at, legs=dialled,
                              default_leg=Leg("answer", talk=5.0))
        report = simulate.simulate_calls(self.config, self.domain, self.route.id, [(caller, script)],
                                         catalog=self.catalog)[0]
        return self._outcome(report)

    def calls(self, scripts: Sequence[tuple[str, CallerScript]]) -> list[FlowCall]:
        """Several callers at once: (caller number, script) each."""
        reports = simulate.simulate_calls(self.config, self.domain, self.route.id, scripts, catalog=self.catalog)
        return [self._outcome(report) for report in reports]

    def records(self) -> list[dict[str, Any]]:
        rows = FlowRecord.select().where(FlowRecord.tenant == self.tenant).order_by(FlowRecord.id)
        return [checks.loads(row.data) for row in rows]

    def _outcome(self, report: CallReport) -> FlowCall:
        handed = None
        if report.transfer:
            target = Destination.from_routing_extension(report.transfer[0])
            handed = references.describe(self.tenant, target) if target else report.transfer[0]
        note = FlowNote.get_or_none(FlowNote.tenant == self.tenant, FlowNote.call_uuid == report.uuid)
        return FlowCall(report, handed, note.note if note else None)


@contextlib.contextmanager
def flow_world(flow: CallFlow, folder: str | Path, *, settings: Mapping[str, Any] | None = None,
               fallback: str | None = None, users: Mapping[str, str] | None = None,
               domain: str = "flows.test", budget: float = 10.0, hold: float = 0.5) -> Iterator[FlowWorld]:
    """A PBX with one tenant (`domain`) using `flow` through a route with `settings` (as typed:
    ``"user:1001"`` for a destination) and `fallback`; `users` (extension -> name) exist first,
    so settings may name them."""
    database_ = dbmod.connect(f"sqlite:///{Path(folder) / 'flows-test.db'}")
    world = FlowWorld(flow, Path(folder), domain, budget, hold)
    try:
        _prepare(world, dict(users or {}), dict(settings or {}), fallback)
        yield world
    finally:
        database_.close()


def _prepare(world: FlowWorld, users: dict, values: dict, fallback: str | None) -> None:
    """The tenant, its users, the flow allowed and attached (as the operator and the admin would)."""
    core.add_tenant(_QUIET, world.domain, "Flow test", "Europe/Madrid", "es", "ES", None)
    world.tenant = Tenant.get(Tenant.domain == world.domain)
    for extension, name in users.items():
        world.add_user(extension, name)
    with database.atomic():
        FlowGrant.create(tenant=world.tenant, flow=world.flow.name)
        checked = checks.check_values(world.flow, world.tenant, values)
        checks.check_required(world.flow, {}, checked)
        world.route = FlowRoute.create(tenant=world.tenant, name=world.flow.name, flow=world.flow.name,
                                       settings=checks.dumps(checked), fallback=checks.fallback(world.tenant, fallback))
        checks.write_targets(world.route, world.flow, checked)
