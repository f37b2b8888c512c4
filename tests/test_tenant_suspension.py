"""Issue 16 [13]: a suspended customer is refused everywhere, on each backend, and resuming restores it.

The dialplan is asked with the request bodies a real FreeSWITCH sent (tests/fixtures/freeswitch), the
ESL flows through the emulator, sign-in and keys through the portal and the REST API."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config
from fs_plugins.core import app as core
from fs_plugins.errors import InvalidInput
from fs_plugins.esl.server import EslServer
from fs_plugins.models import Tenant
from fs_plugins.models.access import Login, Session
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
from fs_plugins.suspension import Suspension
from tests import provision
from tests.api_world import OTHER, OWN, PASSWORD, api_client
from tests.flows import installed_flows
from tests.portal_world import ADMIN, OPERATOR, RIVAL, USER, Browser, portal_app, world  # noqa: F401
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.test_xml_curl import actions, app, exchanges, pbx, post, recorded  # noqa: F401  (fixtures)
from xml_curl.app import make_app

DID_CALL = "08_inbound_did_public_then_tenant.json"  # the carrier's call to +15550001002 (acme), then acme's
USER_CALL = "04_invite_sip_auth_dialplan_user_call.json"  # acme's 1001 calling 1002


def suspend(domain: str, suspended: bool = True):
    return core.suspend_tenant(provision.OPERATOR, domain, suspended)


# --- the dialplan, asked with FreeSWITCH's own request bodies ---------------------------------

def test_a_suspended_tenants_did_is_rejected_with_a_clean_cause_and_routes_again_once_resumed(app):
    routed = actions(recorded(app, DID_CALL, 0))
    suspend("acme.example")
    doc = recorded(app, DID_CALL, 0)
    assert doc.xpath("//context/@name") == ["public"]
    # Kept under its tenant for the call log, then refused: nothing of acme's dialplan runs.
    assert actions(doc) == [("set", "pbx_tenant=acme.example"), ("set", "pbx_call_type=inbound"),
                            ("hangup", "CALL_REJECTED")]
    suspend("acme.example", False)
    assert actions(recorded(app, DID_CALL, 0)) == routed == [
        ("set", "pbx_tenant=acme.example"), ("set", "pbx_call_type=inbound"), ("transfer", "1002 XML acme.example")]


def test_every_call_in_a_suspended_tenants_context_is_rejected_and_no_other_tenant_is_touched(app):
    suspend("acme.example")
    for name, index in ((USER_CALL, 1), (DID_CALL, 1)):  # a user's call, and the DID's second fetch
        doc = recorded(app, name, index)
        assert doc.xpath("//context/@name") == ["acme.example"] and doc.xpath("//extension/@name") == ["suspended"]
        steps = actions(doc)
        assert steps[-1] == ("hangup", "CALL_REJECTED")
        assert not [step for step in steps if step[0] in ("bridge", "transfer", "socket", "answer")]
    fields = dict(exchanges(USER_CALL)[1]["request"]["fields"])
    fields.update({"Hunt-Context": "globex.example", "Caller-Context": "globex.example"})
    assert ("bridge", "user/1002@globex.example") in actions(post(app, fields))
    suspend("acme.example", False)
    assert ("bridge", "user/1002@acme.example") in actions(recorded(app, USER_CALL, 1))


def test_a_suspended_tenants_failover_context_is_rejected_too(app, pbx):
    acme, _ = pbx
    bob = provision.find_user(acme, "1002")
    fields = dict(exchanges(USER_CALL)[1]["request"]["fields"])
    context = f"pbx-failover.{bob.id}.acme.example"
    fields.update({"Hunt-Context": context, "Caller-Context": context, "Hunt-Destination-Number": "USER_BUSY"})
    assert actions(post(app, fields))[-1] != ("hangup", "CALL_REJECTED")
    suspend("acme.example")
    assert actions(post(app, fields))[-1] == ("hangup", "CALL_REJECTED")


def test_the_configured_announcement_plays_as_early_media_in_the_tenants_voice_before_the_cause(db, pbx):
    config = Config(suspended_cause="DESTINATION_OUT_OF_ORDER", suspended_announcement="ivr/ivr-not_available.wav")
    handler = make_app(config, db)
    suspend("acme.example")
    steps = actions(recorded(handler, DID_CALL, 0))
    # pre_answer: the caller hears it without the call being answered (a carrier bills nothing).
    assert steps[-3:] == [("pre_answer", ""),
                          ("playback", "/usr/share/freeswitch/sounds/en/us/callie/ivr/ivr-not_available.wav"),
                          ("hangup", "DESTINATION_OUT_OF_ORDER")]


@pytest.mark.parametrize("setting, value", [
    ("suspended_cause", "NOT_A_CAUSE"),
    ("suspended_cause", "CALL_REJECTED;hangup"),
    ("suspended_announcement", "${system rm -rf /}"),
    ("suspended_announcement", "ivr/a.wav\nhangup"),
    ("suspended_announcement", "../../etc/passwd"),
])
def test_a_bad_suspension_setting_is_refused_naming_it(setting, value):
    with pytest.raises(InvalidInput) as refused:
        Suspension.from_config(Config().replace(**{setting: value}))
    assert refused.value.field == setting


# --- the ESL flows ---------------------------------------------------------------------------

def ivr_call(menu_id: int, domain: str):
    server = EslServer(Config(esl_port=0), installed_flows())
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "ivr", "pbx_flow_object": str(menu_id), "pbx_tenant": domain})
        return Emulator(server.address, setup, CallerScript(hangup_at=3), idle_timeout=2).run()
    finally:
        server.stop(timeout=1)


def test_a_suspended_tenants_esl_session_is_hung_up_unanswered_and_runs_its_flow_again_once_resumed(db):
    acme = provision.tenant("Acme", "acme.example")
    menu = provision.menu(acme, "Recepción", options={"1": "hangup:NORMAL_CLEARING"})
    suspend("acme.example")
    refused = ivr_call(menu.id, "acme.example")
    assert refused.hangup_cause == "CALL_REJECTED" and refused.answered_at is None and not refused.played
    assert not refused.handed_back
    suspend("acme.example", False)
    resumed = ivr_call(menu.id, "acme.example")
    assert resumed.answered_at is not None and resumed.played


# --- sign-in, sessions and API keys ------------------------------------------------------------

def test_a_suspended_tenants_logins_are_refused_with_a_clear_message_and_sign_in_again_once_resumed(world):
    browser = Browser(portal_app())
    suspend(OWN)
    refused = browser.submit("/login", {"username": USER, "password": PASSWORD})
    html = refused.data.decode()
    assert refused.status_code == 403 and "La cuenta de acme.example.com está suspendida" in html
    wrong = browser.submit("/login", {"username": USER, "password": "not the password"})
    assert wrong.status_code == 401 and "suspendida" not in wrong.data.decode()  # said only to who knows it
    Browser(portal_app()).sign_in(RIVAL)  # another tenant's people sign in as before
    Browser(portal_app()).sign_in(OPERATOR)
    suspend(OWN, False)
    browser.sign_in(USER)


def test_suspending_ends_the_open_sessions_of_that_tenant_only(world):
    ana, rival = Browser(portal_app()), Browser(portal_app())
    ana.sign_in(USER)
    rival.sign_in(RIVAL)
    assert ana.get("/me/forwards").status_code == 200
    suspend(OWN)
    gone = ana.get("/me/forwards")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/login")
    assert rival.get("/me/forwards").status_code == 200
    assert not Session.select().join(Login).where(Login.tenant == provision.find_tenant(OWN)).exists()
    assert Session.select().join(Login).where(Login.tenant == provision.find_tenant(OTHER)).exists()


def test_a_session_of_a_suspended_tenant_is_not_resumed_even_if_its_row_is_left(world):
    ana = Browser(portal_app())
    ana.sign_in(ADMIN)
    Tenant.update(suspended=True).where(Tenant.domain == OWN).execute()  # not through the app: no session deleted
    assert ana.get("/t/acme.example.com/users").status_code == 302


def test_a_suspended_tenants_api_keys_answer_403_saying_so_while_operator_keys_still_work(world):
    _, client = api_client()
    path = f"/api/v1/tenants/{OWN}/users"
    assert client.get(path, headers=world.headers("tenant-admin")).status_code == 200
    suspend(OWN)
    for role, where in (("tenant-admin", path), ("user", "/api/v1/me")):
        answer = client.get(where, headers=world.headers(role))
        assert answer.status_code == 403 and answer.content_type == "application/problem+json"
        body = answer.get_json()
        assert body["type"] == "urn:centralita:problem:tenant-suspended" and "acme.example.com is suspended" in body["detail"]
    assert client.get(path, headers=world.headers("operator")).status_code == 200  # the operator still manages it
    assert client.get(f"/api/v1/tenants/{OTHER}/users", headers=world.headers("operator")).status_code == 200
    signed = client.post("/api/v1/session", json={"username": ADMIN, "password": PASSWORD})
    assert signed.status_code == 403 and signed.get_json()["type"].endswith("tenant-suspended")
    suspend(OWN, False)
    assert client.get(path, headers=world.headers("tenant-admin")).status_code == 200
    assert client.post("/api/v1/session", json={"username": ADMIN, "password": PASSWORD}).status_code == 201
    described = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/tenants/{domain}/users"]["get"]
    assert "tenant-suspended" in described["responses"]["403"]["description"]  # the API's document says so
