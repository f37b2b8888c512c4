"""The `flow` runner on a fake Channel: a flow that fails, hangs or overruns its budget ends in the
route's fallback (logged once with the call's uuid and the traceback); the session lets nothing
unchecked through to FreeSWITCH."""
from __future__ import annotations

import logging
import time

import gevent
import pytest

from fs_plugins.callflows import CallFlow, Setting
from fs_plugins.callflows.catalog import Available, Catalog
from fs_plugins.callflows.flow import custom_flow
from fs_plugins.callflows.loader import TenantFacts
from fs_plugins.callflows.records import Route
from fs_plugins.channel import CallGone, SessionInfo
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput, NotFound
from tests.fake_channel import FakeChannel

UUID = "3f1c-call"
TENANT = TenantFacts(1, "acme.example", "es", "Europe/Madrid", "ES")


def route(flow: str = "probe", fallback: Destination | None = None, enabled: bool = True, **settings) -> Route:
    return Route(7, 1, "acme.example", "probe_route", flow, settings, fallback, enabled)


def run(body, *, the_route: Route | None = None, budget: float = 5.0, settings=(), **channel) -> FakeChannel:
    flow = CallFlow("probe", body, settings=tuple(settings))
    the_route = the_route or route()
    runner = custom_flow(Catalog({"probe": Available(flow, "test")}), budget,
                         resolve=lambda tenant_id, text: Destination.parse(text.replace("user:1001", "user:17")),
                         load=lambda domain, route_id: (the_route, TENANT) if (domain, route_id) == ("acme.example", 7) else None)
    call = FakeChannel(SessionInfo(uuid=UUID, tenant="acme.example", flow="flow", flow_object="7",
                                   caller_number="+34600111222", destination="+34910000999"), **channel)
    runner(call, call.info)
    return call


def broken(session):
    session.answer()
    raise RuntimeError("the CRM client blew up")


def test_a_flow_that_raises_goes_to_the_fallback_and_is_logged_once_with_uuid_and_traceback(caplog):
    caplog.set_level(logging.ERROR)
    call = run(broken, the_route=route(fallback=Destination("user", "17")))
    assert call.transferred == ("pbx-user-17", "acme.example")
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert UUID in record.getMessage() and "'probe' failed" in record.getMessage()
    assert "the CRM client blew up" in caplog.text and "Traceback" in caplog.text


def test_without_a_fallback_of_its_own_a_failed_flow_goes_to_the_general_voicemail():
    assert run(broken).transferred == ("pbx-voicemail-", "acme.example")


def test_a_flow_that_sleeps_past_its_budget_goes_to_the_fallback_when_the_budget_ends(caplog):
    started = time.monotonic()
    call = run(lambda session: session.sleep(30), budget=0.2)
    assert call.transferred == ("pbx-voicemail-", "acme.example")
    assert time.monotonic() - started < 2
    assert "ran past its budget (0.2 s)" in caplog.text


def test_a_flow_that_catches_every_exception_still_cannot_outlive_its_budget():
    def stubborn(session):
        while True:
            try:
                gevent.sleep(0.05)
            except Exception:  # what careless code does; BudgetSpent is no Exception
                pass
    started = time.monotonic()
    assert run(stubborn, budget=0.2).transferred == ("pbx-voicemail-", "acme.example")
    assert time.monotonic() - started < 2


def test_time_waiting_for_the_caller_does_not_count_against_the_budget():
    def slow_caller(session):
        session.answer()
        session.collect("ivr/ivr-enter_number.wav")  # a real caller takes seconds here
        session.hangup()

    class SlowChannel(FakeChannel):
        def collect(self, *args, **kwargs):
            gevent.sleep(0.3)
            return super().collect(*args, **kwargs)

    flow = CallFlow("probe", slow_caller)
    runner = custom_flow(Catalog({"probe": Available(flow, "test")}), 0.2, resolve=None,
                         load=lambda domain, route_id: (route(), TENANT))
    call = SlowChannel(SessionInfo(uuid=UUID, tenant="acme.example", flow="flow", flow_object="7"), digits=["1"])
    runner(call, call.info)
    assert call.hung_up == "NORMAL_CLEARING" and call.transferred is None


