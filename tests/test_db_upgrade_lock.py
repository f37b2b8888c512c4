"""Schema upgrades: only `db upgrade` and `serve` run them, one at a time (a lock per database)."""
from __future__ import annotations

import fcntl
import subprocess
import sys
import time

import pytest

from fs_plugins import db as dbmod
from fs_plugins.launcher import command_of


def centralita(url: str, *args: str, wait: bool = True):
    argv = [sys.executable, "-m", "fs_plugins.cli", "--database", url, *args]
    if wait:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def behind(url: str, component: str = "portal") -> None:
    """The database as an older Centralita left it: one component not there yet."""
    database = dbmod.connect(url)
    database.execute_sql("DELETE FROM schema_version WHERE component = %s" % database.param, (component,))
    database.close()


@pytest.mark.parametrize("argv, command", [
    (["serve"], "serve"),
    (["--database", "sqlite:///x.db", "-v", "serve", "--only", "api"], "serve"),
    (["--config=c.toml", "contact", "import", "serve.csv"], "contact"),
    (["--data-dir", "serve", "db", "upgrade"], "db"),
    (["-h"], None),
])
def test_only_serve_is_made_cooperative(argv, command):
    assert command_of(argv) == command


def test_a_command_refuses_a_database_that_is_not_current_naming_db_upgrade(db_url):
    behind(db_url)
    done = centralita(db_url, "tenant", "list")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("centralita: error: the database schema is not current (portal 0→1); "
                                   "run: centralita db upgrade")
    upgraded = centralita(db_url, "db", "upgrade")
    assert upgraded.returncode == 0 and "portal: created at version 1" in upgraded.stdout
    assert centralita(db_url, "tenant", "list").returncode == 0


def test_an_empty_database_gets_its_schema_from_any_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert centralita(url, "tenant", "list").returncode == 0
    assert dbmod.schema_versions(dbmod.open_database(url))["core"] == 2  # 2: tenant.suspended


def test_a_second_upgrade_waits_for_the_first_one_s_lock_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'centralita.db'}"
    behind(url)
    with open(tmp_path / "centralita.db.upgrade-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # an upgrade under way in another process
        waiting = centralita(url, "db", "upgrade", wait=False)
        time.sleep(1.5)
        assert waiting.poll() is None
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0 and "portal: created at version 1" in out, err


@pytest.mark.postgres
def test_a_second_upgrade_waits_for_the_first_one_s_advisory_lock_on_postgresql():
    from tests.conftest import pg_schema_url

    with pg_schema_url("lock_") as url:
        behind(url)
        holder = dbmod.open_database(url)
        holder.execute_sql("SELECT pg_advisory_lock(%s)", (dbmod.SCHEMA_LOCK_KEY,))
        try:
            waiting = centralita(url, "db", "upgrade", wait=False)
            time.sleep(1.5)
            assert waiting.poll() is None
        finally:
            holder.execute_sql("SELECT pg_advisory_unlock(%s)", (dbmod.SCHEMA_LOCK_KEY,))
            holder.close()
        out, err = waiting.communicate(timeout=30)
        assert waiting.returncode == 0 and "portal: created at version 1" in out, err
