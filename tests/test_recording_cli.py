"""`centralita recording …` end to end on a SQLite file: policy, options, sweep, list, show, remove."""
from __future__ import annotations

import pytest

from fs_plugins.cli import main
from fs_plugins.models.calllog import CallEntry
from tests import provision

CALL = "5e1f0000-0000-4000-8000-000000000001"


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture
def acme(db):
    owner = provision.tenant("Acme", "acme.example")
    provision.user(owner, "1001", "Ana")
    return owner


def test_the_recording_commands_set_policy_options_and_manage_the_files(acme, db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_DATABASE_URL", db_url)
    monkeypatch.setenv("CENTRALITA_RECORDINGS_DIR", str(tmp_path))
    policy = ("recording", "policy", "--tenant", "acme.example", "--user", "1001", "all")
    assert run(capsys, *policy) == (0, "user 1001: all\n")
    assert "1001" in run(capsys, "recording", "policies", "--tenant", "acme.example")[1]
    options = ("--announce", "on", "--retention-days", "30")
    code, out = run(capsys, "recording", "options", "--tenant", "acme.example", *options)
    assert (code, out) == (0, "announcement: on\nkept for: 30 days\n")
    CallEntry.create(tenant=acme, user=provision.find_user(acme, "1001"), call_id=CALL, kind="made",
                     status="answered", direction="outbound", started_at=2_000_000_000)
    (tmp_path / str(acme.id)).mkdir()
    (tmp_path / str(acme.id) / f"{CALL}.wav").write_bytes(b"RIFF")
    assert "filed 1" in run(capsys, "recording", "sweep")[1]
    code, out = run(capsys, "recording", "list", "--tenant", "acme.example")
    assert code == 0 and CALL in out and "1001" in out
    recording_id = out.splitlines()[-1].split()[0]
    code, out = run(capsys, "recording", "show", "--tenant", "acme.example", recording_id)
    assert code == 0 and str(tmp_path / str(acme.id) / f"{CALL}.wav") in out
    assert run(capsys, "recording", "remove", "--tenant", "acme.example", recording_id)[0] == 0
    assert not (tmp_path / str(acme.id) / f"{CALL}.wav").exists()


def test_a_bad_mode_is_refused_by_the_command(acme, db_url, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_DATABASE_URL", db_url)
    with pytest.raises(SystemExit):
        main(["recording", "policy", "--tenant", "acme.example", "--user", "1001", "sometimes"])
