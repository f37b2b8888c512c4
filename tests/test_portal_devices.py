"""Desk phones in the portal: the customer's administrator adds one (its password shown once, on the
page that added it), sees the list, is told a refused MAC next to the field, removes it; users and
other customers do not reach the page (404)."""
from __future__ import annotations

import re

from fs_plugins.models.provisioning import Device
from tests.api_world import OTHER, OWN
from tests.portal_world import ADMIN, Browser, browser, portal_app, world  # noqa: F401 (fixtures)
from tests.api_world import cheap_argon2  # noqa: F401


def test_the_admin_adds_a_phone_sees_its_password_once_and_removes_it(browser, world):
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/devices"
    shown = browser.get(page).get_data(as_text=True)
    assert "Teléfonos de sobremesa" in shown and world.own.mac in shown
    added = browser.submit(page, {"mac": "00:04:13:AA:BB:CC", "vendor": "snom", "user": "1001", "blf": "1002"})
    text = added.get_data(as_text=True)
    assert added.status_code == 200 and "000413aabbcc" in text
    secret = re.search(r"Contraseña \(solo se muestra ahora\)</dt><dd><code>([^<]+)</code>", text).group(1)
    assert secret not in browser.get(page).get_data(as_text=True)
    refused = browser.submit(page, {"mac": "not-a-mac", "vendor": "snom", "user": "1002"})
    assert refused.status_code == 422 and 'id="e-mac"' in refused.get_data(as_text=True)
    gone = browser.submit(page, {}, action=f"{page}/000413aabbcc/delete")
    assert gone.status_code == 200 and not Device.select().where(Device.mac == "000413aabbcc").exists()


def test_users_and_other_customers_do_not_reach_the_phones_page(browser, world):
    browser.sign_in()
    assert browser.get(f"/t/{OWN}/devices").status_code == 404
    admin = Browser(portal_app())
    admin.sign_in(ADMIN)
    assert admin.get(f"/t/{OTHER}/devices").status_code == 404
    foreign = f"/t/{OTHER}/devices/{world.other.mac}/delete"
    assert admin.submit(f"/t/{OWN}/devices", {}, action=foreign).status_code == 404
    assert Device.select().where(Device.mac == world.other.mac).exists()


def test_the_admin_changes_a_phones_keys_and_a_refused_key_is_named_with_nothing_stored(browser, world):
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/devices"
    action = f"{page}/{world.own.mac}/keys"
    changed = browser.submit(page, {"mac": world.own.mac, "blf": "1001", "general_mwi": "yes"}, action=action)
    assert changed.status_code == 200 and "sus teclas cambian" in changed.get_data(as_text=True)
    row = Device.get(Device.mac == world.own.mac)
    assert (row.blf, row.general_mwi) == ("1001", True)
    refused = browser.submit(page, {"mac": world.own.mac, "blf": "2001"}, action=action)
    assert refused.status_code == 422 and f'id="e-blf-{world.own.mac}"' in refused.get_data(as_text=True)
    row = Device.get(Device.mac == world.own.mac)
    assert (row.blf, row.general_mwi) == ("1001", True)
    foreign = f"/t/{OTHER}/devices/{world.other.mac}/keys"
    assert browser.submit(page, {"blf": ""}, action=foreign).status_code == 404


def _errors_in(html: str) -> dict[str, list[str]]:
    """The ids of the field errors shown in each form: the add form, and each phone's keys form."""
    forms = re.findall(r'<form method="post" action="([^"]+)"(.*?)</form>', html, re.S)
    return {action: re.findall(r'<small id="(e-[^"]+)" class="field-error">', body) for action, body in forms}


def test_a_refused_key_change_is_shown_in_that_phones_form_only_not_in_the_add_form(browser, world):
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/devices"
    action = f"{page}/{world.own.mac}/keys"
    refused = browser.submit(page, {"mac": world.own.mac, "blf": "2001"}, action=action)
    errors = _errors_in(refused.get_data(as_text=True))
    assert refused.status_code == 422 and errors[action] == [f"e-blf-{world.own.mac}"]
    assert errors[page] == []  # the add form: no error, and not filled with the phone's values
    add_form = re.search(r'<form method="post" action="%s"(.*?)</form>' % re.escape(page),
                         refused.get_data(as_text=True), re.S).group(1)
    assert 'name="mac" type="text" value=""' in add_form and 'value="2001"' not in add_form


def test_a_refused_new_phone_is_shown_in_the_add_form_only_even_with_an_existing_phones_mac(browser, world):
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/devices"
    refused = browser.submit(page, {"mac": world.own.mac, "vendor": "snom", "user": "1002", "blf": "2001"})
    errors = _errors_in(refused.get_data(as_text=True))
    assert refused.status_code == 422 and errors[page], errors
    assert all(not shown for action, shown in errors.items() if action != page), errors


def test_the_admin_gives_a_phone_to_another_user_sees_its_new_password_once_and_a_taken_user_is_named(browser,
                                                                                                     world):
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/devices"
    mac = world.own.mac
    action = f"{page}/{mac}/keys"
    moved = browser.submit(page, {"mac": mac, "user": "1001", "vendor": "snom", "blf": ""}, action=action)
    text = moved.get_data(as_text=True)
    assert moved.status_code == 200 and "es ahora del usuario 1001" in text
    secret = re.search(r"Contraseña \(solo se muestra ahora\)</dt><dd><code>([^<]+)</code>", text).group(1)
    assert secret not in browser.get(page).get_data(as_text=True)
    row = Device.get(Device.mac == mac)
    assert (row.user.extension, row.vendor) == ("1001", "snom")
    assert browser.submit(page, {"mac": "00:04:13:AA:BB:CC", "vendor": "snom", "user": "1002"}).status_code == 200
    taken = browser.submit(page, {"mac": "000413aabbcc", "user": "1001", "vendor": "snom", "blf": ""},
                           action=f"{page}/000413aabbcc/keys")
    assert taken.status_code == 422 and 'id="e-user-000413aabbcc"' in taken.get_data(as_text=True)
    assert Device.get(Device.mac == "000413aabbcc").user.extension == "1002"
