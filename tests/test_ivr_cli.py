"""`centralita ivr …` and `centralita billing report` end to end through fs_plugins.cli.main."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins import cli
from fs_plugins import db as dbmod
from fs_plugins.billing.report import parse_month
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Number, Tenant, User
from fs_plugins.models.ivr import IvrMenu, IvrOption
from fs_plugins import plugins

T = ("--tenant", "acme.example")


@pytest.fixture
def run(db_url, capsys, monkeypatch, tmp_path):
    database = dbmod.connect(db_url)
    acme = Tenant.create(name="Acme", domain="acme.example")
    Tenant.create(name="Other", domain="other.example")
    User.create(tenant=acme, extension="1001", display_name="Ana", a1_hash="x" * 32)
    Number.create(tenant=acme, e164="+34911234567", destination="hangup:NORMAL_CLEARING")

    def run(*argv):
        code = cli.main(["--database", db_url, "--data-dir", str(tmp_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    database.close()


def test_ivr_commands_are_registered_in_the_cli():
    assert "ivr" in plugins.installed().names()


def test_add_show_list_set_and_remove_a_menu(run):
    code, out, err = run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--option", "#=hangup:USER_BUSY",
                         "--short-number", "800", "--number", "+34911234567", "--loops", "2", "--comment", "Front")
    assert code == 0, err
    assert "IVR menu 'Main' created" in out and "  key 1:       user:1001 (Ana)" in out
    assert "short number:  800" in out and "numbers:       +34911234567" in out
    assert "timeout:       5 s, 2 loops, then hangup:NORMAL_CLEARING" in out
    code, out, _ = run("ivr", "list", *T)
    assert code == 0 and out.splitlines()[1].split()[:5] == ["1", "Main", "800", "+34911234567", "2"]
    code, out, _ = run("ivr", "set", "Main", *T, "--name", "Principal", "--direct-dial", "yes")
    assert code == 0 and "direct dial:   yes" in out
    assert run("ivr", "option", "set", "Principal", "2", "hangup", *T)[:2] == (
        0, "key 2 of 'Principal': hangup:NORMAL_CLEARING\n")
    assert run("ivr", "option", "remove", "Principal", "2", *T)[0] == 0
    assert run("ivr", "remove", "Principal", *T)[0] == 2  # the DID still routes to it
    Number.update(destination="hangup:NORMAL_CLEARING").execute()
    assert run("ivr", "remove", "Principal", *T)[:2] == (0, "IVR menu 'Principal' removed\n")
    assert run("ivr", "list", *T)[1].count("\n") == 1  # header only


def test_bad_input_exits_2_naming_the_option_and_stores_nothing(run):
    code, _, err = run("ivr", "add", "Main", *T, "--option", "5=user:4444")
    assert code == 2 and "--option 5: no user with extension '4444'" in err
    code, _, err = run("ivr", "add", "Main", *T, "--option", "A=user:1001")
    assert code == 2 and "--option: key must be one of 0-9, * or #" in err
    code, _, err = run("ivr", "add", "Main", *T)
    assert code == 2 and "at least one option" in err
    assert IvrMenu.select().count() == 0 and IvrOption.select().count() == 0


def test_missing_menus_and_tenants_exit_1(run):
    assert run("ivr", "show", "Nope", *T)[0] == 1
    assert run("ivr", "list", "--tenant", "nobody.example")[0] == 1


def test_menus_are_not_visible_to_other_tenants(run):
    run("ivr", "add", "Main", *T, "--option", "1=hangup")
    assert run("ivr", "show", "Main", "--tenant", "other.example")[0] == 1


def test_every_ivr_command_has_help(capsys):
    for argv in (["ivr", "add"], ["ivr", "list"], ["ivr", "show"], ["ivr", "set"], ["ivr", "remove"],
                 ["ivr", "option", "set"], ["ivr", "option", "remove"], ["ivr", "try"], ["billing", "report"]):
        with pytest.raises(SystemExit) as done:
            cli.main([*argv, "--help"])
        assert done.value.code == 0 and capsys.readouterr().out.startswith("usage:")


def test_billing_lists_menus_that_existed_in_the_month_with_their_dates(run):
    acme = Tenant.get(Tenant.domain == "acme.example")
    other = Tenant.get(Tenant.domain == "other.example")
    rows = [(acme, "Old", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 10)),  # gone before March
            (acme, "Closed in March", dt.datetime(2026, 1, 5), dt.datetime(2026, 3, 31, 23, 59)),
            (acme, "Live", dt.datetime(2026, 2, 1), None),
            (acme, "April", dt.datetime(2026, 4, 1), None),  # created after March
            (other, "Theirs", dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1, 0, 1))]
    for tenant, name, created, deleted in rows:
        IvrMenu.create(tenant=tenant, name=name, created_at=created, deleted_at=deleted)
    code, out, _ = run("billing", "report", "--month", "2026-03")
    assert code == 0 and out.splitlines()[0].startswith("IVR menus billed for 2026-03, all tenants: every menu")
    assert out.splitlines()[1:] == [
        "TENANT         MENU             CREATED           DELETED",
        "acme.example   Closed in March  2026-01-05 00:00  2026-03-31 23:59",
        "acme.example   Live             2026-02-01 00:00",
        "other.example  Theirs           2026-03-01 00:00  2026-03-01 00:01",
    ]
    code, out, _ = run("billing", "report", "--month", "2026-03", "--tenant", "other.example")
    assert len(out.splitlines()) == 3 and "tenant other.example" in out
    code, out, _ = run("billing", "report", "--month", "2025-03")
    assert code == 0 and out == "no IVR menu existed in 2025-03 (all tenants): nothing to bill\n"
    code, _, err = run("billing", "report", "--month", "2026-13")
    assert code == 2 and "--month: expected YYYY-MM" in err


def test_a_december_month_ends_at_the_new_year():
    assert parse_month("2026-12") == (dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1))
    with pytest.raises(InvalidInput):
        parse_month("26-1")


def test_try_runs_an_emulated_call_through_the_menu_and_prints_each_step(run):
    run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--loops", "2")
    code, out, err = run("ivr", "try", "Main", *T, "--digits", "7,1")
    assert code == 0, err
    assert "collected '7' (success)" in out and "transferred to pbx-user-1 in acme.example" in out
    code, out, _ = run("ivr", "try", "Main", *T, "--digits", ",")
    assert "transferred" not in out and "application hangs up (NORMAL_CLEARING)" in out
    assert run("ivr", "try", "Main", *T, "--digits", "x")[0] == 2
    assert run("ivr", "try", "Main", *T, "--at", "yesterday")[0] == 2


def test_a_did_of_a_user_is_not_taken_by_a_menu_unless_asked_to_move_it(run):
    Number.update(destination=f"user:{User.get().id}").execute()
    code, _, err = run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--number", "+34911234567")
    assert code == 2 and "--number" in err and "routes to user:1001 (Ana)" in err and "--move-number" in err
    assert IvrMenu.select().count() == 0 and Number.get().destination.kind == "user"
    code, out, err = run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--number", "+34911234567",
                         "--move-number")
    assert code == 0, err
    assert Number.get().destination.kind == "ivr" and "numbers:       +34911234567" in out


def test_an_unknown_did_is_refused_with_a_hint_that_names_a_real_command(run):
    code, _, err = run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--number", "+34910000999")
    assert code == 2 and "`centralita number add --tenant acme.example +34910000999 --to ivr:Main`" in err
    hinted = cli.build_parser().parse_args(
        ["number", "add", "--tenant", "acme.example", "+34910000999", "--to", "ivr:Main"])
    assert hinted.handler.__module__ == "fs_plugins.core.cli" and hinted.handler.__name__ == "_number_add"


@pytest.mark.parametrize("exit_to, shown", [("voicemail:", "voicemail: (general box)"),
                                            ("voicemail:1001", "voicemail:1001 (Ana)")])
def test_after_the_last_loop_the_caller_can_leave_a_voicemail(run, exit_to, shown):
    code, out, err = run("ivr", "add", "Main", *T, "--option", "1=user:1001", "--exit", exit_to)
    assert code == 0, err
    assert f"then {shown}" in out
