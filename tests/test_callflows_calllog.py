"""A call through a custom flow in the call log: classified like any call, the route's name shown
with the number dialled, and the flow's note on the entry (dialplan → emulator → CDR posts)."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from fs_plugins.cli import main

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples" / "flows")
SETUP = """
tenant add acme.example --name Acme
user add --tenant acme.example 1001 --name Boss
flow enable pin_line --tenant acme.example
flow attach pin_line --tenant acme.example --set pin=4321 --set target=user:1001
number add --tenant acme.example +34910000999 --to flow:pin_line
"""


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CENTRALITA_FLOWS_DIR", EXAMPLES)

    def run(line: str) -> str:
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), *shlex.split(line)]) == 0, line
        return capsys.readouterr().out

    for line in SETUP.strip().splitlines():
        run(line)
    return run


def test_the_call_log_names_the_flow_and_shows_its_note(cli):
    printed = cli("simulate --from +34600111222 --to +34910000999 --digits 4321 --post-cdr")
    assert "transferred to pbx-user-" in printed and "200 OK" in printed
    [header, entry] = cli("calls list --tenant acme.example --user 1001").splitlines()[:2]
    assert header.split()[-1] == "note"
    assert "Recibido" in entry and "+34910000999 (pin_line)" in entry and entry.endswith("PIN accepted")
    exported = cli("calls export --tenant acme.example --user 1001")
    assert "PIN accepted" in exported.splitlines()[1]


def test_a_rejected_caller_is_a_tenant_entry_with_the_flows_note(cli):
    cli("simulate --from +34600111222 --to +34910000999 --digits 1,2,3 --post-cdr")
    [_, entry] = cli("calls list --tenant acme.example").splitlines()[:2]
    assert "+34910000999 (pin_line)" in entry and entry.endswith("wrong PIN")
