"""`centralita kamailio install-view`: the view of SIP credentials Kamailio reads (tests/test_kamailio.py
runs Kamailio against it)."""
from __future__ import annotations

import contextlib
import uuid

import pytest

from fs_plugins import db as dbmod
from fs_plugins.cli import main
from tests.conftest import pg_schema_url


def centralita(url: str, *argv: str) -> int:
    return main(["--database", url, *argv])


def test_on_sqlite_the_command_says_it_needs_postgresql(tmp_path, capsys):
    assert centralita(f"sqlite:///{tmp_path / 'c.db'}", "kamailio", "install-view") == 1
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "SQLite" in err and "database_url" in err


def test_a_schema_that_is_no_plain_name_is_refused_naming_the_option(tmp_path, capsys):
    assert centralita(f"sqlite:///{tmp_path / 'c.db'}", "kamailio", "install-view", "--schema", 'k"; DROP') == 2
    assert "--schema:" in capsys.readouterr().err


def test_print_sql_shows_the_view_and_the_grants_without_touching_the_database(tmp_path, capsys):
    assert centralita(f"sqlite:///{tmp_path / 'c.db'}", "kamailio", "install-view", "--print-sql",
                      "--grant-to", "kamailio") == 0
    out = capsys.readouterr().out
    assert 'CREATE OR REPLACE VIEW "kamailio"."subscriber"' in out
    assert "WHERE u.enabled AND NOT t.suspended" in out
    assert 'GRANT SELECT ON "kamailio"."subscriber" TO "kamailio";' in out
    assert not (tmp_path / "c.db").exists()


@pytest.mark.postgres
def test_installing_twice_replaces_the_view_and_counts_who_may_register(capsys):
    with pg_schema_url("kv_") as url:
        assert centralita(url, "tenant", "add", "acme.example", "--name", "Acme") == 0
        assert centralita(url, "user", "add", "--tenant", "acme.example", "1001", "--name", "Ana") == 0
        schema = "kv_view_" + uuid.uuid4().hex[:8]
        try:
            for _ in range(2):
                assert centralita(url, "kamailio", "install-view", "--schema", schema) == 0
                assert f"view {schema}.subscriber installed: 1 users may register" in capsys.readouterr().out
        finally:
            with contextlib.closing(dbmod.open_database(url)) as admin:
                admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.postgres
def test_an_unknown_role_is_refused_and_nothing_is_created(capsys):
    with pg_schema_url("kv_") as url:
        schema = "kv_view_" + uuid.uuid4().hex[:8]
        assert centralita(url, "kamailio", "install-view", "--schema", schema, "--grant-to", "no_such_role_x") == 2
        assert "--grant-to: no PostgreSQL role 'no_such_role_x'" in capsys.readouterr().err
        with contextlib.closing(dbmod.open_database(url)) as reader:
            found = reader.execute_sql(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)).fetchone()
        assert found is None
