"""Plugins: each feature says what it adds in one `plugin.py`; the core finds them through entry points.

A plugin is a `Plugin` value named in setup.cfg under ``[options.entry_points] centralita.plugins``
(``ivr = fs_plugins.ivr.plugin:plugin``). A third-party package adds a flow, a destination kind or a
command the same way, in its own setup.cfg, without editing Centralita (docs/architecture.md has
the worked example). What a plugin may declare:

  components     its tables: (name, models, upgrade steps), created or upgraded by `centralita db`
  commands       ``register(subparsers)``: its `centralita …` sub-commands (parse → app → print)
  mounts         path prefix → ``factory(config) -> WSGI app`` on the HTTP server beside xml_curl
  destinations   DestinationKind: how ``kind:reference`` typed by a person becomes a Destination
                 of the same tenant, how one reads back, and which rows refer to what it points at
  flows          flow name → ``factory(FlowWiring) -> flow(channel, info)`` for the outbound ESL app
  gates          ``factory(FlowWiring) -> gate(info)``: asked before every flow; a gate that
                 returns a hang-up cause refuses the call (the core's: a suspended tenant)
  requires       names of the plugins it builds on (their tables come first; a missing one is an error)

Nothing is imported at import time: `installed()` reads the entry points on first use and keeps the
Registry. Process wiring (`centralita`, `serve`, tests) reaches features only through it, so the
core never imports a feature by name.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.esl.flows import FlowRegistry, Gate

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "centralita.plugins"


class Component(NamedTuple):
    """A set of tables versioned together in ``schema_version`` (see fs_plugins.db)."""

    name: str
    models: tuple
    migrations: tuple = ()


@dataclass(frozen=True)
class DestinationKind:
    """A kind of destination a feature owns (ivr, group, message …).

    `resolve(tenant, reference, field)` turns what a person typed after ``kind:`` into the stored
    Destination, raising InvalidInput(field, …) when the tenant has no such target; `describe(tenant,
    destination)` is how it reads back (``ivr:Main``). Targets are always row ids, so nothing typed
    reaches a dial plan.
    """

    kind: str
    resolve: Callable[[Any, str, str], Destination]
    describe: Callable[[Any, Destination], str]


@dataclass(frozen=True)
class FlowWiring:
    """What a flow factory may need from the process: its configuration, and whether calls are
    emulated (`centralita simulate`: no statistics written, FreeSWITCH never contacted)."""

    config: Config
    simulated: bool = False


WsgiFactory = Callable[[Config], Callable]
FlowFactory = Callable[[FlowWiring], Callable]
GateFactory = Callable[[FlowWiring], Gate]


@dataclass(frozen=True)
class Plugin:
    name: str
    requires: tuple[str, ...] = ()
    components: tuple[Component, ...] = ()
    commands: Callable[[Any], None] | None = None
    mounts: Mapping[str, WsgiFactory] = field(default_factory=dict)
    destinations: tuple[DestinationKind, ...] = ()
    flows: Mapping[str, FlowFactory] = field(default_factory=dict)
    gates: tuple[GateFactory, ...] = ()


class PluginError(RuntimeError):
    """The installed plugins do not fit together (a missing requirement, a kind claimed twice)."""


class Registry:
    """The plugins of this installation, dependencies first, and what they add."""

    def __init__(self, plugins: Iterable[Plugin]):
        self.plugins = _in_dependency_order(list(plugins))
        self.components = [c for p in self.plugins for c in p.components]
        self.destination_kinds = _unique("destination kind", [(d.kind, d) for p in self.plugins for d in p.destinations])
        self.mounts = _unique("HTTP mount", [(prefix, f) for p in self.plugins for prefix, f in p.mounts.items()])
        self.flow_factories = _unique("flow", [(name, f) for p in self.plugins for name, f in p.flows.items()])
        self.gate_factories = [gate for p in self.plugins for gate in p.gates]

    def names(self) -> list[str]:
        return [plugin.name for plugin in self.plugins]

    def register_commands(self, subparsers) -> None:
        for plugin in self.plugins:
            if plugin.commands is not None:
                plugin.commands(subparsers)

    def flow_registry(self, wiring: FlowWiring) -> FlowRegistry:
        """Every plugin's flows, built for this process (`serve`, `simulate`, a test)."""
        return FlowRegistry({name: factory(wiring) for name, factory in self.flow_factories.items()},
                            gates=[factory(wiring) for factory in self.gate_factories])

    def models(self) -> list:
        return [model for component in self.components for model in component.models]


def discover() -> list[Plugin]:
    """Every plugin named by an installed distribution's ``centralita.plugins`` entry points."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry.load()
        if not isinstance(plugin, Plugin):
            raise PluginError(f"entry point {entry.name} = {entry.value} is not a fs_plugins.plugins.Plugin")
        found.append(plugin)
    if not any(plugin.name == "core" for plugin in found):
        raise PluginError("Centralita's plugins are not registered (no 'core' entry point): "
                          "run `.venv/bin/pip install -e .` again after setup.cfg changed")
    return found


@functools.cache
def installed() -> Registry:
    """The registry of this installation, read from the entry points once per process."""
    registry = Registry(discover())
    log.debug("plugins: %s", ", ".join(registry.names()))
    return registry


def _in_dependency_order(plugins: list[Plugin]) -> list[Plugin]:
    """Required plugins before those requiring them; otherwise the core first, then by name."""
    by_name = _unique("plugin", ((p.name, p) for p in plugins))
    ordered, placing = [], set()

    def place(plugin: Plugin) -> None:
        if plugin in ordered:
            return
        if plugin.name in placing:
            raise PluginError(f"plugins require each other in a circle through {plugin.name!r}")
        placing.add(plugin.name)
        for name in plugin.requires:
            if name not in by_name:
                raise PluginError(f"plugin {plugin.name!r} requires {name!r}, which is not installed")
            place(by_name[name])
        ordered.append(plugin)

    for plugin in sorted(plugins, key=lambda p: (p.name != "core", p.name)):
        place(plugin)
    return ordered


def _unique(what: str, pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PluginError(f"{what} {key!r} is declared by two plugins")
        result[key] = value
    return result
