"""A customer's administrator gives people their portal logins (the page the API's
/tenants/{domain}/logins has): list, create one for a user, a new password, disable and enable,
delete; in Spanish and English; and never another customer's logins."""
from __future__ import annotations

import re

import pytest

from fs_plugins.models.access import Login
from fs_plugins.models.audit import AuditEntry
from tests.api_world import OTHER, OWN, PASSWORD, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, OPERATOR, RIVAL, USER, Browser, browser, portal_app, world  # noqa: F401

LOGINS = f"/t/{OWN}/logins"
NEW = "bruno@acme.example.com"
FIRST, SECOND = "first-pass-123", "second-pass-456"


def _signs_in(username: str, password: str) -> bool:
    response = Browser(portal_app()).submit("/login", {"username": username, "password": password})
    return response.status_code == 302


def _create(browser, **form):
    return browser.submit(LOGINS, {"username": NEW, "role": "user", "extension": "1002", "password": FIRST, **form})


def _usernames(html: str) -> list[str]:
    return re.findall(r'<tr id="login-\d+"[^>]*>\s*<td>([^<]+)</td>', html)


def test_the_admin_sees_the_logins_of_their_customer_only(browser):
    browser.sign_in(ADMIN)
    html = browser.get(LOGINS).data.decode()
    assert sorted(_usernames(html)) == sorted([USER, ADMIN, f"people@{OWN}"])
    assert RIVAL not in html and OPERATOR not in html and "Accesos" in html
    assert f'href="{LOGINS}"' in browser.get("/").data.decode()  # in the menu


def test_a_login_created_for_a_user_signs_in_and_its_password_is_never_shown_or_audited(browser):
    browser.sign_in(ADMIN)
    response = _create(browser)
    html = response.data.decode()
    assert response.status_code == 200 and f"Acceso {NEW} creado" in html and NEW in _usernames(html)
    assert FIRST not in html
    row = Login.get(Login.username == NEW)
    assert (row.role, row.user.extension, row.tenant.domain) == ("user", "1002", OWN)
    entry = AuditEntry.get(AuditEntry.action == "login.create")
    assert entry.actor == f"login {ADMIN}" and FIRST not in (entry.detail or "")
    assert _signs_in(NEW, FIRST)


@pytest.mark.parametrize("form, field, spanish", [
    ({"extension": ""}, "extension", "un acceso de usuario pertenece a un usuario: indique la extensión"),
    ({"username": USER}, "username", f"{USER} ya es un acceso"),
    ({"password": "short"}, "password", "debe tener al menos"),
    ({"extension": "4711"}, "extension", "4711"),
])
def test_a_bad_new_login_is_refused_in_spanish_next_to_its_field_and_nothing_is_created(browser, form, field,
                                                                                          spanish):
    browser.sign_in(ADMIN)
    before = Login.select().count()
    response = _create(browser, **form)
    error = re.search(rf'<small id="e-{field}" class="field-error">([^<]*)</small>', response.data.decode())
    assert response.status_code == 422 and error and spanish in error.group(1).replace("&#39;", "'")
    assert Login.select().count() == before


def test_a_new_password_replaces_the_old_one_and_ends_the_persons_sessions(browser):
    browser.sign_in(ADMIN)
    _create(browser)
    person = Browser(portal_app())
    person.sign_in(NEW, FIRST)
    refused = browser.submit(LOGINS, {"password": "short"}, action=f"{LOGINS}/{NEW}/password")
    assert refused.status_code == 422 and "debe tener al menos" in refused.data.decode()
    done = browser.submit(LOGINS, {"password": SECOND}, action=f"{LOGINS}/{NEW}/password")
    assert done.status_code == 200 and f"Contraseña nueva para {NEW}" in done.data.decode()
    assert not _signs_in(NEW, FIRST) and _signs_in(NEW, SECOND)
    assert "/login" in person.get("/me/forwards").headers.get("Location", "")  # signed out


def test_a_disabled_login_cannot_sign_in_until_it_is_enabled_again(browser):
    browser.sign_in(ADMIN)
    _create(browser)
    html = browser.submit(LOGINS, {"enabled": "no"}, action=f"{LOGINS}/{NEW}/enabled").data.decode()
    assert f"Acceso {NEW} desactivado" in html and not Login.get(Login.username == NEW).enabled
    assert not _signs_in(NEW, FIRST)
    browser.submit(LOGINS, {"enabled": "yes"}, action=f"{LOGINS}/{NEW}/enabled")
    assert _signs_in(NEW, FIRST)


def test_a_deleted_login_is_gone(browser):
    browser.sign_in(ADMIN)
    _create(browser)
    html = browser.submit(LOGINS, {}, action=f"{LOGINS}/{NEW}/delete").data.decode()
    assert f"Acceso {NEW} eliminado" in html and NEW not in _usernames(html)
    assert not Login.select().where(Login.username == NEW).exists() and not _signs_in(NEW, FIRST)


@pytest.mark.parametrize("action", ["password", "enabled", "delete"])
def test_another_customers_login_is_not_found_and_left_as_it_was(browser, action):
    browser.sign_in(ADMIN)
    before = Login.get(Login.username == RIVAL)
    response = browser.submit(LOGINS, {"password": SECOND, "enabled": "no"}, action=f"{LOGINS}/{RIVAL}/{action}")
    assert response.status_code == 404
    after = Login.get(Login.username == RIVAL)
    assert (after.password_hash, after.enabled) == (before.password_hash, before.enabled)


def test_another_customers_logins_page_is_404_and_a_user_has_no_logins_page(world):
    admin = Browser(portal_app())
    admin.sign_in(ADMIN)
    assert admin.get(f"/t/{OTHER}/logins").status_code == 404
    user = Browser(portal_app())
    user.sign_in(USER)
    assert user.get(LOGINS).status_code in (403, 404) and "Accesos" not in user.get("/").data.decode()


def test_the_operator_reaches_a_customers_logins(world):
    operator = Browser(portal_app())
    operator.sign_in(OPERATOR)
    assert sorted(_usernames(operator.get(f"/t/{OTHER}/logins").data.decode())) == sorted([RIVAL, f"people@{OTHER}"])


def test_the_logins_page_in_english(browser):
    browser.sign_in(ADMIN)
    browser.submit("/", {"language": "en", "next": "/"}, action="/language")
    html = _create(browser, extension="").data.decode()
    assert "<h1>Logins</h1>" in html and "a user login belongs to a user: give the extension" in html
