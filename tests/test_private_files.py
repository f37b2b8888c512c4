"""Secure by default: what Centralita writes is private to its user, and FreeSWITCH's side needs
the credentials generated on first start (issue 12, item 5)."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fs_plugins import credentials
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent


def centralita(data_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    """A command as an operator runs it, with the operator's usual umask (022)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    env.update(CENTRALITA_DATA_DIR=str(data_dir), CENTRALITA_FS_EVENT_SOCKET_PORT="0")
    return subprocess.run([sys.executable, "-m", "fs_plugins.cli", *argv], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT, preexec_fn=lambda: os.umask(0o022))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_dir_database_and_audio_files_are_private_whatever_the_umask(tmp_path):
    data = tmp_path / "var"
    assert centralita(data, "tenant", "add", "acme.example", "--name", "Acme").returncode == 0
    done = centralita(data, "audio", "upload", "Bienvenida", "docs/samples/bienvenida.wav", "--tenant", "acme.example")
    assert done.returncode == 0, done.stderr
    written = [data, *data.rglob("*")]
    assert any(p.name == "centralita.db" for p in written) and any(p.suffix == ".wav" for p in written)
    assert {str(p.relative_to(tmp_path)): oct(mode(p)) for p in written if p.is_dir() and mode(p) != 0o700} == {}
    assert {str(p.relative_to(tmp_path)): oct(mode(p)) for p in written if p.is_file() and mode(p) != 0o600} == {}


def test_an_installation_left_open_by_an_older_version_is_closed_on_the_next_start(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    database = data / "centralita.db"
    with sqlite3.connect(database) as old:
        old.execute("PRAGMA journal_mode=wal")
        old.execute("CREATE TABLE t (x)")
        os.chmod(database, 0o644)
        for companion in (data / "centralita.db-wal", data / "centralita.db-shm"):
            os.chmod(companion, 0o644)
        assert centralita(data, "db", "upgrade").returncode == 0
    assert mode(data) == 0o700
    assert {p.name: oct(mode(p)) for p in data.iterdir() if p.is_file() and mode(p) != 0o600} == {}


def test_credentials_are_generated_once_0600_and_the_same_for_every_process(tmp_path):
    config = Config(data_dir=str(tmp_path / "var"))
    first = credentials.current(config)
    again = credentials.current(config)
    assert first == again and first.xml_curl_password != first.cdr_password
    assert len(first.xml_curl_password) >= 32 and first.xml_curl_user == first.cdr_user == "freeswitch"
    assert mode(tmp_path / "var" / "credentials.toml") == 0o600 and mode(tmp_path / "var") == 0o700


def test_configured_credentials_win_over_the_generated_ones(tmp_path):
    config = Config(data_dir=str(tmp_path), xml_curl_user="fs", xml_curl_password="mine")
    filled = credentials.with_credentials(config)
    assert (filled.xml_curl_user, filled.xml_curl_password) == ("fs", "mine")
    assert filled.cdr_password == credentials.load_or_create(tmp_path / "credentials.toml").cdr_password


def test_a_configured_password_freeswitch_cannot_carry_is_refused_naming_the_setting(tmp_path):
    config = Config(data_dir=str(tmp_path), cdr_user="fs", cdr_password='a"b/>')
    with pytest.raises(InvalidInput) as refused:
        credentials.freeswitch_include(credentials.current(config))
    assert refused.value.field == "cdr_password"


def test_the_credentials_commands_show_them_and_print_freeswitchs_include(tmp_path):
    data = tmp_path / "var"
    shown = centralita(data, "credentials", "show")
    kept = credentials.load_or_create(data / "credentials.toml")
    assert shown.returncode == 0 and f"xml_curl: freeswitch:{kept.xml_curl_password}" in shown.stdout
    include = centralita(data, "credentials", "freeswitch").stdout
    assert f'data="centralita_cdr_credentials=freeswitch:{kept.cdr_password}"' in include
    assert include.startswith("<!--") and include.rstrip().endswith("</include>")
