"""Plugins: what the installed ones declare, how they are ordered, and a third party's plugin
found through its own entry point, from outside the package: docs/architecture.md's worked example,
run as written there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_plugins import plugins
from fs_plugins.plugins import Component, DestinationKind, Plugin, PluginError, Registry

ROOT = Path(__file__).resolve().parents[1]


def test_every_feature_is_an_installed_plugin_declaring_what_it_adds():
    registry = plugins.installed()
    assert registry.names()[0] == "core"
    assert {"core", "contacts", "schedule", "calllog", "callhandling", "audio", "ivr", "billing", "groups",
            "voicemail"} <= set(registry.names())
    assert {"message", "ivr", "group"} <= set(registry.destination_kinds)
    assert {"message", "ivr", "group"} <= set(registry.flow_factories)
    assert {"/cdr", "/phonebook"} <= set(registry.mounts)
    # Tables come after the tables they refer to.
    order = [component.name for component in registry.components]
    assert order.index("audio") < order.index("ivr") and order.index("schedule") < order.index("groups")


def test_plugins_come_after_what_they_require():
    a, b, c = Plugin("a", requires=("b",)), Plugin("b", requires=("core",)), Plugin("core")
    assert Registry([a, b, c]).names() == ["core", "b", "a"]


@pytest.mark.parametrize("found, problem", [
    ([Plugin("core"), Plugin("x", requires=("missing",))], "requires 'missing'"),
    ([Plugin("core"), Plugin("x", requires=("y",)), Plugin("y", requires=("x",))], "circle"),
    ([Plugin("core", destinations=(DestinationKind("pager", print, print),)),
      Plugin("x", destinations=(DestinationKind("pager", print, print),))], "destination kind 'pager'"),
    ([Plugin("core", components=(Component("t", ()),)), Plugin("core")], "plugin 'core'"),
])
def test_plugins_that_do_not_fit_together_are_refused_by_name(found, problem):
    with pytest.raises(PluginError, match=problem):
        Registry(found)


def worked_example() -> str:
    """The plugin module of docs/architecture.md's worked example, as the reader sees it."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## Worked example: adding a destination kind as a plugin", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]




@pytest.fixture
def third_party(tmp_path):
    """A package outside Centralita, visible to Python with its own entry point (as pip installs it)."""
    (tmp_path / "pager_plugin.py").write_text(worked_example())
    info = tmp_path / "pager_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pager-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[centralita.plugins]\npager = pager_plugin:plugin\n")
    return tmp_path


def run_centralita(third_party: Path, *script: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(third_party), str(ROOT)]),
           "CENTRALITA_DATABASE_URL": f"sqlite:///{third_party / 'c.db'}", "CENTRALITA_FS_EVENT_SOCKET_PORT": "0"}
    code = "import sys\nfrom fs_plugins.cli import main\n" + "\n".join(
        f"assert main({list(argv.split())!r}) == 0" for argv in script)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_plugin_from_another_package_adds_a_command_a_destination_kind_a_table_and_a_flow(third_party):
    out = run_centralita(
        third_party,
        "tenant add acme.example --name Acme",
        "pager Lobby --tenant acme.example",
        "number add --tenant acme.example +34910000777 --to pager:Lobby",
        "number list --tenant acme.example",
        "db status",
    )
    assert "pager Lobby added" in out and "+34910000777 → pager:Lobby" in out
    assert "pager        1 (latest 1)" in out
    flows = subprocess.run(
        [sys.executable, "-c", "from fs_plugins import plugins; from fs_plugins.config import Config;"
                               "from fs_plugins.plugins import FlowWiring;"
                               "print(plugins.installed().flow_registry(FlowWiring(Config())).names())"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(third_party), str(ROOT)])},
        capture_output=True, text=True, timeout=120)
    assert "'pager'" in flows.stdout, flows.stderr
