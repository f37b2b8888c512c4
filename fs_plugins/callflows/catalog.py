"""The custom flows this installation offers: from installed packages and from a folder of files.

Two sources, read once per process (`serve` at start, each command when it runs):
  entry points   a package names a `CallFlow` (or a list of them) under the entry-point group
                 ``centralita.flows``: ``crm = acme_flows.crm:flow``
  flows_dir      every ``*.py`` file in the configured folder; each `CallFlow` at the module's top
                 level is offered (files starting with ``_`` or ``.`` are skipped)
Something that cannot be loaded — a syntax error, an import that fails, a name offered twice, an
entry point that is no CallFlow — is a `Problem` of the catalog: `centralita flow list` shows it
and `serve` logs it, and every other flow is offered as usual. Nothing a broken file does stops
the process (SystemExit included).
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Iterable, Mapping

from fs_plugins.callflows.records import CallFlow

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "centralita.flows"
_MODULE_PREFIX = "centralita_flows_dir."


@dataclass(frozen=True)
class Available:
    flow: CallFlow
    origin: str  # "package acme-flows 1.0 (acme_flows.crm:flow)" or "file /etc/centralita/flows/x.py"


@dataclass(frozen=True)
class Problem:
    origin: str
    error: str  # one line: what went wrong
    detail: str = ""  # the traceback, for the log


@dataclass(frozen=True)
class Catalog:
    flows: Mapping[str, Available] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def get(self, name: str) -> CallFlow | None:
        found = self.flows.get(name)
        return found.flow if found else None

    def names(self) -> list[str]:
        return sorted(self.flows)

    def log_problems(self) -> None:
        for problem in self.problems:
            log.error("custom flow not loaded from %s: %s\n%s", problem.origin, problem.error, problem.detail)


@functools.cache
def cached_catalog(flows_dir: str = "") -> Catalog:
    """The catalog of this process, read once (a changed flow file takes effect on restart)."""
    return load_catalog(flows_dir)


def load_catalog(flows_dir: str = "", *, packages: bool = True) -> Catalog:
    found: list[tuple[CallFlow, str]] = []
    problems: list[Problem] = []
    if packages:
        _from_entry_points(found, problems)
    if flows_dir:
        _from_folder(Path(flows_dir), found, problems)
    flows: dict[str, Available] = {}
    for flow, origin in found:
        if flow.name in flows:
            problems.append(Problem(origin, f"flow {flow.name!r} is already offered by {flows[flow.name].origin}"))
            continue
        flows[flow.name] = Available(flow, origin)
    return Catalog(flows, tuple(problems))


def _from_entry_points(found: list, problems: list[Problem]) -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist
        origin = f"package {dist.name} {dist.version} ({entry.value})" if dist else f"entry point {entry.value}"
        try:
            value = entry.load()
        except (Exception, SystemExit) as exc:
            problems.append(_problem(origin, exc))
            continue
        flows = list(value) if isinstance(value, (list, tuple)) else [value]
        if not flows or not all(isinstance(flow, CallFlow) for flow in flows):
            problems.append(Problem(origin, "is not a fs_plugins.callflows.CallFlow (or a list of them)"))
            continue
        found.extend((flow, origin) for flow in flows)


def _from_folder(folder: Path, found: list, problems: list[Problem]) -> None:
    if not folder.is_dir():
        problems.append(Problem(f"folder {folder}", "flows_dir is not a folder"))
        return
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        origin = f"file {path}"
        try:
            flows = [value for value in vars(_load_file(path)).values() if isinstance(value, CallFlow)]
        except (Exception, SystemExit) as exc:
            problems.append(_problem(origin, exc))
            continue
        if not flows:
            problems.append(Problem(origin, "defines no CallFlow at its top level"))
        found.extend((flow, origin) for flow in _unique(flows))


def _load_file(path: Path):
    name = _MODULE_PREFIX + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it runs
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _unique(flows: Iterable[CallFlow]) -> list[CallFlow]:
    """A flow bound to two names in one file (``flow = survey = CallFlow(...)``) counts once."""
    seen: list[CallFlow] = []
    for flow in flows:
        if not any(flow is other for other in seen):
            seen.append(flow)
    return seen


def _problem(origin: str, exc: BaseException) -> Problem:
    line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return Problem(origin, line, "".join(traceback.format_exception(exc)))
