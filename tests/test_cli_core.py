"""The core CLI: tenants, users, numbers, db, demo — good input and every kind of bad input."""
from __future__ import annotations

import hashlib

import pytest

from fs_plugins.cli import main
from fs_plugins.models import Number, Tenant, User


@pytest.fixture
def cli(db_url, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # no FreeSWITCH to flush here

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--database", db_url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def acme(cli):
    assert cli("tenant", "add", "acme.example", "--name", "Acme", "--country", "ES", "--region", "MD")[0] == 0
    assert cli("user", "add", "--tenant", "acme.example", "1001", "--name", "Ana", "--password", "secret-1001")[0] == 0
    return cli


def test_a_tenant_with_a_user_and_a_number_can_be_provisioned_and_shown(acme):
    code, out, _ = acme("number", "add", "--tenant", "acme.example", "91 123 45 67", "--to", "user:1001")
    assert code == 0 and "+34911234567" in out
    code, out, _ = acme("tenant", "show", "acme.example")
    assert code == 0
    assert "1001" in out and "Ana" in out and "+34911234567" in out and "user:1001 (Ana)" in out
    user = User.get(User.extension == "1001")
    assert user.a1_hash == hashlib.md5(b"1001:acme.example:secret-1001").hexdigest()


def test_a_user_added_without_password_gets_one_shown_once(acme):
    code, out, _ = acme("user", "add", "--tenant", "acme.example", "1002", "--name", "Bruno")
    assert code == 0
    password = out.split("SIP password (shown only now): ")[1].strip()
    assert User.get(User.extension == "1002").a1_hash == hashlib.md5(
        f"1002:acme.example:{password}".encode()).hexdigest()
    assert password not in acme("user", "list", "--tenant", "acme.example")[1]


@pytest.mark.parametrize("args,field", [
    (("tenant", "add", "not a domain", "--name", "X"), "domain"),
    (("tenant", "add", "public", "--name", "X"), "domain"),
    (("tenant", "add", "x.example", "--name", ""), "--name"),
    (("tenant", "add", "x.example", "--name", "X ${system(id)}"), "--name"),
    (("tenant", "add", "x.example", "--name", "X", "--timezone", "Mars/Olympus"), "--timezone"),
    (("tenant", "add", "x.example", "--name", "X", "--country", "XX"), "--country"),
    (("tenant", "add", "x.example", "--name", "X", "--country", "ES", "--region", "ZZ"), "--region"),
    (("tenant", "add", "x.example", "--name", "X", "--language", "spanish"), "--language"),
    (("tenant", "add", "acme.example", "--name", "Again"), "domain"),
    (("tenant", "set", "acme.example", "--timezone", "Nowhere"), "--timezone"),
    (("tenant", "remove", "acme.example"), "--yes"),
    (("user", "add", "--tenant", "acme.example", "1001", "--name", "Dup", "--password", "password1"), "extension"),
    (("user", "add", "--tenant", "acme.example", "01", "--name", "X", "--password", "password1"), "extension"),
    (("user", "add", "--tenant", "acme.example", "1234567", "--name", "X", "--password", "password1"), "extension"),
    (("user", "add", "--tenant", "acme.example", "1003", "--name", "X", "--password", "short"), "--password"),
    (("user", "add", "--tenant", "acme.example", "1003", "--name", "X\nY", "--password", "password1"), "--name"),
    (("user", "add", "--tenant", "acme.example", "1003", "--name", "X", "--email", "nope", "--password", "password1"),
     "--email"),
    (("user", "set", "--tenant", "acme.example", "1001", "--new-extension", "1009"), "--password"),
    (("number", "add", "--tenant", "acme.example", "12", "--to", "user:1001"), "number"),
    (("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "user:9999"), "--to"),
    (("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "pizza:1"), "--to"),
    (("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "number:{sofia/x}|y"), "--to"),
    (("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "hangup:EXPLODE"), "--to"),
])
def test_bad_values_are_refused_naming_the_option_and_nothing_is_stored(acme, args, field):
    before = (Tenant.select().count(), User.select().count(), Number.select().count(),
              [(u.extension, u.display_name, u.a1_hash) for u in User.select()])
    code, out, err = acme(*args)
    assert code == 2
    assert f"error: {field}:" in err
    after = (Tenant.select().count(), User.select().count(), Number.select().count(),
             [(u.extension, u.display_name, u.a1_hash) for u in User.select()])
    assert after == before


@pytest.mark.parametrize("args,field", [
    (("user", "list", "--tenant", "nobody.example"), "--tenant"),
    (("user", "set", "--tenant", "acme.example", "1999", "--name", "X"), "extension"),
    (("user", "remove", "--tenant", "acme.example", "1999"), "extension"),
    (("number", "remove", "--tenant", "acme.example", "+34911234599"), "number"),
    (("tenant", "show", "nobody.example"), "domain"),
])
def test_missing_objects_are_reported_with_exit_1(acme, args, field):
    code, _, err = acme(*args)
    assert code == 1 and f"error: {field}:" in err


def test_a_number_of_another_tenant_cannot_be_taken_or_removed(acme):
    acme("tenant", "add", "globex.example", "--name", "Globex")
    acme("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "user:1001")
    code, _, err = acme("number", "add", "--tenant", "globex.example", "+34911234567", "--to", "hangup")
    assert code == 2 and "another tenant" in err and "acme" not in err
    assert acme("number", "remove", "--tenant", "globex.example", "+34911234567")[0] == 1
    assert Number.get(Number.e164 == "+34911234567").tenant.domain == "acme.example"


def test_a_destination_never_points_into_another_tenant(acme):
    acme("tenant", "add", "globex.example", "--name", "Globex")
    acme("user", "add", "--tenant", "globex.example", "2001", "--name", "G", "--password", "password-2001")
    code, _, err = acme("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "user:2001")
    assert code == 2 and "--to:" in err


def test_a_user_a_number_routes_to_cannot_be_removed(acme):
    acme("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "user:1001")
    code, _, err = acme("user", "remove", "--tenant", "acme.example", "1001")
    assert code == 2 and "+34911234567" in err
    assert User.select().count() == 1


def test_renumbering_a_user_needs_and_takes_a_new_password(acme):
    code, _, _ = acme("user", "set", "--tenant", "acme.example", "1001", "--new-extension", "1009",
                      "--password", "new-secret-1")
    assert code == 0
    assert User.get().a1_hash == hashlib.md5(b"1009:acme.example:new-secret-1").hexdigest()


def test_removing_a_tenant_removes_everything_it_owns(acme):
    acme("number", "add", "--tenant", "acme.example", "+34911234567", "--to", "user:1001")
    assert acme("tenant", "remove", "acme.example", "--yes")[0] == 0
    assert (Tenant.select().count(), User.select().count(), Number.select().count()) == (0, 0, 0)


def test_a_tenant_is_suspended_and_resumed_from_the_command_line(acme):
    code, out, _ = acme("tenant", "suspend", "acme.example")
    assert code == 0 and out == "tenant acme.example suspended: its users can no longer register\n"
    assert Tenant.get(Tenant.domain == "acme.example").suspended
    code, out, _ = acme("tenant", "resume", "acme.example")
    assert code == 0 and "resumed" in out and not Tenant.get(Tenant.domain == "acme.example").suspended
    assert acme("tenant", "suspend", "nobody.example")[0] != 0


def test_demo_creates_the_demo_tenant_once(cli):
    code, out, _ = cli("demo")
    assert code == 0 and "demo.centralita.test" in out and out.count("SIP password") == 3
    code, _, err = cli("demo")
    assert code == 2 and "already exists" in err


def test_db_upgrade_reports_an_up_to_date_schema(cli):
    cli("tenant", "list")
    code, out, _ = cli("db", "upgrade")
    assert code == 0 and "up to date" in out
    code, out, _ = cli("db", "status")
    assert code == 0 and "core" in out and "←" not in out


def _subcommands(parser, path=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            described = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield path + (name,), described.get(name), child
                yield from _subcommands(child, path + (name,))


def test_every_command_and_sub_command_has_help_text():
    from fs_plugins.cli import build_parser

    found = list(_subcommands(build_parser()))
    assert len(found) > 15
    missing = [" ".join(path) for path, text, _ in found if not text]
    assert missing == []


def test_a_user_another_users_forward_points_at_cannot_be_removed(acme):
    acme("user", "add", "--tenant", "acme.example", "1002", "--name", "Bruno", "--password", "secret-1002")
    assert acme("forward", "set", "--tenant", "acme.example", "--user", "1002", "--when", "always",
                "--to", "user:1001")[0] == 0
    code, _, err = acme("user", "remove", "--tenant", "acme.example", "1001")
    assert code == 2 and "call handling" in err
    assert User.select().count() == 2


def test_a_users_own_forward_to_their_own_voicemail_does_not_block_removing_them(acme):
    assert acme("forward", "set", "--tenant", "acme.example", "--user", "1001", "--when", "no-answer",
                "--to", "voicemail:1001")[0] == 0
    assert acme("user", "remove", "--tenant", "acme.example", "1001")[0] == 0
