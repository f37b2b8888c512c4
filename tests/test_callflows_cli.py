"""`centralita flow …` as an operator types it: errors name the option, secrets stay hidden, and
`flow try` runs the route on the emulator."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from fs_plugins.cli import main

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples" / "flows")


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CENTRALITA_FLOWS_DIR", EXAMPLES)

    def run(line: str, status: int = 0) -> str:
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), *shlex.split(line)]) == status, line
        out = capsys.readouterr()
        return out.out + out.err

    run("tenant add acme.example --name Acme")
    run("user add --tenant acme.example 1001 --name Boss")
    return run


def test_a_flow_is_enabled_attached_shown_and_tried(cli):
    assert "flow pin_line enabled for acme.example" in cli("flow enable pin_line --tenant acme.example")
    attached = cli("flow attach pin_line --tenant acme.example --as boss --set pin=4321 --set target=user:1001")
    assert "flow:boss attached: flow pin_line, fallback voicemail: (general box); pin=(set); target=user:1001 (Boss)" \
        in attached
    shown = cli("flow show boss --tenant acme.example")
    assert "pin = (set)" in shown and "4321" not in shown
    tried = cli("flow try boss --tenant acme.example --digits 4321")
    assert "transferred to pbx-user-" in tried
    tried = cli("flow try boss --tenant acme.example --digits 1,2,3")
    assert "application hangs up (CALL_REJECTED)" in tried
    cli("number add --tenant acme.example +34910000999 --to flow:boss")
    assert "still reached from number +34910000999" in cli("flow detach boss --tenant acme.example", status=2)


@pytest.mark.parametrize("line, message", [
    ("flow attach pin_line --tenant acme.example --set pin=12 --set target=user:1001", "--set pin: must be 4 to 12 digits"),
    ("flow attach pin_line --tenant acme.example --set pin=1234 --set target=user:9", "--set target: no user with extension"),
    ("flow attach pin_line --tenant acme.example --set pin", "--set: expected NAME=VALUE"),
    ("flow attach pin_line --tenant acme.example --set pin=1234 --set target=user:1001 --fallback user:7",
     "--fallback: no user with extension '7'"),
    ("flow attach nope --tenant acme.example", "flow: no flow 'nope' is installed"),
])
def test_a_bad_attach_names_the_option(cli, line, message):
    cli("flow enable pin_line --tenant acme.example")
    assert message in cli(line, status=2 if "nope" not in line else 1)
    assert "flow:" not in cli("flow routes --tenant acme.example").splitlines()[-1]
