"""`centralita simulate --post-cdr` itself, as a user types it: the call lands in the call log."""
from __future__ import annotations

import pytest

from tests.calllog_world import DOMAIN, World


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("cli")).setup()


def logged(world, capsys) -> dict:
    """The newest call's entries as `calls list` prints them, by the user whose log it is."""
    out = {}
    for user in ("1001", "1002", "1003", "1004"):
        capsys.readouterr()
        world.cli(f"calls list --tenant {DOMAIN} --user {user}")
        lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
        out[user] = lines
    return out


@pytest.mark.parametrize("argv, user, status", [
    (f"--from 1001@{DOMAIN} --to 1002 --others busy", "1001", "Cancelado"),
    (f"--from 1001@{DOMAIN} --to 1004 --hangup 6", "1004", "No molestar"),
    (f"--from 1001@{DOMAIN} --to 1002 --transfer blind:3:1003", "1002", "Transferido"),
    (f"--from 1001@{DOMAIN} --to 1002 --others no_answer --hangup 4", "1002", "Perdido"),
])
def test_a_simulated_call_posted_as_cdrs_shows_in_the_users_log(world, capsys, argv, user, status):
    world.cli(f"simulate {argv} --post-cdr")
    printed = capsys.readouterr().out
    assert "CDRs posted (B legs, then A): " in printed and "200 OK" in printed
    world.cli(f"calls list --tenant {DOMAIN} --user {user}")
    newest = [line for line in capsys.readouterr().out.splitlines() if line.strip()][1]
    assert status in newest, newest
