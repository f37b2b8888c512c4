"""The portal in a real browser (Debian's chromium through Playwright): each space's main journeys,
isolation through the UI, CSRF and session expiry. See tests/browser_support.py for how it runs."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.models import utcnow
from fs_plugins.models.access import Session
from tests.api_world import PASSWORD
from tests.browser_support import chromium, live_server, page, sign_in  # noqa: F401 (fixtures)
from tests.portal_world import ADMIN, OPERATOR, USER, portal_world


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
    assert "Cambiar la contraseña" in menu.inner_text()
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
