"""`centralita schedule …` end to end through fs_plugins.cli.main, on SQLite and PostgreSQL."""
import pytest

from fs_plugins import cli
from fs_plugins import db as dbmod
from fs_plugins.models import Tenant
from fs_plugins.models.schedule import Schedule, ScheduleOverride, ScheduleRange
from fs_plugins import plugins


@pytest.fixture
def run(db_url, capsys, monkeypatch):
    # Only this feature's commands: other features' modules may be half-written while we work.
    database = dbmod.connect(db_url)
    Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid", country="ES", region="MD")

    def run(*argv):
        code = cli.main(["--database", db_url, "schedule", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    database.close()


def stored():
    return Schedule.select().count(), ScheduleRange.select().count(), ScheduleOverride.select().count()


def test_schedule_commands_are_registered_in_the_cli():
    assert "schedule" in plugins.installed().names()


def test_add_then_check_prints_open_or_closed_and_why(run):
    code, out, _ = run("add", "Office", "--tenant", "acme.example",
                       "--hours", "mon-fri 09:00-14:00,16:00-19:00", "--hours", "sat 10:00-13:00")
    assert code == 0 and "hours:       mon-fri 09:00-14:00,16:00-19:00" in out
    assert run("check", "Office", "--tenant", "acme.example", "--at", "2026-04-03 10:00")[1] == (
        "Office at 2026-04-03 10:00 CEST (Europe/Madrid): closed: holiday (Viernes Santo)\n")
    assert "open: within hours (mon 09:00-14:00)" in run(
        "check", "Office", "--tenant", "acme.example", "--at", "2026-04-06 09:00")[1]
    assert "closed: outside hours" in run(
        "check", "Office", "--tenant", "acme.example", "--at", "2026-04-06 14:00")[1]
    # an instant with an offset is converted: 07:00 UTC is 09:00 CEST
    assert "open" in run("check", "Office", "--tenant", "acme.example", "--at", "2026-04-06T07:00Z")[1]


def test_show_lists_the_coming_holidays_of_the_year_for_the_region(run):
    run("add", "Madrid", "--tenant", "acme.example", "--hours", "mon-fri 09:00-18:00")
    run("add", "Barcelona", "--tenant", "acme.example", "--hours", "mon-fri 09:00-18:00",
        "--holidays", "ES", "--region", "CT")
    code, out, _ = run("show", "Madrid", "--tenant", "acme.example", "--from", "2026-11-01")
    assert code == 0
    assert "holidays:    ES-MD (tenant's)" in out
    assert "holidays from 2026-11-01 to 2026-12-31:" in out
    assert "2026-12-25 fri  Natividad del Señor" in out and "2026-12-26" not in out
    out = run("show", "Barcelona", "--tenant", "acme.example", "--from", "2026-04-01")[1]
    assert "holidays:    ES-CT\n" in out
    assert "2026-04-06 mon  Lunes de Pascua" in out and "2026-09-11" in out and "2026-04-02" not in out


def test_list_shows_every_schedule_with_zone_holidays_and_hours(run):
    run("add", "Office", "--tenant", "acme.example", "--hours", "mon-fri 09:00-14:00")
    run("add", "Night", "--tenant", "acme.example", "--hours", "daily 22:00-06:00", "--no-holidays",
        "--timezone", "America/New_York")
    out = run("list", "--tenant", "acme.example")[1]
    assert out.splitlines() == [
        "Night  [America/New_York, holidays none]  mon-sun 22:00-06:00",
        "Office  [Europe/Madrid, holidays ES-MD]  mon-fri 09:00-14:00",
    ]


def test_set_changes_only_what_is_given(run):
    run("add", "Office", "--tenant", "acme.example", "--hours", "mon-fri 09:00-14:00")
    code, out, _ = run("set", "Office", "--tenant", "acme.example", "--hours", "sat 10:00-13:00",
                       "--name", "Shop", "--region", "CT")
    assert code == 0
    assert "hours:       sat 10:00-13:00" in out and "holidays:    ES-CT" in out and "time zone:   Europe/Madrid" in out
    code, out, _ = run("set", "Shop", "--tenant", "acme.example", "--no-hours")
    assert "hours:       none (closed except openings)" in out


def test_closures_and_openings_change_the_answer_of_check(run):
    run("add", "Office", "--tenant", "acme.example", "--hours", "daily 09:00-18:00")
    code, out, _ = run("closure", "add", "Office", "--tenant", "acme.example", "--date", "2026-12-24",
                       "--from", "14:00", "--label", "Nochebuena")
    assert code == 0 and "2026-12-24 14:00 → 2026-12-25 00:00  Nochebuena" in out
    run("opening", "add", "Office", "--tenant", "acme.example", "--from", "2026-12-25 10:00",
        "--to", "2026-12-25 14:00", "--label", "Guardia")
    check = lambda when: run("check", "Office", "--tenant", "acme.example", "--at", when)[1]  # noqa: E731
    assert "closed: closure (Nochebuena)" in check("2026-12-24 15:00")
    assert "open: opening (Guardia)" in check("2026-12-25 10:00")
    assert "closed: holiday (Natividad del Señor)" in check("2026-12-25 15:00")
    listed = run("closure", "list", "Office", "--tenant", "acme.example")[1]
    closure_id = listed.split()[0].lstrip("#")
    assert run("closure", "remove", "Office", closure_id, "--tenant", "acme.example")[0] == 0
    assert "open: within hours" in check("2026-12-24 15:00")
    assert run("closure", "remove", "Office", closure_id, "--tenant", "acme.example")[0] == 1


@pytest.mark.parametrize("argv,message", [
    (["--hours", "mon-fri 09:00-14:00", "--timezone", "Europe/Madird"], "--timezone: unknown time zone"),
    (["--holidays", "XX"], "--holidays: unknown or unsupported country"),
    (["--holidays", "ES", "--region", "ZZ"], "--region: unknown region 'ZZ' of ES"),
    (["--hours", "mon-fri 14:00-14:00"], "--hours: range '14:00-14:00' starts and ends at the same time"),
    (["--hours", "someday 09:00-10:00"], "--hours: unknown day"),
])
def test_bad_input_to_add_exits_2_with_a_clear_error_and_stores_nothing(run, argv, message):
    code, out, err = run("add", "Office", "--tenant", "acme.example", *argv)
    assert code == 2 and message in err and out == ""
    assert stored() == (0, 0, 0)


def test_a_closure_ending_before_it_starts_is_refused_and_not_stored(run):
    run("add", "Office", "--tenant", "acme.example", "--hours", "daily 09:00-18:00")
    code, _, err = run("closure", "add", "Office", "--tenant", "acme.example",
                       "--from", "2026-12-24 18:00", "--to", "2026-12-24 14:00")
    assert code == 2 and "--to: the end (2026-12-24 14:00) must be after the start" in err
    assert stored()[2] == 0


def test_bad_check_time_and_unknown_names_are_reported(run):
    run("add", "Office", "--tenant", "acme.example")
    assert run("check", "Office", "--tenant", "acme.example", "--at", "tomorrow")[0] == 2
    code, _, err = run("check", "Nope", "--tenant", "acme.example", "--at", "2026-04-03 10:00")
    assert code == 1 and "no schedule named 'Nope'" in err
    code, _, err = run("list", "--tenant", "nobody.example")
    assert code == 1 and "no tenant" in err


def test_remove_deletes_the_schedule(run):
    run("add", "Office", "--tenant", "acme.example", "--hours", "daily 09:00-18:00")
    assert run("remove", "Office", "--tenant", "acme.example")[0] == 0
    assert stored() == (0, 0, 0)
    assert run("list", "--tenant", "acme.example")[1] == "no schedules in acme.example\n"


def test_every_schedule_command_has_help(run):
    for argv in (["add"], ["list"], ["show"], ["set"], ["remove"], ["check"], ["closure", "add"], ["opening", "list"]):
        with pytest.raises(SystemExit) as exit_:
            run(*argv, "--help")
        assert exit_.value.code == 0


def test_check_at_a_local_time_skipped_by_daylight_saving_reports_the_real_local_time(run):
    run("add", "Night", "--tenant", "acme.example", "--hours", "sun 01:00-04:00")
    out = run("check", "Night", "--tenant", "acme.example", "--at", "2026-03-29 02:30")[1]
    assert out == "Night at 2026-03-29 03:30 CEST (Europe/Madrid): open: within hours (sun 01:00-04:00)\n"
