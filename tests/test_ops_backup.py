"""`centralita backup` and `restore`: what was there comes back, audio included, and nothing is overwritten by surprise."""
from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from fs_plugins import db as dbmod
from fs_plugins.cli import main
from tests.conftest import pg_schema_url

SAMPLE_WAV = Path(__file__).parents[1] / "docs" / "samples" / "bienvenida.wav"


def run(*args: str) -> int:
    return main(list(args))


def provision(settings: list[str]) -> None:
    assert run(*settings, "tenant", "add", "acme.example", "--name", "Acme") == 0
    assert run(*settings, "user", "add", "--tenant", "acme.example", "1001", "--name", "Ana") == 0
    assert run(*settings, "audio", "upload", "--tenant", "acme.example", "Bienvenida", str(SAMPLE_WAV)) == 0


def audio_rows(url: str) -> list[tuple[str, str]]:
    from fs_plugins.models.audio import AudioFile

    database = dbmod.connect(url)
    try:
        return [(row.name, row.path) for row in AudioFile.select()]
    finally:
        database.close()


def test_a_sqlite_backup_restores_into_another_data_dir_with_its_audio(tmp_path, capsys):
    old = ["--data-dir", str(tmp_path / "old")]
    provision(old)
    archive = tmp_path / "acme.tar.gz"
    assert run(*old, "backup", "--output", str(archive)) == 0
    assert "1 audio files" in capsys.readouterr().out
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "database.sqlite3" in names
    assert any(name.startswith("audio/acme.example/") and name.endswith(".wav") for name in names)

    shutil.rmtree(tmp_path / "old")  # the machine is lost
    new = ["--data-dir", str(tmp_path / "new")]
    assert run(*new, "restore", str(archive)) == 0
    [(name, path)] = audio_rows(f"sqlite:///{tmp_path / 'new' / 'centralita.db'}")
    assert name == "Bienvenida" and path.startswith(str(tmp_path / "new" / "audio" / "acme.example"))
    assert Path(path).read_bytes()[:4] == b"RIFF"
    capsys.readouterr()
    assert run(*new, "user", "list", "--tenant", "acme.example") == 0 and "1001" in capsys.readouterr().out


def test_restore_refuses_to_replace_a_database_with_tenants_unless_forced(tmp_path, capsys):
    settings = ["--data-dir", str(tmp_path / "pbx")]
    provision(settings)
    archive = tmp_path / "before.tar.gz"
    assert run(*settings, "backup", "-o", str(archive)) == 0
    assert run(*settings, "user", "add", "--tenant", "acme.example", "1002", "--name", "Bea") == 0
    capsys.readouterr()

    assert run(*settings, "restore", str(archive)) == 2
    assert "--force" in capsys.readouterr().err
    assert run(*settings, "user", "list", "--tenant", "acme.example") == 0 and "1002" in capsys.readouterr().out

    assert run(*settings, "restore", str(archive), "--force") == 0
    capsys.readouterr()
    assert run(*settings, "user", "list", "--tenant", "acme.example") == 0
    listed = capsys.readouterr().out
    assert "1001" in listed and "1002" not in listed  # back to the moment of the backup


def test_backup_never_overwrites_an_archive_and_restore_refuses_what_is_not_one(tmp_path, capsys):
    settings = ["--data-dir", str(tmp_path / "pbx")]
    provision(settings)
    taken = tmp_path / "taken.tar.gz"
    taken.write_bytes(b"keep me")
    assert run(*settings, "backup", "-o", str(taken)) == 2
    assert "--output" in capsys.readouterr().err and taken.read_bytes() == b"keep me"

    stranger = tmp_path / "stranger.tar.gz"
    with tarfile.open(stranger, "w:gz") as tar:
        tar.add(SAMPLE_WAV, arcname="song.wav")
    assert run("--data-dir", str(tmp_path / "empty"), "restore", str(stranger)) == 2
    assert "not a Centralita backup" in capsys.readouterr().err


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_postgresql_backup_restores_with_pg_dump_and_pg_restore(tmp_path, capsys):
    from tests.conftest import pg_unavailable_reason

    if pg_unavailable_reason():
        pytest.skip(pg_unavailable_reason())
    with pg_schema_url("bk_") as url:
        settings = ["--database", url, "--data-dir", str(tmp_path / "pbx")]
        provision(settings)
        archive = tmp_path / "pg.tar.gz"
        assert run(*settings, "backup", "-o", str(archive)) == 0
        with tarfile.open(archive) as tar:
            assert "database.pgdump" in tar.getnames()
            tar.extract("database.pgdump", tmp_path, filter="data")
        listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "database.pgdump")], capture_output=True,
                                 text=True, check=True).stdout
        schemas = set(re.findall(r" SCHEMA - (\w+) ", listing)) | set(re.findall(r" TABLE (?:DATA )?(\w+) ", listing))
        schema = url.rsplit("%3D", 1)[1]
        assert schemas == {schema}, "only this installation's schema is dumped (and restored with --clean)"
        assert run(*settings, "user", "add", "--tenant", "acme.example", "1002", "--name", "Bea") == 0
        assert run(*settings, "restore", str(archive), "--force") == 0
        capsys.readouterr()
        assert run(*settings, "user", "list", "--tenant", "acme.example") == 0
        listed = capsys.readouterr().out
        assert "1001" in listed and "1002" not in listed
