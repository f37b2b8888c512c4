"""Schedules through their application layer, as the REST API, the portal and the CLI call it: the
tenant's administrator only, views that carry what the dialplan decides with, audit entries, and a
schedule in use refused as a conflict."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.models.schedule import Schedule
from fs_plugins.schedule import app
from tests import provision
from tests.test_core_app import admin_of, pbx, user_of  # noqa: F401  (fixture)


def test_an_admin_creates_a_schedule_and_reads_it_back_as_the_dialplan_sees_it(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    view = app.add_schedule(admin, "acme.example", "Office", hours=["mon-fri 09:00-14:00"], holidays="none").value
    assert (view.name, view.timezone, view.hours, view.holidays) == (
        "Office", "Europe/Madrid", ["mon-fri 09:00-14:00"], None)
    assert view.follows_tenant_timezone and not view.follows_tenant_holidays
    closure = app.add_period(admin, "acme.example", "Office", "closure", dt.datetime(2026, 12, 24, 12),
                             dt.datetime(2026, 12, 26), "Nochebuena").value
    _, state = app.state_at(admin, "acme.example", "Office", dt.datetime(2026, 12, 24, 13))  # local time
    assert not state.is_open and state.detail == "Nochebuena"
    _, state = app.state_at(admin, "acme.example", "Office", dt.datetime(2026, 12, 23, 9, 30, tzinfo=dt.timezone.utc))
    assert state.is_open
    assert app.list_periods(admin, "acme.example", "Office", "closure") == [closure]
    removed = app.remove_period(admin, "acme.example", "Office", "closure", closure.id).value
    assert removed == closure
    assert [e.action for e in events] == ["schedule.create", "schedule.closure.add", "schedule.closure.remove"]
    assert events[0].detail == {"name": "Office", "hours": ["mon-fri 09:00-14:00"], "holidays": "none"}


def test_another_tenant_does_not_see_the_schedule_and_a_user_may_not_read_it(pbx):
    context, _, _ = pbx
    app.add_schedule(context(admin_of("acme.example")), "acme.example", "Office")
    with pytest.raises(NotFound):
        app.get_schedule(context(admin_of("globex.example")), "acme.example", "Office")
    with pytest.raises(NotFound) as missing:
        app.get_schedule(context(admin_of("globex.example")), "globex.example", "Office")
    assert missing.value.field == "schedule"
    with pytest.raises(Forbidden):
        app.list_schedules(context(user_of("acme.example", "1001")), "acme.example")


def test_a_bad_value_names_the_apis_field_and_writes_nothing(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    for values, field in (({"timezone": "Mars/Olympus"}, "timezone"), ({"hours": ["mon 9h"]}, "hours"),
                          ({"holidays": "XX"}, "holidays"), ({"description": "${x}"}, "description")):
        with pytest.raises(InvalidInput) as refused:
            app.add_schedule(admin, "acme.example", "Office", **values)
        assert refused.value.field == field
    assert Schedule.select().count() == 0 and events == []


def test_a_schedule_a_group_uses_is_a_conflict_to_remove(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_schedule(admin, "acme.example", "Office")
    provision.group(provision.Tenant.get(domain="acme.example"), "Sales", opening="schedule", schedule="Office",
                    closed_destination="hangup")
    with pytest.raises(Conflict, match="Sales"):
        app.remove_schedule(admin, "acme.example", "Office")
    assert Schedule.select().count() == 1 and "schedule.delete" not in [e.action for e in events]
