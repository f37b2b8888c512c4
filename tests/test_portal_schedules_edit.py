"""Schedules edited in the customer's administration (issue 16 [13]): the week day by day with an error
next to the day, holidays of the tenant's country and region for the year, closures and openings added
and removed, each change confirmed, nothing written on a refusal, another tenant's schedule a 404."""
from __future__ import annotations

import re

import pytest

from fs_plugins.models import Tenant
from fs_plugins.models.schedule import Schedule
from fs_plugins.schedule import app as schedules
from tests import provision
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, browser, world  # noqa: F401

SCHEDULES = f"/t/{OWN}/schedules"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _form(**changes) -> dict:
    form = {"name": "Oficina", "description": "", "timezone": "", "holidays": "tenant", "region": "",
            **{f"hours_{day}": "09:00-14:00,16:00-19:00" for day in DAYS[:5]}, "hours_sat": "", "hours_sun": ""}
    form.update(changes)
    return form


@pytest.fixture
def madrid(world):
    Tenant.update(country="ES", region="MD").where(Tenant.domain == OWN).execute()


def test_a_schedule_is_created_day_by_day_and_shows_its_week_and_the_years_holidays(browser, madrid):
    browser.sign_in(ADMIN)
    assert f'href="{SCHEDULES}/new"' in browser.get(SCHEDULES).data.decode()
    saved = browser.submit(f"{SCHEDULES}/new", _form(hours_sat="10:00-13:00", hours_fri="22:00-02:00"))
    assert saved.status_code == 303
    view = schedules.get_schedule(provision.OPERATOR, OWN, "Oficina")
    assert view.hours == ["mon-thu 09:00-14:00,16:00-19:00", "fri 22:00-02:00", "sat 10:00-13:00"]
    assert view.follows_tenant_holidays and view.holidays == "ES-MD"
    html = browser.get(saved.headers["Location"] + "&year=2026").data.decode()
    assert "Horario Oficina guardado." in html
    assert 'id="f-hours_sat"' in html and 'value="10:00-13:00"' in html  # the form reads back what was saved
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)
    assert [day for day, _ in rows] == ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    assert "22:00–24:00" in rows[4][1] and "00:00–02:00" in rows[5][1]  # Friday night runs into Saturday
    assert "2 de mayo de 2026" in html  # Madrid's own holiday, shown for the year asked
    edit = saved.headers["Location"].split("?")[0]
    browser.submit(edit, _form(name="Tienda", hours_mon="", holidays="none"))
    view = schedules.get_schedule(provision.OPERATOR, OWN, "Tienda")
    assert view.hours == ["tue-fri 09:00-14:00,16:00-19:00"] and view.holidays is None


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"hours_wed": "9-14"}, "hours_wed"),
    ({"hours_tue": "09:00-25:00"}, "hours_tue"),
    ({"hours_thu": "mon 09:00-14:00"}, "hours_thu"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"holidays": "XX"}, "holidays"),
    ({"region": "Narnia"}, "region"),
])
def test_a_refused_schedule_is_explained_next_to_the_field_and_nothing_is_written(browser, madrid, changes, field):
    browser.sign_in(ADMIN)
    before = Schedule.select().count()
    response = browser.submit(f"{SCHEDULES}/new", _form(**changes))
    assert response.status_code == 422
    html = response.data.decode()
    assert f'id="e-{field}"' in html and 'aria-invalid="true"' in html
    assert Schedule.select().count() == before


