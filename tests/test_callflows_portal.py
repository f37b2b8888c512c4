"""The customer's call flows page in the portal: what the operator allows (with each flow's
settings), the routes, attaching one (errors next to their field) and removing one."""
from __future__ import annotations

import json

import pytest

from fs_plugins.config import Config
from fs_plugins.models.callflows import FlowGrant, FlowRoute
from tests.api_world import FLOWS_DIR, OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, OPERATOR, USER, Browser, csrf_of, portal_app, world  # noqa: F401
from tests.provision import find_tenant

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
    # the customer's page is in Spanish; the pattern's wording comes from the flow's own settings schema
    assert "pin: debe ser 4 to 12 digits" in refused.data.decode()
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
    assert refused.status_code == 422 and "tries: debe ser como mucho 5" in refused.data.decode()
    done = browser.submit(PAGE, {"settings": "tries=2\nprompt=", "fallback": "user:1001"}, action=f"{PAGE}/ana_line")
    assert done.status_code == 200, done.data.decode()[:300]
    route = FlowRoute.get(FlowRoute.name == "ana_line")
    assert '"tries": 2' in route.settings and str(route.fallback).startswith("user:")
    assert 'value="user:1001"' in done.data.decode()


# ---- the operator's page: which flows a customer may use ---------------------------------------

OPERATOR_PAGE = f"/operator/tenants/{OWN}/flows"


def _grant(flow: str):
    return FlowGrant.get_or_none(FlowGrant.tenant == find_tenant(OWN), FlowGrant.flow == flow)


def test_the_operator_enables_a_flow_for_a_customer_and_a_bad_setting_names_itself(browser):
    browser.sign_in(OPERATOR)
    html = browser.get(OPERATOR_PAGE, headers={"Accept-Language": "en"}).data.decode()
    assert "crm_router" in html and "Enable crm_router" in html and "Change the settings of pin_line" in html
    refused = browser.submit(OPERATOR_PAGE, {"flow": "crm_router", "settings": "crm_url=ftp://crm.example/"})
    assert refused.status_code == 422 and "crm_url: " in refused.data.decode() and _grant("crm_router") is None
    done = browser.submit(OPERATOR_PAGE, {"flow": "crm_router", "settings": "crm_url=https://crm.example/lookup"})
    assert done.status_code == 200, done.data.decode()[:300]
    assert json.loads(_grant("crm_router").settings) == {"crm_url": "https://crm.example/lookup"}
    assert "crm_url=https://crm.example/lookup" in done.data.decode()
    log = browser.get("/operator/audit").data.decode()
    assert "flow.enable" in log


def test_the_operator_changes_a_customers_flow_settings_and_disables_it(browser):
    browser.sign_in(OPERATOR)
    changed = browser.submit(OPERATOR_PAGE, {"settings": "tries=2"}, action=f"{OPERATOR_PAGE}/pin_line")
    assert changed.status_code == 200 and json.loads(_grant("pin_line").settings) == {"tries": 2}
    refused = browser.submit(OPERATOR_PAGE, {"settings": "tries=9"}, action=f"{OPERATOR_PAGE}/pin_line",
                             headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "tries: must be at most 5" in refused.data.decode()
    browser.submit(OPERATOR_PAGE, {"settings": "tries="}, action=f"{OPERATOR_PAGE}/pin_line")
    assert json.loads(_grant("pin_line").settings) == {}
    disabled = browser.submit(OPERATOR_PAGE, {}, action=f"{OPERATOR_PAGE}/pin_line/delete")
    assert disabled.status_code == 200 and _grant("pin_line") is None
    assert FlowRoute.select().where(FlowRoute.name == "ana_line").exists()  # its routes now go to the fallback


def test_the_operators_page_reads_in_spanish_and_is_linked_from_the_customers(browser):
    browser.sign_in(OPERATOR)
    html = browser.get(OPERATOR_PAGE, headers={"Accept-Language": "es"}).data.decode()
    assert "Flujos de llamada de Acme S.L." in html and "Habilitar crm_router" in html
    assert OPERATOR_PAGE in browser.get("/operator/tenants").data.decode()


def test_a_customers_admin_neither_sees_nor_uses_the_operators_page(browser):
    browser.sign_in(ADMIN)
    assert browser.get(OPERATOR_PAGE).status_code in (403, 404)
    token = csrf_of(browser.get(PAGE).data)
    posted = browser.client.post(OPERATOR_PAGE, data={"csrf_token": token, "flow": "crm_router",
                                                      "settings": "crm_url=https://evil.example/"})
    assert posted.status_code in (403, 404) and _grant("crm_router") is None
    assert OPERATOR_PAGE not in browser.get(PAGE).data.decode()
