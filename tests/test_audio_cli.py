"""`centralita audio …` end to end, and the `message` flow playing a library file."""
from __future__ import annotations

import pytest

from fs_plugins import cli
from fs_plugins import db as dbmod
from fs_plugins.config import Config
from fs_plugins.esl.server import EslServer
from fs_plugins.models import Tenant
from fs_plugins.models.audio import AudioFile
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins import plugins
from tests.audio_helpers import sine
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.flows import installed_flows


@pytest.fixture
def run(db_url, capsys, monkeypatch, tmp_path):
    database = dbmod.connect(db_url)
    Tenant.create(name="Acme", domain="acme.example")

    def run(*argv):
        code = cli.main(["--database", db_url, "--data-dir", str(tmp_path / "data"), "audio", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    database.close()


def test_audio_commands_are_registered_in_the_cli():
    assert "audio" in plugins.installed().names()


def test_upload_list_and_remove(run, tmp_path):
    code, out, _ = run("upload", "Bienvenida", str(sine(tmp_path / "w.mp3", 2, 8000, kind="mp3")),
                       "--tenant", "acme.example")
    assert code == 0 and "audio 'Bienvenida' stored:" in out and "8000 Hz mono (from mp3)" in out
    code, out, _ = run("list", "--tenant", "acme.example")
    assert code == 0 and out.splitlines()[0].split()[:5] == ["ID", "NAME", "LENGTH", "RATE", "SOURCE"]
    assert "Bienvenida" in out and "upload" in out
    assert run("remove", "Bienvenida", "--tenant", "acme.example")[:2] == (0, "audio 'Bienvenida' removed\n")
    assert AudioFile.select().count() == 0


def test_a_bad_file_exits_2_naming_the_field(run, tmp_path):
    bad = tmp_path / "x.ogg"
    bad.write_bytes(b"OggS but not really")
    code, _, err = run("upload", "X", str(bad), "--tenant", "acme.example")
    assert code == 2 and "error: file: not an audio file" in err and AudioFile.select().count() == 0


def test_unknown_tenant_and_unknown_file_exit_1(run):
    assert run("list", "--tenant", "nobody.example")[0] == 1
    code, _, err = run("remove", "Nada", "--tenant", "acme.example")
    assert code == 1 and "no audio file 'Nada'" in err


def test_every_audio_command_has_help(capsys):
    for action in ("upload", "list", "remove", "record"):
        with pytest.raises(SystemExit) as done:
            cli.main(["audio", action, "--help"])
        assert done.value.code == 0 and "--tenant" in capsys.readouterr().out


def test_the_message_flow_plays_a_file_of_the_tenants_library(run, tmp_path):
    run("upload", "Cerrado", str(sine(tmp_path / "c.wav", 1, 16000)), "--tenant", "acme.example")
    row = AudioFile.get()
    server = EslServer(Config(esl_port=0), installed_flows())
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "message", "pbx_flow_object": str(row.id),
                                     "pbx_tenant": "acme.example"})
        report = Emulator(server.address, setup, idle_timeout=2).run()
        other = Emulator(server.address, CallSetup(variables={
            "pbx_flow": "message", "pbx_flow_object": str(row.id), "pbx_tenant": "other.example"}),
            idle_timeout=2).run()
    finally:
        server.stop(timeout=1)
    assert report.played == [row.path] and report.hangup_cause == "NORMAL_CLEARING"
    assert other.played == [] and other.handed_back  # another tenant's id: the dialplan fallback runs