def test_closures_and_openings_are_added_and_removed_and_a_bad_one_is_explained(browser, madrid):
    schedules.add_schedule(provision.OPERATOR, OWN, "Oficina", hours=["mon-fri 09:00-14:00"])
    row = Schedule.get(Schedule.name == "Oficina")
    browser.sign_in(ADMIN)
    edit, periods = f"{SCHEDULES}/{row.id}", f"{SCHEDULES}/{row.id}/periods"
    added = browser.submit(edit, {"action": "add", "kind": "closure", "starts_at": "2026-12-24T14:00",
                                  "ends_at": "2026-12-26T00:00", "label": "Navidad"}, action=periods)
    assert added.status_code == 200 and "24 dic 2026, 14:00 – 26 dic 2026, 0:00 añadido." in added.data.decode()
    browser.submit(edit, {"action": "add", "kind": "opening", "starts_at": "2026-12-27T10:00",
                          "ends_at": "2026-12-27T13:00", "label": "Rebajas"}, action=periods)
    view = schedules.get_schedule(provision.OPERATOR, OWN, "Oficina")
    assert [p.label for p in view.closures] == ["Navidad"] and [p.label for p in view.openings] == ["Rebajas"]
    refused = browser.submit(edit, {"action": "add", "kind": "closure", "starts_at": "2026-12-24T14:00",
                                    "ends_at": "2026-12-24T10:00"}, action=periods)
    assert refused.status_code == 422 and 'id="e-ends_at"' in refused.data.decode()
    bad_time = browser.submit(edit, {"action": "add", "kind": "closure", "starts_at": "mañana",
                                     "ends_at": "2026-12-24T10:00"}, action=periods)
    assert bad_time.status_code == 422 and 'id="e-starts_at"' in bad_time.data.decode()
    closure = view.closures[0]
    removed = browser.submit(edit, {"action": "remove", "kind": "closure", "id": str(closure.id)}, action=periods)
    assert "quitado." in removed.data.decode() and f'id="period-{closure.id}"' not in removed.data.decode()
    assert schedules.get_schedule(provision.OPERATOR, OWN, "Oficina").closures == []


def test_another_tenants_schedule_is_a_404_to_read_and_to_change(browser):
    schedules.add_schedule(provision.OPERATOR, OTHER, "Rival", hours=["mon 09:00-10:00"])
    schedules.add_schedule(provision.OPERATOR, OWN, "Oficina", hours=["mon 09:00-10:00"])
    rival, own = Schedule.get(Schedule.name == "Rival"), Schedule.get(Schedule.name == "Oficina")
    browser.sign_in(ADMIN)
    for path in (f"{SCHEDULES}/{rival.id}", f"/t/{OTHER}/schedules/{rival.id}", f"/t/{OTHER}/schedules/new"):
        assert browser.get(path).status_code == 404, path
    for action in (f"{SCHEDULES}/{rival.id}", f"{SCHEDULES}/{rival.id}/periods"):
        response = browser.submit(f"{SCHEDULES}/{own.id}", {**_form(name="Mío"), "action": "add", "kind": "closure",
                                                            "starts_at": "2026-12-24T00:00", "ends_at": "2026-12-25T00:00"},
                                  action=action)
        assert response.status_code == 404
    assert Schedule.get_by_id(rival.id).name == "Rival"
    assert schedules.get_schedule(provision.OPERATOR, OTHER, "Rival").closures == []


def test_why_a_schedule_is_open_now_reads_in_the_pages_language():
    import datetime as dt

    from fs_plugins.portal.views.admin_schedules import _now_detail
    from fs_plugins.schedule import rules

    spanish = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
    now = dt.datetime(2026, 12, 3, 10, tzinfo=dt.timezone.utc)
    assert _now_detail(rules.State(True, rules.WITHIN_HOURS, "thu 09:00-14:00", now), spanish) == "jueves 09:00–14:00"
    assert _now_detail(rules.State(False, rules.CLOSURE, "Navidad", now), spanish) == "Navidad"


def test_the_holidays_are_named_in_the_pages_language(browser, madrid):
    schedules.add_schedule(provision.OPERATOR, OWN, "Oficina", hours=["mon-fri 09:00-14:00"])
    browser.sign_in(ADMIN)
    page = f"{SCHEDULES}?year=2026"
    assert "Año Nuevo" in browser.get(page).data.decode()
    browser.client.set_cookie("centralita_lang", "en")
    english = browser.get(page).data.decode()
    assert "New Year&#39;s Day" in english or "New Year's Day" in english
    assert "Año Nuevo" not in english
