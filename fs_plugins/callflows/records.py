"""What a custom call flow is (`CallFlow`), and the route a tenant attached it with (`Route`).

A flow author writes one function taking the session (docs/flows.md) and declares it::

    from fs_plugins.callflows import CallFlow, Setting, INTEGER

    def greet(session):
        session.answer()
        session.say(session.settings["times"])

    flow = CallFlow("greet", greet, settings=(Setting("times", INTEGER, default=1),),
                    description="says a number")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from fs_plugins.callflows.kinds import FLOW_NAME, Setting
from fs_plugins.destinations import Destination


@dataclass(frozen=True)
class CallFlow:
    name: str
    run: Callable[[Any], None]  # run(session); returns when the flow is done with the call
    settings: tuple[Setting, ...] = ()
    description: str = ""

    def __post_init__(self):
        if not FLOW_NAME.match(self.name or ""):
            raise ValueError(f"flow name {self.name!r}: 2-32 lower-case letters, digits or _, starting with a letter")
        if not callable(self.run):
            raise ValueError(f"flow {self.name}: run must be callable")
        names = [s.name for s in self.settings]
        if len(set(names)) != len(names):
            raise ValueError(f"flow {self.name}: a setting is declared twice")

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True)
class Route:
    """A flow attached in a tenant: what a ``flow:<route id>`` destination runs."""

    id: int
    tenant_id: int
    domain: str
    name: str
    flow: str
    settings: Mapping[str, Any] = field(default_factory=dict)  # the tenant's values, then the route's
    fallback: Destination | None = None  # None: the tenant's general voicemail box
    enabled: bool = True  # False when the operator no longer allows the flow for the tenant
