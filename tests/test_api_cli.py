"""centralita apikey / login / audit: what an operator does on the server."""
from __future__ import annotations

import io

import pytest

from fs_plugins.cli import main
from fs_plugins.models.access import ApiKey, Login
from fs_plugins.models.audit import AuditEntry
from tests.api_world import api_client, cheap_argon2  # noqa: F401 (fixture)


@pytest.fixture
def cli(db_url, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--database", db_url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("tenant", "add", "acme.example.com", "--name", "Acme")[0] == 0
    assert run("user", "add", "--tenant", "acme.example.com", "1001", "--name", "Ana",
               "--password", "sip-pass-1")[0] == 0
    return run


def test_a_key_is_printed_once_works_over_http_and_stops_when_revoked(cli):
    code, out, _ = cli("apikey", "create", "billing", "--role", "tenant-admin", "--tenant", "acme.example.com")
    assert code == 0
    key = out.strip().splitlines()[-1]
    prefix = key.split("_")[1]
    client = api_client()[1]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/tenants/acme.example.com/users", headers=headers).status_code == 200
    code, out, _ = cli("apikey", "list")
    assert prefix in out and key.split("_", 2)[2] not in out and "billing" in out
    assert cli("apikey", "revoke", prefix)[0] == 0
    assert client.get("/api/v1/tenants/acme.example.com/users", headers=headers).status_code == 401
    code, out, _ = cli("audit", "list")
    assert "key.revoke" in out and "key.create" in out and "cli " in out


@pytest.mark.parametrize("args,field", [
    (("apikey", "create", "x", "--role", "tenant-admin"), "--tenant"),
    (("apikey", "create", "x", "--role", "operator", "--tenant", "acme.example.com"), "--tenant"),
    (("apikey", "create", "x", "--role", "user", "--tenant", "acme.example.com"), "extension"),
    (("apikey", "create", "x", "--role", "user", "--tenant", "acme.example.com", "--user", "9999"), "extension"),
    (("apikey", "create", "x", "--role", "operator", "--expires", "soon"), "--expires"),
    (("apikey", "create", "x", "--role", "operator", "--expires", "2001-01-01"), "expires_at"),
    (("apikey", "create", "x", "--role", "tenant-admin", "--tenant", "nope.example.com"), "--tenant"),
    (("apikey", "revoke", "nope"), "prefix"),
])
def test_bad_key_requests_name_the_field_and_create_nothing(cli, args, field):
    code, _, err = cli(*args)
    assert code in (1, 2) and f"error: {field}:" in err
    assert ApiKey.select().count() == 0


def test_a_login_signs_in_over_http_and_can_be_disabled(cli):
    code, out, _ = cli("login", "add", "ana", "--role", "user", "--tenant", "acme.example.com", "--user", "1001",
                       stdin="portal-pass-1\n")
    assert code == 0
    client = api_client()[1]
    signed = client.post("/api/v1/session", json={"username": "ana", "password": "portal-pass-1"})
    assert signed.status_code == 201 and signed.json["extension"] == "1001"
    assert "ana" in cli("login", "list")[1]
    assert cli("login", "set", "ana", "--enabled", "no")[0] == 0
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("args,stdin,field", [
    (("login", "add", "a", "--role", "operator"), "portal-pass-1\n", "username"),
    (("login", "add", "ana", "--role", "operator"), "short\n", "password"),
    (("login", "add", "ana", "--role", "user", "--tenant", "acme.example.com"), "portal-pass-1\n", "extension"),
    (("login", "set", "ana"), "", "--password-stdin"),
])
def test_bad_login_requests_name_the_field_and_store_nothing(cli, args, stdin, field):
    code, _, err = cli(*args, stdin=stdin)
    assert code == 2 and f"error: {field}:" in err
    assert Login.select().count() == 0


def test_login_commands_go_through_the_application_layer_and_are_audited_once(cli):
    assert cli("login", "add", "boss", "--role", "tenant-admin", "--tenant", "acme.example.com",
               stdin="portal-pass-1\n")[0] == 0
    assert cli("login", "set", "boss", "--password-stdin", stdin="portal-pass-2\n")[0] == 0
    code, out, _ = cli("login", "remove", "boss")
    assert (code, out.strip()) == (0, "login boss removed")
    assert cli("login", "remove", "boss")[2].strip() == "centralita: error: username: no login 'boss'"
    entries = [(e.action, e.tenant_domain, e.actor.split()[0], e.detail)
               for e in AuditEntry.select().where(AuditEntry.action.startswith("login.")).order_by(AuditEntry.id)]
    assert entries == [("login.create", "acme.example.com", "cli", '{"extension": null, "role": "tenant-admin"}'),
                       ("login.update", "acme.example.com", "cli", '{"password": "(changed)"}'),
                       ("login.delete", "acme.example.com", "cli", "{}")]
