"""The operator's pages: customers, the audit log, the system's health; nobody else reaches them."""
from __future__ import annotations

import re

import pytest

from fs_plugins.config import Config
from fs_plugins.models import Tenant
from fs_plugins.portal.app import make_portal_app
from fs_plugins.sim.inbound import InboundEmulator
from tests.api_world import cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, OPERATOR, USER, Browser, browser, world  # noqa: F401


def test_the_operator_creates_a_customer_and_it_is_in_the_audit_log(browser):
    browser.sign_in(OPERATOR)
    done = browser.submit("/operator/tenants", {"domain": "nueva.example.com", "name": "Nueva S.L.",
                                                 "timezone": "Europe/Madrid", "language": "es", "country": "ES",
                                                 "region": "MD"})
    assert done.status_code == 200 and Tenant.get(Tenant.domain == "nueva.example.com").name == "Nueva S.L."
    assert "/t/nueva.example.com/users" in done.data.decode()
    log = browser.get("/operator/audit").data.decode()
    assert "tenant.create" in log and f"login {OPERATOR}" in log


@pytest.mark.parametrize("form, field", [
    ({"domain": "acme.example.com", "name": "Otra"}, "domain"),
    ({"domain": "not a domain", "name": "Otra"}, "domain"),
    ({"domain": "otra.example.com", "name": "Otra", "timezone": "Mars/Olympus"}, "timezone"),
])
def test_a_bad_customer_is_refused_naming_the_field(browser, form, field):
    browser.sign_in(OPERATOR)
    before = Tenant.select().count()
    values = {"timezone": "Europe/Madrid", "language": "es", "country": "ES", "region": "", **form}
    response = browser.submit("/operator/tenants", values)
    assert response.status_code == 422 and f'id="e-{field}"' in response.data.decode()
    assert Tenant.select().count() == before


def test_only_the_operator_reaches_the_operator_pages(browser):
    for who in (ADMIN, USER):
        person = Browser(browser.app)
        person.sign_in(who)
        for path in ("/operator/tenants", "/operator/audit", "/operator/health"):
            assert person.get(path).status_code == 404


def test_health_says_what_is_down_and_counts_the_cdr_files_waiting(world, tmp_path):
    (tmp_path / "a.cdr.json").write_text("{}")
    (tmp_path / "b.cdr.json").write_text("{}")
    browser = Browser(make_portal_app(Config().replace(fs_event_socket_port=1, cdr_sweep_dir=str(tmp_path))))
    browser.sign_in(OPERATOR)
    html = browser.get("/operator/health").data.decode()
    items = re.findall(r'<li class="(ok|problem)"><strong>([^<]+)</strong>', html)
    assert [state for state, _ in items] == ["ok", "problem", "problem"]
    assert "2 " in html.split("CDR")[-1]


def test_health_sees_a_reachable_freeswitch(world):
    emulator = InboundEmulator()
    emulator.start()
    try:
        host, port = emulator.address
        browser = Browser(make_portal_app(Config().replace(fs_event_socket_host=host, fs_event_socket_port=port)))
        browser.sign_in(OPERATOR)
        html = browser.get("/operator/health").data.decode()
    finally:
        emulator.stop()
    assert re.findall(r'<li class="(ok|problem)">', html) == ["ok", "ok", "ok"]


def test_an_api_key_is_shown_once_works_and_is_revoked(browser):
    from fs_plugins.access import apikeys
    from fs_plugins.access.logins import AuthFailed
    from fs_plugins.models.access import ApiKey

    browser.sign_in(OPERATOR)
    done = browser.submit("/operator/keys", {"name": "panel", "role": "tenant-admin", "tenant": "acme.example.com",
                                             "extension": ""})
    key = re.search(r'<code class="secret" id="api-key">([^<]+)</code>', done.data.decode()).group(1)
    assert apikeys.authenticate(key, "127.0.0.1").tenant_domain == "acme.example.com"
    assert key not in browser.get("/operator/keys").data.decode()
    prefix = ApiKey.get(ApiKey.name == "panel").prefix
    browser.submit("/operator/keys", {}, action=f"/operator/keys/{prefix}/revoke")
    with pytest.raises(AuthFailed):
        apikeys.authenticate(key, "127.0.0.1")


@pytest.mark.parametrize("form, field", [
    ({"name": "x", "role": "tenant-admin", "tenant": "nobody.example", "extension": ""}, "tenant"),
    ({"name": "x", "role": "tenant-admin", "tenant": "", "extension": ""}, "tenant"),
    ({"name": "x", "role": "user", "tenant": "acme.example.com", "extension": ""}, "extension"),
])
def test_a_bad_key_is_refused_naming_the_field(browser, form, field):
    from fs_plugins.models.access import ApiKey

    browser.sign_in(OPERATOR)
    before = ApiKey.select().count()
    response = browser.submit("/operator/keys", form)
    assert response.status_code == 422 and f'id="e-{field}"' in response.data.decode()
    assert ApiKey.select().count() == before


def test_the_operator_suspends_a_customer_whose_users_then_cannot_register_and_resumes_it(browser, db):
    from xml_curl.lookups import Lookups

    browser.sign_in(OPERATOR)
    done = browser.submit("/operator/tenants", {"action": "suspend"},
                          action="/operator/tenants/acme.example.com/suspension")
    html = done.data.decode()
    assert done.status_code == 200 and "sus teléfonos, números, accesos y claves de API quedan rechazados" in html
    assert Tenant.get(Tenant.domain == "acme.example.com").suspended and 'value="resume"' in html
    assert Lookups(db).user("acme.example.com", "1001") is None  # the directory: not found
    assert Lookups(db).user("rival-secret.example.net", "2001") is not None  # others untouched
    resumed = browser.submit("/operator/tenants", {"action": "resume"},
                             action="/operator/tenants/acme.example.com/suspension")
    assert "Cliente Acme S.L. reactivado." in resumed.data.decode()
    assert Lookups(db).user("acme.example.com", "1001") is not None


def test_a_customers_admin_cannot_suspend_it(browser):
    browser.sign_in(ADMIN)
    refused = browser.submit("/t/acme.example.com/users", {"action": "suspend"},
                             action="/operator/tenants/acme.example.com/suspension")
    assert refused.status_code in (403, 404) and not Tenant.get(Tenant.domain == "acme.example.com").suspended


def test_health_names_a_failing_database_in_the_pages_language(world, monkeypatch):
    from fs_plugins.portal.views import operator

    browser = Browser(make_portal_app(Config().replace(fs_event_socket_port=1)))
    browser.sign_in(OPERATOR)

    class Unreachable:
        def execute_sql(self, *_args, **_kwargs):
            raise RuntimeError("connection to server failed")

    monkeypatch.setattr(operator, "database", Unreachable())  # (the page's own probe only: sessions still work)
    html = browser.get("/operator/health").data.decode()
    assert "no responde: connection to server failed" in html  # the driver's own words kept as the detail