def test_a_flow_that_returns_without_handing_the_call_on_hangs_up_normally():
    call = run(lambda session: session.answer())
    assert call.hung_up == "NORMAL_CLEARING" and call.transferred is None


def test_a_caller_hanging_up_ends_the_flow_without_a_fallback():
    def talkative(session):
        session.answer()
        session.play("ivr/ivr-welcome.wav")
    with pytest.raises(CallGone):
        run(talkative, hang_up_after=1)


def test_a_flow_no_longer_loaded_or_no_longer_allowed_sends_calls_to_the_fallback(caplog):
    assert run(broken, the_route=route(flow="gone")).transferred == ("pbx-voicemail-", "acme.example")
    assert "not loaded" in caplog.text
    call = run(broken, the_route=route(enabled=False, fallback=Destination("hangup", "USER_BUSY")))
    assert call.transferred == ("pbx-hangup-USER_BUSY", "acme.example") and not call.answered


def test_a_route_of_another_tenant_is_not_found_and_the_call_goes_back_to_the_dialplan():
    flow = CallFlow("probe", broken)
    runner = custom_flow(Catalog({"probe": Available(flow, "test")}), 5, resolve=None,
                         load=lambda domain, route_id: (route(), TENANT) if domain == "acme.example" else None)
    call = FakeChannel(SessionInfo(uuid=UUID, tenant="other.example", flow="flow", flow_object="7"))
    with pytest.raises(NotFound):
        runner(call, call.info)
    assert call.commands == []


def test_settings_come_from_the_route_then_the_default():
    seen = {}
    run(lambda session: seen.update(session.settings), the_route=route(times=3),
        settings=(Setting("times", "integer", default=1), Setting("greeting", default="hola")))
    assert seen == {"times": 3, "greeting": "hola"}


def test_the_session_transfers_to_destinations_resolved_in_the_tenant():
    call = run(lambda session: session.transfer("user:1001"))
    assert call.transferred == ("pbx-user-17", "acme.example") and call.hung_up is None


@pytest.mark.parametrize("sound", ["../../etc/passwd", "/etc/passwd", "x${api system id}.wav", "a b.wav",
                                   "tone:0", "ivr/x.wav\nhangup"])
def test_a_sound_that_is_no_sound_path_is_refused_before_anything_is_sent(sound, caplog):
    call = run(lambda session: session.play(sound))
    assert call.played == [] and call.transferred == ("pbx-voicemail-", "acme.example")
    assert "InvalidInput" in caplog.text


def test_flow_variables_live_in_their_own_namespace_and_their_values_are_neutralised():
    def setter(session):
        session.set_var("customer", "Ana ${api system rm -rf}\r\nx")
        session.set_var("api_hangup_hook", "system reboot")
        with pytest.raises(InvalidInput):
            session.set_var("Bad-Name", "x")
    call = run(setter)
    assert [argument for command, argument in call.commands if command == "set"] == [
        "pbx_fv_customer=Ana api system rm -rf x", "pbx_fv_api_hangup_hook=system reboot"]


def test_only_the_tenants_hangup_causes_are_accepted():
    call = run(lambda session: session.hangup("NORMAL_CLEARING&api system"))
    assert call.hung_up is None and call.transferred == ("pbx-voicemail-", "acme.example")


def test_the_session_tells_the_call_facts():
    seen = {}

    def facts(session):
        seen.update(caller=session.caller, dialled=session.dialled, domain=session.domain, language=session.language,
                    zone=str(session.now().tzinfo), route=session.route, flow=session.flow, uuid=session.uuid)
    run(facts)
    assert seen == {"caller": "+34600111222", "dialled": "+34910000999", "domain": "acme.example",
                    "language": "es", "zone": "Europe/Madrid", "route": "probe_route", "flow": "probe", "uuid": UUID}


def test_a_stored_destination_the_flow_can_no_longer_read_sends_the_call_to_the_fallback(caplog):
    call = run(lambda session: session.transfer(session.settings["target"]), the_route=route(target="user:x"),
               settings=(Setting("target", "destination"),))
    assert call.transferred == ("pbx-voicemail-", "acme.example") and "user:x" not in str(call.commands)
    assert "route 'probe_route' (acme.example)" in caplog.text
