"""What a command prints: results on stdout, log lines only on stderr and only warnings unless -v."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def centralita(db_url: str, *args: str) -> subprocess.CompletedProcess:
    """Run the real entry point in its own process (logging is configured once per process)."""
    env = {**os.environ, "CENTRALITA_FS_EVENT_SOCKET_PORT": "0"}
    return subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--database", db_url, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tenant_db(db_url):
    done = centralita(db_url, "tenant", "add", "acme.example", "--name", "Acme")
    assert done.returncode == 0, done.stderr
    return db_url


def test_a_command_prints_its_result_without_info_log_lines(tenant_db):
    done = centralita(tenant_db, "schedule", "add", "Oficina", "--tenant", "acme.example",
                      "--hours", "mon-fri 09:00-14:00")
    assert done.returncode == 0, done.stderr
    assert "INFO" not in done.stdout and "INFO" not in done.stderr
    assert "Oficina" in done.stdout


def test_verbose_sends_info_log_lines_to_stderr_never_to_stdout(tenant_db):
    done = centralita(tenant_db, "-v", "schedule", "add", "Oficina", "--tenant", "acme.example",
                      "--hours", "mon-fri 09:00-14:00")
    assert done.returncode == 0, done.stderr
    assert "INFO fs_plugins.schedule.settings: schedule" in done.stderr
    assert "INFO" not in done.stdout
