"""Call log queries, CSV export and the `centralita calls` commands (SQLite and PostgreSQL)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import types

import pytest

from fs_plugins.calllog import export as exportmod
from fs_plugins.calllog import log as logmod
from fs_plugins.calllog.classify import Status
from fs_plugins.calllog.log import LogQuery
from fs_plugins.calllog.receiver import make_cdr_app
from fs_plugins.cli import main
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User
from fs_plugins.models.calllog import CallEntry

from test_calllog_ingest import post_call

UTC = dt.timezone.utc


def make_tenant(domain, zone="Europe/Madrid", extensions=("1001", "1002")):
    tenant = Tenant.create(name=domain, domain=domain, timezone=zone)
    users = {ext: User.create(tenant=tenant, extension=ext, display_name=ext, a1_hash="0" * 32) for ext in extensions}
    return types.SimpleNamespace(tenant=tenant, **{f"u{ext}": user for ext, user in users.items()})


def add(tenant, user, when: dt.datetime, kind="made", status=Status.MADE, call_id=None, **fields):
    return CallEntry.create(
        tenant=tenant, user=user, call_id=call_id or f"c-{when.timestamp()}-{user and user.id}", kind=kind,
        status=status.code, direction="internal", started_at=int(when.timestamp()), **fields)


def calls(db, **query) -> list[str]:
    return [e.call_id for e in logmod.page(db, LogQuery(**query)).entries]


@pytest.fixture
def two(db):
    return make_tenant("acme.example"), make_tenant("globex.example")


def test_a_user_sees_only_their_own_calls_and_a_tenant_only_its_own(db, two):
    acme, globex = two
    t = dt.datetime(2026, 11, 20, 10, tzinfo=UTC)
    add(acme.tenant, acme.u1001, t, call_id="acme-1001")
    add(acme.tenant, acme.u1002, t, call_id="acme-1002")
    add(globex.tenant, globex.u1001, t, call_id="globex-1001")
    add(acme.tenant, None, t, call_id="acme-tenant")
    assert calls(db, tenant="acme.example", user="1001") == ["acme-1001"]
    assert calls(db, tenant="globex.example", user="1001") == ["globex-1001"]
    assert sorted(calls(db, tenant="acme.example")) == ["acme-1001", "acme-1002", "acme-tenant"]


def test_unknown_tenants_and_users_are_not_found(db, two):
    with pytest.raises(NotFound, match="tenant"):
        logmod.page(db, LogQuery(tenant="nobody.example"))
    with pytest.raises(NotFound, match="user"):
        logmod.page(db, LogQuery(tenant="acme.example", user="1003"))


def test_entries_are_newest_first_and_paged(db, two):
    acme, _ = two
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(7):
        add(acme.tenant, acme.u1001, start + dt.timedelta(hours=i), call_id=f"c{i}")
    first = logmod.page(db, LogQuery(tenant="acme.example", user="1001", page_size=3))
    last = logmod.page(db, LogQuery(tenant="acme.example", user="1001", page_size=3, page=3))
    assert [e.call_id for e in first.entries] == ["c6", "c5", "c4"] and first.has_more
    assert [e.call_id for e in last.entries] == ["c0"] and not last.has_more


def test_the_type_filter_separates_made_received_and_missed(db, two):
    acme, _ = two
    t = dt.datetime(2026, 11, 20, 10, tzinfo=UTC)
    add(acme.tenant, acme.u1001, t, "made", Status.CANCELLED, call_id="m")
    add(acme.tenant, acme.u1001, t, "received", Status.RECEIVED, call_id="r")
    add(acme.tenant, acme.u1001, t, "missed", Status.DND, call_id="x")
    for kind in ("made", "received", "missed"):
        assert calls(db, tenant="acme.example", user="1001", kind=kind) == [{"made": "m", "received": "r", "missed": "x"}[kind]]


def test_times_are_shown_in_the_tenants_zone(db, two):
    acme, _ = two
    add(acme.tenant, acme.u1001, dt.datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    (entry,) = logmod.page(db, LogQuery(tenant="acme.example", user="1001")).entries
    assert entry.started.isoformat() == "2026-07-02T00:30:00+02:00"


def test_day_week_and_month_use_the_tenants_midnights_and_weeks_start_on_monday(db, two):
    acme, _ = two
    moments = {  # UTC instant -> what it is in Madrid (UTC+1 in November)
        "sun-late": dt.datetime(2026, 11, 29, 22, 59, tzinfo=UTC),  # Sunday 29th 23:59
        "mon-early": dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC),  # Monday 30th 00:00
        "dec-first": dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC),  # Tuesday 1 December 00:30
    }
    for name, when in moments.items():
        add(acme.tenant, acme.u1001, when, call_id=name)
    q = dict(tenant="acme.example", user="1001")
    assert calls(db, **q, period="day", day=dt.date(2026, 11, 29)) == ["sun-late"]
    assert calls(db, **q, period="day", day=dt.date(2026, 11, 30)) == ["mon-early"]
    assert calls(db, **q, period="week", day=dt.date(2026, 11, 26)) == ["sun-late"]
    assert calls(db, **q, period="week", day=dt.date(2026, 12, 6)) == ["dec-first", "mon-early"]
    assert calls(db, **q, period="month", day=dt.date(2026, 11, 15)) == ["mon-early", "sun-late"]
    assert calls(db, **q, period="month", day=dt.date(2026, 12, 31)) == ["dec-first"]


def test_a_day_with_a_daylight_saving_change_has_its_real_length():
    madrid = logmod.tenant_zone("Europe/Madrid")
    start, end = logmod.period_bounds("day", dt.date(2026, 3, 29), madrid)
    assert (end - start) == 23 * 3600
    assert dt.datetime.fromtimestamp(start, UTC) == dt.datetime(2026, 3, 28, 23, tzinfo=UTC)


def test_bad_filters_name_the_option():
    with pytest.raises(InvalidInput, match="type"):
        LogQuery(tenant="a", kind="lost")
    with pytest.raises(InvalidInput, match="page"):
        LogQuery(tenant="a", page=0)
    with pytest.raises(InvalidInput, match="period"):
        LogQuery(tenant="a", period="year", day=dt.date(2026, 1, 1))


def test_posted_cdrs_end_up_in_the_users_log_with_all_the_columns(db, two):
    post_call(make_cdr_app(Config(), db), "incoming_forward_no_answer.json")
    (entry,) = logmod.page(db, LogQuery(tenant="acme.example", kind="missed")).entries
    # The callee is the number the caller dialled: the DID, not the extension it routes to.
    assert (entry.status, entry.caller_number, entry.callee, entry.answered_by) == (
        Status.FORWARDED, "+14155550104", "15550001003", "14155550125")
    assert entry.user == "" and entry.ring_seconds == 4  # 1003 is no user of this tenant: tenant entry


# --- CSV ---------------------------------------------------------------------------------------

def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_header_times_in_the_tenants_zone_and_every_row(db, two):
    acme, _ = two
    start = dt.datetime(2026, 1, 10, 12, tzinfo=UTC)
    CallEntry.insert_many([
        dict(tenant=acme.tenant, user=acme.u1001, call_id=f"c{i}", kind="made", status="made",
             direction="outbound", started_at=int(start.timestamp()) + i, callee="600")
        for i in range(2600)  # more than one batch of the streaming query
    ]).execute()
    rows = read_csv("".join(exportmod.export(db, LogQuery(tenant="acme.example", user="1001"))))
    assert rows[0] == list(exportmod.HEADER)
    assert len(rows) == 2601 and len({r[-1] for r in rows[1:]}) == 2600
    assert rows[-1][0] == "2026-01-10 13:00:00+01:00" and rows[1][3] == "Emitido"


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+34600111222", "-1+1", "@SUM(A1)", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(db, two, value):
    acme, _ = two
    add(acme.tenant, acme.u1001, dt.datetime(2026, 1, 1, tzinfo=UTC), caller_name=value, caller_number=value)
    rows = read_csv("".join(exportmod.export(db, LogQuery(tenant="acme.example"))))
    assert rows[1][5] == rows[1][6] == "'" + value


def test_the_export_is_produced_lazily_in_chunks(db, two):
    chunks = exportmod.csv_chunks(iter(()), logmod.tenant_zone("UTC"))
    assert next(chunks).startswith("started,")


# --- CLI ---------------------------------------------------------------------------------------

@pytest.fixture
def cli_db(db_url):
    from fs_plugins import db as dbmod

    database = dbmod.connect(db_url)
    acme = make_tenant("acme.example")
    add(acme.tenant, acme.u1001, dt.datetime(2026, 11, 20, 9, tzinfo=UTC), "missed", Status.REJECTED,
        caller_number="+34911000111", caller_name="=cmd")
    add(acme.tenant, acme.u1002, dt.datetime(2026, 10, 20, 9, tzinfo=UTC), "made", Status.MADE, callee="123")
    yield db_url
    database.close()


def test_calllog_list_shows_a_users_page_with_spanish_statuses(cli_db, capsys):
    assert main(["--database", cli_db, "calls", "list", "--tenant", "acme.example", "--user", "1001",
                 "--type", "missed", "--month", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "Rechazado" in out and "2026-11-20 10:00:00" in out and "page 1, 1 calls" in out


def test_calllog_list_without_user_is_the_tenant_admins_view(cli_db, capsys):
    assert main(["--database", cli_db, "calls", "list", "--tenant", "acme.example"]) == 0
    out = capsys.readouterr().out
    assert "Rechazado" in out and "Emitido" in out


def test_calllog_export_writes_the_filtered_csv(cli_db, capsys):
    assert main(["--database", cli_db, "calls", "export", "--tenant", "acme.example", "--week", "2026-11-18"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert len(rows) == 2 and rows[1][3] == "Rechazado" and rows[1][5] == "'=cmd"


def test_calllog_export_to_a_file(cli_db, tmp_path, capsys):
    target = tmp_path / "calls.csv"
    assert main(["--database", cli_db, "calls", "export", "--tenant", "acme.example", "-o", str(target)]) == 0
    assert len(read_csv(target.read_text())) == 3
    assert capsys.readouterr().out == f"2 calls written to {target}\n"


def test_calllog_export_to_dash_is_standard_output_not_a_file_named_dash(cli_db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # where a file named "-" would appear
    assert main(["--database", cli_db, "calls", "export", "--tenant", "acme.example", "-o", "-"]) == 0
    assert len(read_csv(capsys.readouterr().out)) == 3
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("argv, message, code", [
    (["--day", "yesterday"], "--day", 2),
    (["--page", "0"], "page", 2),
    (["--user", "9999"], "user", 1),
])
def test_calllog_list_bad_options_are_named(cli_db, capsys, argv, message, code):
    assert main(["--database", cli_db, "calls", "list", "--tenant", "acme.example", *argv]) == code
    assert message in capsys.readouterr().err


def test_calllog_list_for_an_unknown_tenant_is_not_found(cli_db, capsys):
    assert main(["--database", cli_db, "calls", "list", "--tenant", "nobody.example"]) == 1
    assert "tenant" in capsys.readouterr().err


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_the_csv_times_match_the_zones_rules_across_daylight_saving_changes(zone):
    import random

    tz = logmod.tenant_zone(zone)
    rng = random.Random(3)
    moments = sorted((rng.randrange(0, 2_000_000_000) for _ in range(3000)), reverse=True)
    moments += [int(dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC).timestamp()) + i for i in range(3)]
    rows = [(i, "c", "", "made", "made", "outbound", m, "", "", "", "", 0, 0, "", None) for i, m in enumerate(moments)]
    shown = [r[0] for r in read_csv("".join(exportmod.csv_chunks(iter(rows), tz)))[1:]]
    assert shown == [dt.datetime.fromtimestamp(m, tz).isoformat(sep=" ") for m in moments]
