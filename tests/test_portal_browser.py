"""The portal in a real browser (Debian's chromium through Playwright): each space's main journeys,
isolation through the UI, CSRF and session expiry. See tests/browser_support.py for how it runs."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.models import utcnow
from fs_plugins.models.access import Session
from tests.api_world import PASSWORD
from tests.browser_support import chromium, live_server, page, sign_in  # noqa: F401 (fixtures)
from tests.portal_world import ADMIN, OPERATOR, RIVAL, USER, portal_world


@pytest.fixture(scope="module", autouse=True)
def world(live_server):
    from argon2 import PasswordHasher

    from fs_plugins.access import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved = passwords._hasher, passwords._DUMMY
    passwords._hasher, passwords._DUMMY = cheap, cheap.hash("not a password of anyone")
    yield portal_world()
    passwords._hasher, passwords._DUMMY = saved


def test_signing_in_shows_the_seeds_menu_in_spanish_and_signing_out_ends_it(page):
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("Usuario").fill(USER)
    page.get_by_label("Contraseña").fill("wrong password")
    page.get_by_role("button", name="Iniciar sesión").click()
    error = page.locator("#e-password")
    assert error.inner_text() == "Usuario o contraseña incorrectos."
    assert page.get_by_label("Contraseña").evaluate("e => document.activeElement === e")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(lambda url: "/login" not in url)
    menu = page.get_by_role("navigation", name="Menú principal")
    assert "Telefonía fija – Gestión de las llamadas" in menu.text_content()
    page.get_by_role("button", name="Cerrar sesión").click()
    assert page.get_by_role("status").inner_text().strip() == "Ha cerrado la sesión."


def test_the_password_form_is_usable_with_the_keyboard_alone(page):
    sign_in(page, ADMIN, PASSWORD)
    page.goto("/account/password")
    page.get_by_label("Contraseña actual").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("short")
    page.keyboard.press("Tab")
    page.keyboard.type("short")
    page.keyboard.press("Enter")
    page.wait_for_selector("#e-new_password")
    assert "8" in page.locator("#e-new_password").inner_text()
    assert page.get_by_label("Contraseña nueva", exact=True).get_attribute("aria-invalid") == "true"


def test_an_expired_session_leads_back_to_sign_in_and_then_to_the_page(page, live_server):
    sign_in(page, USER, PASSWORD)
    Session.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    page.goto("/account/password")
    assert "/login?next=%2Faccount%2Fpassword" in page.url
    page.get_by_label("Usuario").fill(USER)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/account/password")


def test_a_post_from_another_site_is_refused(page, live_server):
    sign_in(page, USER, PASSWORD)
    # A page of another origin on the same host (so SameSite lets the cookie through: only the CSRF
    # token stops it) making the signed-in browser post the password form. Served by the test itself.
    evil = "http://127.0.0.1:9/evil"
    page.route(evil, lambda route: route.fulfill(content_type="text/html", body=(
        f'<form method="post" action="{live_server.url}/account/password">'
        '<input name="current_password" value="x"><input name="new_password" value="attacker-pass">'
        '<input name="new_password_again" value="attacker-pass"><button>go</button></form>')))
    page.goto(evil)
    page.get_by_role("button", name="go").click()
    page.wait_for_url("**/account/password")
    assert page.get_by_role("heading", level=1).inner_text() == "Este formulario ha caducado"


def test_on_a_phone_screen_the_menu_folds_and_opens(page):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, OPERATOR, PASSWORD)
    page.goto("/")
    menu = page.get_by_role("navigation", name="Menú principal")
    summary = menu.get_by_text("Menú", exact=True)
    assert summary.is_visible()
    assert not menu.get_by_role("link", name="Cambiar la contraseña").is_visible()
    summary.click()
    assert menu.get_by_role("link", name="Cambiar la contraseña").is_visible()


# --- a user's own space --------------------------------------------------------------------------

def test_a_forward_set_in_the_browser_is_what_the_dialplan_answers(page, live_server):
    from fs_plugins.config import Config
    from fs_plugins.models import User
    from tests.test_callhandling_dialplan import fields, serve, steps
    from xml_curl.app import make_app

    sign_in(page, USER, PASSWORD)
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Desvíos y no molestar").click()
    card = page.locator("#forward-no-answer")
    card.get_by_label("Desviar a").select_option(label="Otra extensión")
    card.get_by_label("Extensión, número o nombre").fill("1002")
    card.get_by_label("Sonar durante (segundos)").fill("15")
    card.get_by_role("button", name="Guardar").click()
    notice = page.locator("#notices .notice")
    notice.wait_for()
    assert "Si no contesto" in notice.inner_text() and "1002" in notice.inner_text()
    run = steps(serve(make_app(Config(), live_server.database), fields("acme.example.com", "1001")))
    bruno = User.get(User.extension == "1002", User.tenant == User.get(User.extension == "1001").tenant)
    assert ("set", "call_timeout=15") in run and run[-1] == ("transfer", f"pbx-user-{bruno.id} XML acme.example.com")


def test_a_wrong_forward_target_is_shown_next_to_the_field(page):
    sign_in(page, USER, PASSWORD)
    page.goto("/me/forwards")
    card = page.locator("#forward-busy")
    card.get_by_label("Desviar a").select_option(label="Otra extensión")
    card.get_by_label("Extensión, número o nombre").fill("4711")
    card.get_by_role("button", name="Guardar").click()
    error = page.locator("#e-busy-target")
    error.wait_for()
    assert error.inner_text().startswith("no hay ningún usuario") and "4711" in error.inner_text()  # Spanish
    assert page.locator("#f-busy-target").evaluate("e => document.activeElement === e")


CSV = "name,work,mobile\nProveedor S.A.,91 123 45 67,\nSin número,,\nCliente,,600 111 222\n"


def test_importing_contacts_shows_the_bad_line_before_storing_anything(page):
    from fs_plugins.models.contacts import Contact

    sign_in(page, USER, PASSWORD)
    page.goto("/me/contacts")
    page.get_by_role("button", name="Importar CSV").click()
    before = Contact.select().count()
    page.get_by_label("Archivo CSV").set_input_files(
        files=[{"name": "agenda.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.get_by_role("button", name="Comprobar el archivo").click()
    bad = page.get_by_role("table", name="Líneas con errores")
    assert bad.locator("tbody tr").count() == 1 and bad.locator("tbody td").first.inner_text() == "3"
    assert bad.locator("tbody td").last.inner_text().startswith("un contacto necesita al menos un número")
    assert Contact.select().count() == before
    page.get_by_role("button", name="Importar solo las líneas correctas").click()
    assert "Importado: 2 añadidos" in page.locator("#notices").inner_text()
    assert Contact.select().count() == before + 2
    assert page.get_by_role("cell", name="Cliente", exact=True).is_visible()


def test_the_call_log_filters_without_reloading_and_shows_the_colour_key(page):
    from fs_plugins.calllog.classify import Status
    from fs_plugins.models import User
    from fs_plugins.models.calllog import CallEntry

    ana = User.get(User.extension == "1001")
    for n, status in enumerate((Status.MISSED, Status.RECEIVED, Status.MADE, Status.DND)):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"browser-{n}", kind="made" if status == Status.MADE
                         else "received" if status == Status.RECEIVED else "missed", status=status.code,
                         direction="inbound", started_at=1764000000 + n, caller_name="X", caller_number="+34911234567",
                         callee="1001", answered_by="", ring_seconds=3, talk_seconds=0)
    sign_in(page, USER, PASSWORD)
    page.goto("/me/calls")
    page.get_by_label("Perdidas").check()
    page.wait_for_url("**type=missed**")
    rows = page.locator("table.calls tbody tr")
    classes = rows.evaluate_all("rows => rows.map(r => r.className)")
    assert {"status-missed", "status-dnd"} <= set(classes)
    assert set(classes) <= {"status-missed", "status-dnd", "status-rejected", "status-forwarded"}
    dot = page.locator("tr.status-missed .status-dot").first
    assert dot.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"  # #c62828, Perdido


def test_another_users_contact_is_a_404_page(page):
    from fs_plugins.models import User
    from fs_plugins.models.contacts import Contact

    ana = User.get(User.extension == "1001")
    mine = Contact.select().where(Contact.owner == ana).first()
    sign_in(page, RIVAL, PASSWORD)
    response = page.goto(f"/me/contacts/{mine.id}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Página no encontrada"


def test_a_voicemail_message_is_played_and_deleted(page, live_server):
    from fs_plugins.sim.voicemail import StoredMessage

    folder = live_server.folder / "voicemail" / "default" / "acme.example.com" / "1001"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "msg_b1.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    uuid = "b1b1b1b1-0000-4000-8000-000000000001"
    live_server.freeswitch.voicemail.leave("acme.example.com", "1001", StoredMessage(
        uuid, "Proveedor", "+34911234567", 12, str(folder / "msg_b1.wav")))
    sign_in(page, USER, PASSWORD)
    page.goto("/me/voicemail")
    page.screenshot(path="/tmp/i13-vm.png")
    audio = page.locator("audio[aria-label='Mensaje de Proveedor']")
    assert page.request.get(audio.get_attribute("src")).body().startswith(b"RIFF")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Eliminar el mensaje de Proveedor").click()
    page.locator("#notices .notice").wait_for()
    assert "Proveedor" in page.locator("#notices").inner_text()
    assert not (folder / "msg_b1.wav").exists()


# --- a customer's administration -----------------------------------------------------------------

def test_an_admin_creates_a_user_and_sees_the_sip_password_once(page):
    import hashlib

    from fs_plugins.models import User

    sign_in(page, ADMIN, PASSWORD)
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Usuarios").click()
    page.get_by_text("Nuevo usuario").click()
    page.get_by_label("Extensión", exact=True).fill("1077")
    page.get_by_label("Nombre", exact=True).fill("Eva Martín")
    page.get_by_role("button", name="Crear el usuario").click()
    password = page.locator("#sip-password").inner_text()
    assert "Usuario 1077 (Eva Martín) creado." in page.locator("#notices").inner_text()
    eva = User.get(User.extension == "1077")
    assert eva.a1_hash == hashlib.md5(f"1077:acme.example.com:{password}".encode()).hexdigest()
    page.goto("/t/acme.example.com/users")  # the list again: the password is not shown any more
    assert page.locator("#user-1077").is_visible() and page.locator("#sip-password").count() == 0


def test_another_customers_pages_are_404_for_an_admin(page):
    sign_in(page, ADMIN, PASSWORD)
    response = page.goto("/t/rival-secret.example.net/users")
    assert response.status == 404 and "Rivalina" not in page.content()


def test_an_admin_gives_a_user_a_login_after_a_refusal_in_spanish_and_then_deletes_it(page):
    from fs_plugins.models.access import Login

    sign_in(page, ADMIN, PASSWORD)
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Accesos").click()
    page.get_by_text("Nuevo acceso").click()
    page.get_by_label("Usuario", exact=True).fill("bruno.browser@acme.example.com")
    page.get_by_label("Contraseña", exact=True).fill("bruno-first-pass")
    page.get_by_role("button", name="Crear el acceso").click()  # no extension: refused next to its field
    error = page.locator("#e-extension")
    assert error.inner_text() == "un acceso de usuario pertenece a un usuario: indique la extensión"
    page.get_by_label("Extensión del usuario").fill("1002")
    page.get_by_label("Contraseña", exact=True).fill("bruno-first-pass")
    page.get_by_role("button", name="Crear el acceso").click()
    assert "Acceso bruno.browser@acme.example.com creado" in page.locator("#notices").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Eliminar bruno.browser@acme.example.com").click()
    page.wait_for_selector("text=Acceso bruno.browser@acme.example.com eliminado.")
    assert not Login.select().where(Login.username == "bruno.browser@acme.example.com").exists()


# --- the operator --------------------------------------------------------------------------------

def test_the_operator_creates_a_customer_and_opens_its_administration(page):
    sign_in(page, OPERATOR, PASSWORD)
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Clientes").click()
    page.get_by_text("Nuevo cliente").click()
    page.get_by_label("Dominio SIP").fill("nueva.example.com")
    page.get_by_label("Nombre").fill("Nueva S.L.")
    page.get_by_role("button", name="Crear el cliente").click()
    assert "Cliente Nueva S.L. (nueva.example.com) creado." in page.locator("#notices").inner_text()
    page.get_by_role("row", name="Nueva S.L.").get_by_role("link", name="Administrar").click()
    page.wait_for_url("**/t/nueva.example.com/users")
    assert page.get_by_role("heading", level=1).inner_text() == "Usuarios"
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Estado del sistema").click()
    assert page.locator("ul.health li.ok").first.is_visible()  # the database answers


def test_the_seeds_ivr_is_built_through_its_tabs_and_an_error_opens_its_tab(page):
    sign_in(page, ADMIN, PASSWORD)
    page.goto("/t/acme.example.com/ivr/new")
    tabs = page.get_by_role("tablist", name="Partes del menú")
    assert tabs.get_by_role("tab").all_inner_texts() == ["General", "Gestión de los desvíos", "Gestión horaria",
                                                         "Mensaje de bienvenida opcional", "Teclas"]
    page.get_by_label("Nombre").fill("Recepción")
    page.get_by_label("Número corto").fill("5077")
    tabs.get_by_role("tab", name="General").press("ArrowRight")  # the keyboard moves between tabs
    assert page.get_by_label("Desvío", exact=True).is_visible() and not page.get_by_label("Nombre").is_visible()
    page.get_by_label("Desvío", exact=True).select_option("forward")
    page.get_by_role("button", name="Guardar el menú").click()
    error = page.locator("#e-forward_to")
    assert error.is_visible() and page.locator("#f-forward_to").evaluate("e => document.activeElement === e")
    page.get_by_label("Desvío", exact=True).select_option("none")
    tabs.get_by_role("tab", name="Teclas").click()
    page.get_by_label("Tecla 1", exact=True).fill("user:1002")
    page.get_by_role("button", name="Guardar el menú").click()
    page.wait_for_url("**/ivr/*?saved=1")
    assert "Menú IVR Recepción guardado." in page.locator("#notices").inner_text()


def test_the_voice_recording_pop_up_asks_for_a_file_name_and_a_number(page):
    sign_in(page, ADMIN, PASSWORD)
    page.goto("/t/acme.example.com/audio")
    page.get_by_role("button", name="Grabación de voz").click()
    dialog = page.get_by_role("dialog", name="Grabación de voz")
    assert dialog.is_visible()
    assert dialog.get_by_label("Nombre del archivo").is_visible() and dialog.get_by_label("Número al que llamar").is_visible()
    dialog.get_by_role("button", name="Cancelar").click()
    assert not dialog.is_visible()


def test_recording_by_phone_from_the_pop_up_calls_the_phone_through_the_event_socket(page, live_server):
    """The pop-up's journey to the end, against the emulated FreeSWITCH (its inbound event socket takes
    the originate, calls back the recording session, and the phone speaks, presses # and then 3)."""
    from playwright.sync_api import expect

    from fs_plugins.models.audio import AudioFile
    from fs_plugins.sim.script import CallerScript

    live_server.freeswitch.scripts["user/1002@acme.example.com"] = CallerScript(dtmf=[(1.5, "#")], digits=["3"])
    # The request answers at once; the dialog follows the job (htmx polls) through the call.
    status = _ask_to_record_by_phone(page, "Vacaciones", "1002")
    expect(status).to_contain_text("Llamando a 1002")
    dialog = page.get_by_role("dialog", name="Grabación de voz")  # while the call goes on (the phone waits 1.5 s):
    assert dialog.get_by_role("button", name="Cancelar").is_visible()
    assert not dialog.get_by_role("button", name="Llamarme").is_visible()  # asking again would be refused
    assert not dialog.get_by_label("Número al que llamar").is_visible()
    expect(page.locator("#notices")).to_contain_text("Vacaciones grabado por teléfono", timeout=20000)
    assert AudioFile.get(AudioFile.name == "Vacaciones").source == "recording"
    assert live_server.freeswitch.report.originated[-1][0] == "user/1002@acme.example.com"
    assert page.locator("audio").count() >= 1  # the new message can be listened to on the page


def _ask_to_record_by_phone(page, name: str, number: str):
    """The administrator asks, from the audio library's "Grabación de voz" pop-up, to be called at
    `number` to record `name`; the pop-up's status line, which follows the job."""
    sign_in(page, ADMIN, PASSWORD)
    page.goto("/t/acme.example.com/audio")
    page.get_by_role("button", name="Grabación de voz").click()
    dialog = page.get_by_role("dialog", name="Grabación de voz")
    dialog.get_by_label("Nombre del archivo").fill(name)
    dialog.get_by_label("Número al que llamar").fill(number)
    dialog.get_by_role("button", name="Llamarme").click()
    return dialog.get_by_role("status")


def test_a_recording_by_phone_that_fails_says_why_in_the_pop_up(page, live_server):
    from playwright.sync_api import expect

    live_server.freeswitch.outcomes["user/1001@acme.example.com"] = "USER_BUSY"
    status = _ask_to_record_by_phone(page, "Fallida", "1001")
    expect(status).to_contain_text("La grabación Fallida ha fallado: no se pudo llamar a", timeout=20000)
    expect(status).to_contain_text("USER_BUSY")
    expect(page.get_by_role("dialog", name="Grabación de voz").get_by_role("button", name="Llamarme")).to_be_visible()
