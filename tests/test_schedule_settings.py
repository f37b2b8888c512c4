"""Schedules stored per tenant: validation with nothing half-written, tenant defaults, reuse, removal."""
import datetime as dt

import peewee
import pytest

from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import BaseModel, Tenant
from fs_plugins.models.schedule import Schedule, ScheduleOverride, ScheduleRange
from fs_plugins.schedule import settings
from fs_plugins.schedule.loader import load_schedule
from fs_plugins.schedule.rules import state_at
from fs_plugins.schedule.settings import ScheduleInUse
from fs_plugins.schedule import rules
from fs_plugins import plugins
from fs_plugins.plugins import Component

UTC = dt.timezone.utc
GOOD_FRIDAY_NOON = dt.datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
EASTER_MONDAY_NOON = dt.datetime(2026, 4, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def tenant(db):
    return Tenant.create(name="Acme", domain="acme.example", timezone="Europe/Madrid", country="ES", region="MD")


def counts():
    return Schedule.select().count(), ScheduleRange.select().count(), ScheduleOverride.select().count()


def test_a_new_schedule_follows_the_tenant_zone_and_holidays(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00,16:00-19:00"])
    sched = load_schedule(tenant.id, row.id)
    assert sched.timezone == "Europe/Madrid"
    assert sched.holidays == rules.HolidayCalendar("ES", "MD", "es")
    assert len(sched.weekly) == 10
    assert str(state_at(sched, GOOD_FRIDAY_NOON)) == "closed: holiday (Viernes Santo)"
    assert state_at(sched, EASTER_MONDAY_NOON).is_open  # not a holiday in Madrid


def test_changing_the_tenant_zone_or_region_changes_schedules_that_follow_it(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00"])
    Tenant.update(timezone="America/New_York", region="CT").where(Tenant.id == tenant.id).execute()
    sched = load_schedule(tenant.id, row.id)
    assert sched.timezone == "America/New_York" and str(sched.holidays) == "ES-CT"


def test_a_schedule_may_have_its_own_zone_and_holiday_region(tenant):
    row = settings.create_schedule(tenant, "Barcelona", hours=["daily 00:00-24:00"], timezone="Atlantic/Canary",
                                  holidays="es", region="Cataluña")
    assert (row.timezone, row.holiday_country, row.holiday_region) == ("Atlantic/Canary", "ES", "CT")
    sched = load_schedule(tenant.id, name="Barcelona")
    assert state_at(sched, GOOD_FRIDAY_NOON).reason == rules.HOLIDAY
    assert state_at(sched, EASTER_MONDAY_NOON).reason == rules.HOLIDAY  # Catalonia's Easter Monday


def test_a_region_alone_keeps_the_tenant_country(tenant):
    row = settings.create_schedule(tenant, "Office", region="ct")
    assert (row.holiday_mode, row.holiday_country, row.holiday_region) == ("custom", "ES", "CT")


def test_a_schedule_without_holidays_stays_open_on_them(tenant):
    row = settings.create_schedule(tenant, "Always", hours=["daily 00:00-24:00"], holidays="none")
    assert state_at(load_schedule(tenant.id, row.id), GOOD_FRIDAY_NOON).is_open


@pytest.mark.parametrize("kwargs,field", [
    ({"timezone": "Europe/Madird"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"holidays": "XX"}, "holidays"),
    ({"holidays": "ES", "region": "ZZ"}, "region"),
    ({"holidays": "none", "region": "MD"}, "region"),
    ({"hours": ["mon-fri 09:00-14:00", "sat 10:00-10:00"]}, "hours"),
    ({"hours": ["mon-fri 9h-14h"]}, "hours"),
    ({"name": ""}, "name"),
    ({"name": "bad\nname"}, "name"),
    ({"description": "${system rm}"}, "description"),
])
def test_bad_input_is_rejected_naming_the_option_and_nothing_is_stored(tenant, kwargs, field):
    args = {"name": "Office", "hours": ["mon-fri 09:00-14:00"], **kwargs}
    with pytest.raises(InvalidInput) as err:
        settings.create_schedule(tenant, args.pop("name"), **args)
    assert err.value.field == field
    assert counts() == (0, 0, 0)


def test_names_are_unique_within_a_tenant_but_not_across_tenants(tenant):
    settings.create_schedule(tenant, "Office")
    with pytest.raises(InvalidInput, match="already exists"):
        settings.create_schedule(tenant, "Office")
    other = Tenant.create(name="Other", domain="other.example")
    settings.create_schedule(other, "Office")
    assert counts()[0] == 2


def test_a_rejected_change_leaves_the_schedule_as_it_was(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00"])
    with pytest.raises(InvalidInput):
        settings.change_schedule(row, hours=["daily 00:00-24:00"], timezone="Mars/Olympus")
    fresh = Schedule.get_by_id(row.id)
    assert fresh.timezone is None and len(load_schedule(tenant.id, row.id).weekly) == 5


def test_changing_hours_replaces_them_and_renaming_checks_uniqueness(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00"])
    settings.create_schedule(tenant, "Shop")
    settings.change_schedule(row, hours=["sat 10:00-13:00"], timezone="America/New_York")
    sched = load_schedule(tenant.id, row.id)
    assert [str(r) for r in sched.weekly] == ["sat 10:00-13:00"] and sched.timezone == "America/New_York"
    with pytest.raises(InvalidInput, match="already exists"):
        settings.change_schedule(row, name="Shop")
    settings.change_schedule(row, timezone="tenant", holidays="none")
    sched = load_schedule(tenant.id, row.id)
    assert sched.timezone == "Europe/Madrid" and sched.holidays is None


def test_closures_and_openings_are_stored_as_local_times_and_checked(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["daily 09:00-18:00"])
    eve = dt.datetime(2026, 12, 24)
    closure = settings.add_override(row, "closure", eve.replace(hour=14), eve + dt.timedelta(days=1), "Nochebuena")
    with pytest.raises(InvalidInput) as err:
        settings.add_override(row, "closure", eve.replace(hour=18), eve.replace(hour=14), "backwards")
    assert err.value.field == "ends_at"
    with pytest.raises(InvalidInput):
        settings.add_override(row, "opening", eve, eve.replace(hour=1), "bad\r\nlabel")
    assert counts()[2] == 1
    sched = load_schedule(tenant.id, row.id)
    # 14:00 in Madrid in winter is 13:00 UTC
    assert str(state_at(sched, dt.datetime(2026, 12, 24, 13, 0, tzinfo=UTC))) == "closed: closure (Nochebuena)"
    assert state_at(sched, dt.datetime(2026, 12, 24, 12, 59, tzinfo=UTC)).is_open
    settings.remove_override(row, "closure", closure.id)
    with pytest.raises(NotFound):
        settings.remove_override(row, "closure", closure.id)


def test_a_tenant_never_loads_another_tenants_schedule(tenant):
    other = Tenant.create(name="Other", domain="other.example")
    theirs = settings.create_schedule(other, "Secret")
    with pytest.raises(NotFound):
        load_schedule(tenant.id, theirs.id)
    with pytest.raises(NotFound):
        settings.get_schedule(tenant, "Secret")
    settings.add_override(theirs, "closure", dt.datetime(2026, 1, 2), dt.datetime(2026, 1, 3))
    mine = settings.create_schedule(tenant, "Mine")
    with pytest.raises(NotFound):
        settings.remove_override(mine, "closure", settings.list_overrides(theirs, "closure")[0].id)


def _menu_model():
    class MenuStub(BaseModel):
        """Stands for an IVR menu: it points at a schedule and keeps its closed-hours route."""

        tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE")
        name = peewee.CharField()
        schedule = peewee.ForeignKeyField(Schedule, null=True)

        class Meta:
            table_name = "menu_stub"

    return MenuStub


@pytest.fixture
def stub_table(db):
    """A table pointing at schedules, unknown to the rest of the suite once the test is over."""
    model = _menu_model()
    db.create_tables([model])
    yield model
    db.drop_tables([model])
    for field in list(model._meta.refs):  # keep Tenant/Schedule backrefs clean for other tests
        model._meta.remove_ref(field)


@pytest.fixture
def menus(stub_table, monkeypatch):
    registry = plugins.installed()
    monkeypatch.setattr(registry, "components", registry.components + [Component("stub", (stub_table,))])
    return stub_table


def test_every_user_of_a_schedule_sees_its_changes(tenant, menus):
    row = settings.create_schedule(tenant, "Office", hours=["daily 09:00-18:00"], holidays="none")
    users = [menus.create(tenant=tenant, name=n, schedule=row) for n in ("Main", "Sales")]
    evening = dt.datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # 20:00 in Madrid
    assert not any(state_at(load_schedule(tenant.id, m.schedule_id), evening).is_open for m in users)
    settings.change_schedule(row, hours=["daily 09:00-22:00"])
    assert all(state_at(load_schedule(tenant.id, m.schedule_id), evening).is_open for m in users)


def test_removing_a_schedule_in_use_is_refused_naming_its_users(tenant, menus):
    row = settings.create_schedule(tenant, "Office", hours=["daily 09:00-18:00"])
    menus.create(tenant=tenant, name="Main", schedule=row)
    with pytest.raises(ScheduleInUse, match="menu stub 'Main'"):
        settings.remove_schedule(row)
    assert counts()[:2] == (1, 7)


def test_the_database_constraint_backs_up_a_reference_no_check_knows(tenant, stub_table):
    row = settings.create_schedule(tenant, "Office", hours=["daily 09:00-18:00"])
    stub_table.create(tenant=tenant, name="Hidden", schedule=row)  # a table no installed plugin declares
    with pytest.raises(ScheduleInUse, match="still referenced"):
        settings.remove_schedule(row)
    assert counts()[:2] == (1, 7)


def test_removing_an_unused_schedule_removes_its_ranges_and_overrides(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00"])
    settings.add_override(row, "opening", dt.datetime(2026, 3, 8, 10), dt.datetime(2026, 3, 8, 12), "Fair")
    settings.remove_schedule(row)
    assert counts() == (0, 0, 0)


def test_a_tenant_region_unknown_to_the_holidays_package_falls_back_to_national_holidays(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["daily 00:00-24:00"])
    Tenant.update(region="ZZ").where(Tenant.id == tenant.id).execute()
    sched = load_schedule(tenant.id, row.id)
    assert str(sched.holidays) == "ES" and state_at(sched, GOOD_FRIDAY_NOON).reason == rules.HOLIDAY
    Tenant.update(country="QQ").where(Tenant.id == tenant.id).execute()
    assert load_schedule(tenant.id, row.id).holidays is None


def test_deleting_a_tenant_deletes_its_schedules_with_them(tenant):
    row = settings.create_schedule(tenant, "Office", hours=["mon-fri 09:00-14:00"])
    settings.add_override(row, "closure", dt.datetime(2026, 12, 24), dt.datetime(2026, 12, 25), "Eve")
    Tenant.delete().where(Tenant.id == tenant.id).execute()  # ON DELETE CASCADE in the database
    assert counts() == (0, 0, 0)
