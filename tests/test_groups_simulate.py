"""`centralita simulate` shows a group call step by step, and writes no group statistics."""
from __future__ import annotations

from fs_plugins import cli
from fs_plugins import db as dbmod
from fs_plugins.models.groups import GroupCall
from tests import provision


def test_simulate_shows_a_group_call_step_by_step_without_touching_the_statistics(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    database = dbmod.connect(url)
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    for extension in ("1001", "1002", "1003"):
        provision.user(acme, extension, f"User {extension}", password=f"pw-{extension}-secret")
    provision.group(acme, "Sales", ("1002", "1003"), ring_mode="consecutive", member_seconds="5", short_number="600")
    code = cli.main(["--database", url, "simulate", "--from", "1001@acme.example", "--to", "600",
                     "--leg", "user/1003@acme.example=answer:2:10", "--others", "no_answer"])
    out = capsys.readouterr().out
    assert code == 0
    assert "set pbx_flow=group" in out and "bridge [leg_timeout=5]user/1002@acme.example failed: NO_ANSWER" in out
    assert "bridged to user/1003@acme.example" in out and "hangup cause: NORMAL_CLEARING" in out
    assert GroupCall.select().count() == 0
    database.close()
