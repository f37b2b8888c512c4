"""The customer's call flows page in the portal: what the operator allows (with each flow's
settings), the routes, attaching one (errors next to their field) and removing one."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config
from fs_plugins.models.callflows import FlowRoute
from tests.api_world import FLOWS_DIR, OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, USER, Browser, portal_app, world  # noqa: F401

PAGE = f"/t/{OWN}/flows"


@pytest.fixture
def browser(world):
    return Browser(portal_app(Config(flows_dir=FLOWS_DIR)))


def test_the_admin_sees_the_allowed_flows_and_the_routes_with_secrets_hidden(browser):
    browser.sign_in(ADMIN)
    html = browser.get(PAGE).data.decode()
    assert "pin (secret, required): the PIN callers type, then #" in html
    assert "flow:ana_line" in html and "pin=(set)" in html and "1234" not in html
    assert "rivalina_line" not in html


def test_attaching_a_flow_routes_it_and_a_bad_setting_is_shown_next_to_the_settings(browser):
    browser.sign_in(ADMIN)
    refused = browser.submit(PAGE, {"flow": "pin_line", "name": "boss", "settings": "pin=12\ntarget=user:1001",
                                    "fallback": ""})
    assert refused.status_code == 422 and 'id="e-settings"' in refused.data.decode()
    assert "pin: must be 4 to 12 digits" in refused.data.decode()
    assert not FlowRoute.select().where(FlowRoute.name == "boss").exists()
    done = browser.submit(PAGE, {"flow": "pin_line", "name": "boss", "settings": "pin=4321\ntarget=user:1001",
                                 "fallback": "hangup:CALL_REJECTED"})
    assert done.status_code == 200 and "flow:boss" in done.data.decode()
    removed = browser.submit(PAGE, {}, action=f"{PAGE}/boss/delete")
    assert removed.status_code == 200 and not FlowRoute.select().where(FlowRoute.name == "boss").exists()


def test_a_user_and_another_tenants_admin_do_not_reach_the_page(browser):
    browser.sign_in(USER)
    assert browser.get(PAGE).status_code in (403, 404)
    assert browser.get(f"/t/{OTHER}/flows").status_code == 404


def test_a_routes_settings_and_fallback_are_changed_from_the_page(browser):
    browser.sign_in(ADMIN)
    page = browser.get(PAGE).data.decode()
    assert 'name="fallback" type="text" value="voicemail:"' in page  # as typed, not the stored id
    refused = browser.submit(PAGE, {"settings": "tries=9", "fallback": "voicemail:"}, action=f"{PAGE}/ana_line")
    assert refused.status_code == 422 and "tries: must be at most 5" in refused.data.decode()
    done = browser.submit(PAGE, {"settings": "tries=2\nprompt=", "fallback": "user:1001"}, action=f"{PAGE}/ana_line")
    assert done.status_code == 200, done.data.decode()[:300]
    route = FlowRoute.get(FlowRoute.name == "ana_line")
    assert '"tries": 2' in route.settings and str(route.fallback).startswith("user:")
    assert 'value="user:1001"' in done.data.decode()
