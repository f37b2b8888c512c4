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
        # the new page loaded whole: its drag handlers are set at DOMContentLoaded, after the list is
        # already there to read (a drag before that moved nothing and posted nothing, on a loaded CI)
        with page.expect_navigation():
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


def _emulated_calls(flow: str, object_id: int, scripts) -> list:
    """Calls to a flow of acme's, run as `serve` runs them (the installed flows, over TCP) against the
    emulated FreeSWITCH: what happens is stored in the database the browser's server reads."""
    from fs_plugins.config import Config
    from fs_plugins.esl.server import EslServer
    from fs_plugins.sim.emulator import CallSetup, Emulator
    from tests.flows import installed_flows

    server = EslServer(Config(esl_port=0), installed_flows())
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": flow, "pbx_flow_object": str(object_id), "pbx_tenant": OWN})
        return [Emulator(server.address, setup, script, idle_timeout=2).run() for script in scripts]
    finally:
        server.stop(timeout=1)


def test_an_advanced_group_built_in_the_browser_shows_its_statistics_after_emulated_calls(page, monkeypatch):
    from fs_plugins.models.groups import CallGroup, GroupCall
    from fs_plugins.sim.script import CallerScript, Leg

    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # the flow's config: no event socket to ask
    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/groups/new")
    page.get_by_label("Nombre", exact=True).fill("Atención")
    page.get_by_label("Tipo").select_option("advanced")
    page.get_by_label("Espera máxima en segundos").fill("60")
    page.get_by_role("button", name="Guardar el grupo").click()
    page.get_by_label("Extensión del usuario").fill("1001")
    page.get_by_role("button", name="Añadir el miembro").click()
    assert "Miembro añadido a Atención." in page.locator("#notices").inner_text()
    group = CallGroup.get(CallGroup.name == "Atención")
    answered = CallerScript(legs={f"user/1001@{OWN}": Leg("answer", 2, 30)})
    reports = _emulated_calls("group", group.id, [answered, answered, CallerScript(hangup_at=8)])
    assert [r.hangup_cause for r in reports] and reports[0].bridges[-1] == (f"user/1001@{OWN}", "SUCCESS")
    month = GroupCall.select().where(GroupCall.group == group).first().started_at.strftime("%Y-%m")
    page.goto(f"/t/{OWN}/groups/{group.id}/stats?month={month}")
    figures = dict(zip(page.locator("dl.figures dt").all_inner_texts(), page.locator("dl.figures dd").all_inner_texts()))
    assert (figures["Ofrecidas"], figures["Contestadas"], figures["Abandonadas"]) == ("3", "2", "1")
    assert page.locator("svg.chart").count() == 2  # calls per day, answered per member
    member = page.locator("table.members tbody tr")
    assert member.count() == 1 and member.locator("td").first.inner_text() == "1001"
    assert member.locator("td").nth(1).inner_text() == "2"
    assert member.locator("td").nth(2).inner_text() == "1:00"  # talk time: 2 calls of 30 emulated seconds


def test_the_seeds_ivr_built_in_the_browser_answers_an_emulated_call(page):
    from fs_plugins.models import User
    from fs_plugins.models.ivr import IvrMenu
    from fs_plugins.sim.script import CallerScript

    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/ivr/new")
    page.get_by_label("Nombre").fill("Centralita")
    page.get_by_role("tablist", name="Partes del menú").get_by_role("tab", name="Teclas").click()
    page.get_by_label("Tecla 1", exact=True).fill("user:1002")
    page.get_by_label("Tecla 2", exact=True).fill("voicemail:")
    page.get_by_role("button", name="Guardar el menú").click()
    page.wait_for_url("**/ivr/*?saved=1")
    menu = IvrMenu.get(IvrMenu.name == "Centralita")
    pressed_one, = _emulated_calls("ivr", menu.id, [CallerScript(digits=["1"])])
    bruno = User.get(User.extension == "1002", User.tenant == menu.tenant)
    assert pressed_one.answered_at is not None and pressed_one.played  # the caller heard the menu
    assert pressed_one.transfer == (f"pbx-user-{bruno.id}", OWN)  # key 1: on to Bruno, through the dialplan


def _welcome_dialog(page, menu, way: str, name: str):
    """The IVR editor's welcome tab with its pop-up `way` ("Subir un archivo", "Grabación de voz")
    open and the new file's name typed in."""
    sign_in(page, ADMIN, PASSWORD)
    page.goto(f"/t/{OWN}/ivr/{menu.id}")
    page.get_by_role("tab", name="Mensaje de bienvenida opcional").click()
    page.get_by_role("button", name=way).click()
    dialog = page.get_by_role("dialog", name=way)
    dialog.get_by_label("Nombre del archivo").fill(name)
    return dialog


def test_a_welcome_uploaded_in_the_ivr_editors_tab_becomes_the_menus_welcome(page):
    from pathlib import Path

    from fs_plugins.ivr import app as ivr
    from tests import provision

    menu = provision.menu(provision.find_tenant(OWN), "Bienvenidas", options={"1": "user:1002"})
    dialog = _welcome_dialog(page, menu, "Subir un archivo", "Buenos días")
    dialog.get_by_label("Archivo de audio", exact=False).set_input_files(
        str(Path(__file__).resolve().parents[1] / "docs" / "samples" / "bienvenida.wav"))
    dialog.get_by_role("button", name="Subir", exact=True).click()
    page.wait_for_load_state()
    assert "Ahora es el mensaje de bienvenida de Bienvenidas." in page.locator("#notices").inner_text()
    assert ivr.get_menu(provision.OPERATOR, OWN, "Bienvenidas").welcome == "Buenos días"


def test_a_welcome_recorded_by_phone_in_the_ivr_editors_tab_becomes_the_menus_welcome(page, live_server):
    """The welcome tab's "Grabación de voz": the pop-up follows the call and, once the take is kept,
    the editor says the menu has it as its welcome (the emulated phone speaks, presses # and then 3)."""
    from playwright.sync_api import expect

    from fs_plugins.ivr import app as ivr
    from fs_plugins.sim.script import CallerScript
    from tests import provision

    menu = provision.menu(provision.find_tenant(OWN), "Grabadas", options={"1": "user:1002"})
    live_server.freeswitch.scripts[f"user/1002@{OWN}"] = CallerScript(dtmf=[(1.5, "#")], digits=["3"])
    dialog = _welcome_dialog(page, menu, "Grabación de voz", "Buenas tardes")
    dialog.get_by_label("Número al que llamar").fill("1002")
    dialog.get_by_role("button", name="Llamarme").click()
    expect(page.get_by_role("dialog", name="Grabación de voz").get_by_role("status")).to_contain_text("Llamando a 1002")
    expect(page.locator("#notices")).to_contain_text("Ahora es el mensaje de bienvenida de Grabadas.", timeout=20000)
    assert ivr.get_menu(provision.OPERATOR, OWN, "Grabadas").welcome == "Buenas tardes"
