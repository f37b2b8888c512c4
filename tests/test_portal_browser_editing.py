"""Editing call groups and schedules in a real browser (Debian's chromium through Playwright,
tests/browser_support.py): the error shown next to its field, the confirmation of each change, members
reordered by drag and drop and by the arrows, the queue settings shown only for an advanced group, a
week edited day by day and a closure added, and a customer suspended only once the operator confirms."""
from __future__ import annotations

import pytest

from tests.api_world import PASSWORD
from tests.browser_support import chromium, live_server, page, sign_in  # noqa: F401 (fixtures)
from tests.portal_world import ADMIN, OPERATOR, portal_world

OWN = "acme.example.com"


@pytest.fixture(scope="module", autouse=True)
def world(live_server):
    from argon2 import PasswordHasher

    from fs_plugins.access import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved = passwords._hasher, passwords._DUMMY
    passwords._hasher, passwords._DUMMY = cheap, cheap.hash("not a password of anyone")
    yield portal_world()
    passwords._hasher, passwords._DUMMY = saved


def _order(page) -> list[str]:
    return page.locator("ol#members > li").evaluate_all("items => items.map(i => i.dataset.key)")


def test_a_group_is_built_in_the_browser_and_its_members_reordered_by_drag_and_by_arrows(page):
    from fs_plugins.groups import app as groups
    from tests import provision

    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/groups")
    page.get_by_text("Nuevo grupo de llamadas").click()
    page.get_by_label("Nombre", exact=True).fill("Turno")
    page.get_by_label("Tipo").select_option("advanced")
    page.get_by_label("Espera máxima en segundos").fill("5")
    page.get_by_role("button", name="Guardar el grupo").click()
    wait = page.get_by_label("Espera máxima en segundos")
    assert wait.get_attribute("aria-invalid") == "true"
    assert "10" in page.locator("#e-max_wait").inner_text()  # the application's own message: between 10 and …
    wait.fill("120")
    page.get_by_role("button", name="Guardar el grupo").click()
    assert "Grupo de llamadas Turno guardado." in page.locator("#notices").inner_text()
    assert '<option value="simple"' not in page.content()  # advanced is for good
    for extension in ("1001", "1002"):
        page.get_by_label("Extensión del usuario").fill(extension)
        page.get_by_role("button", name="Añadir el miembro").click()
        assert "Miembro añadido a Turno." in page.locator("#notices").inner_text()
    assert _order(page) == ["user:1001", "user:1002"]
    page.locator('li[data-key="user:1002"]').drag_to(page.locator('li[data-key="user:1001"]'),
                                                      target_position={"x": 5, "y": 2})
    page.wait_for_load_state()
    assert "Orden de llamada de Turno cambiado." in page.locator("#notices").inner_text()
    assert _order(page) == ["user:1002", "user:1001"]
    assert [m.key for m in groups.get_group(provision.OPERATOR, OWN, "Turno").members] == ["user:1002", "user:1001"]
    page.get_by_role("button", name="Subir a Ana").click()
    assert "Orden de llamada de Turno cambiado." in page.locator("#notices").inner_text()
    assert _order(page) == ["user:1001", "user:1002"]


def test_a_schedule_is_edited_day_by_day_in_the_browser_and_a_closure_added(page):
    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/schedules")
    page.get_by_text("Nuevo horario").click()
    page.get_by_label("Nombre", exact=True).fill("Oficina")
    page.get_by_label("lunes").fill("09:00-14:00,16:00-19:00")
    page.get_by_label("martes").fill("9-14")
    page.get_by_role("button", name="Guardar el horario").click()
    tuesday = page.get_by_label("martes")
    assert tuesday.get_attribute("aria-invalid") == "true"
    assert page.locator("#e-hours_tue").is_visible()
    tuesday.fill("09:00-14:00")
    page.get_by_role("button", name="Guardar el horario").click()
    assert "Horario Oficina guardado." in page.locator("#notices").inner_text()
    monday = page.get_by_role("row", name="lunes").locator(".open-bar")
    assert monday.count() == 2 and monday.first.inner_text() == "09:00–14:00"
    page.get_by_label("Desde (hora local del horario)").fill("2026-12-24T14:00")
    page.get_by_label("Hasta").fill("2026-12-26T00:00")
    page.get_by_label("Etiqueta").fill("Navidad")
    page.get_by_role("button", name="Añadir el periodo").click()
    assert "añadido" in page.locator("#notices").inner_text()
    assert "Navidad" in page.locator("ul.periods").inner_text()


def test_the_queue_settings_show_only_while_the_group_is_advanced(page):
    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/groups/new")
    queue = page.locator("#queue-settings")
    assert not queue.is_visible() and not page.get_by_label("Espera máxima en segundos").is_visible()
    page.get_by_label("Tipo").select_option("advanced")
    assert queue.is_visible() and page.get_by_label("Espera máxima en segundos").is_visible()
    page.get_by_label("Tipo").select_option("simple")
    assert not queue.is_visible()


def test_a_customer_is_suspended_only_once_the_operator_confirms_and_resumed(page):
    from fs_plugins.models import Tenant

    sign_in(page, OPERATOR, PASSWORD)
    page.goto("/operator/tenants")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Suspender Acme S.L.").click()
    assert asked and "dejan de funcionar" in asked[0] and not Tenant.get(Tenant.domain == OWN).suspended
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Suspender Acme S.L.").click()
    page.wait_for_load_state()
    assert "Cliente Acme S.L. suspendido" in page.locator("#notices").inner_text()
    assert Tenant.get(Tenant.domain == OWN).suspended
    page.get_by_role("button", name="Reactivar Acme S.L.").click()
    assert "Cliente Acme S.L. reactivado." in page.locator("#notices").inner_text()
    assert not Tenant.get(Tenant.domain == OWN).suspended
