"""The IVR session: its logic on an in-memory Channel (tests/fake_channel.py), and over real TCP
(ESL server + emulator) what depends on the wire: hang-ups in the middle of a command, a call handed
back to the dialplan, answering. Menus come from a fake loader (no database)."""
from __future__ import annotations

import datetime as dt

from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.ivr.flow import MAX_AUTOMATIC_HOPS, ivr_flow
from fs_plugins.ivr.rules import FORWARD_ALWAYS, FORWARD_SCHEDULE, Menu
from fs_plugins.schedule.rules import Schedule, WeeklyRange
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
import pytest

from tests.fake_channel import FakeChannel
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)

T = "acme.example"
NOON = dt.datetime(2026, 3, 4, 11, 0, tzinfo=dt.timezone.utc)  # a Wednesday
SALES, EXIT = Destination("user", "11"), Destination("number", "+34911234567")
MAIN = Menu(1, T, "Main", "/a/prompt.wav", welcome="/a/welcome.wav", timeout_prompt="/a/timeout.wav",
            invalid_prompt="/a/invalid.wav", options={"1": SALES, "2": Destination("ivr", "2"),
                                                      "#": Destination("hangup", "USER_BUSY")},
            exit_destination=EXIT, max_loops=3)
SUB = Menu(2, T, "Sub", "/a/sub.wav", welcome="/a/sub-welcome.wav",
           options={"1": Destination("group", "5"), "0": Destination("ivr", "1")})
OFFICE = Schedule(name="Office", timezone="Europe/Madrid",
                  weekly=tuple(WeeklyRange(d, 9 * 60, 18 * 60) for d in range(5)))  # mon-fri 09-18


def menus(*extra: Menu) -> dict:
    return {m.id: m for m in (MAIN, SUB, *extra)}


def run_menu(digits=(), menu_id="1", known=None, clock=NOON) -> FakeChannel:
    """The flow on an in-memory channel: the caller types `digits` at the successive prompts."""
    known = menus() if known is None else known
    channel = FakeChannel(SessionInfo("call-1", T, "ivr", menu_id), digits=digits)
    ivr_flow(lambda tenant, i: known.get(i) if tenant == T else None, lambda: clock)(channel, channel.info)
    return channel


def ivr_call(script: CallerScript | None = None, menu_id="1", known=None, clock=NOON):
    known = menus() if known is None else known
    registry = FlowRegistry()
    registry.register("ivr", ivr_flow(lambda tenant, i: known.get(i) if tenant == T else None, lambda: clock))
    server = EslServer(Config(esl_port=0), registry)
    server.start()
    try:
        setup = CallSetup(variables={"pbx_flow": "ivr", "pbx_flow_object": menu_id, "pbx_tenant": T})
        return Emulator(server.address, setup, script or CallerScript(), idle_timeout=2).run()
    finally:
        server.stop(timeout=1)


def test_the_fake_channel_offers_exactly_the_channel_protocol():
    assert isinstance(FakeChannel(), Channel)


def test_the_welcome_plays_once_then_a_key_hands_the_call_to_its_destination():
    call = run_menu(["1"])
    assert call.played == ["/a/welcome.wav"] and call._args("collect") == ["/a/prompt.wav"]
    assert call.collected == ["1"] and call.transferred == ("pbx-user-11", T)


def test_three_timeouts_play_the_timeout_message_between_prompts_then_go_to_the_exit():
    call = run_menu(["", "", ""])
    assert call.played == ["/a/welcome.wav", "/a/timeout.wav", "/a/timeout.wav"]
    assert call._args("collect") == ["/a/prompt.wav"] * 3
    assert call.transferred == ("pbx-number-+34911234567", T)


def test_an_invalid_key_then_a_valid_one_is_routed_on_the_second_loop():
    call = run_menu(["7", "1"])
    assert call.played[1:] == ["/a/invalid.wav"] and call.transferred == ("pbx-user-11", T)


def test_hash_as_an_option_hangs_up_with_its_cause():
    call = run_menu(["#"])
    assert call.hung_up == "USER_BUSY" and call.transferred is None


def test_a_nested_menu_runs_in_the_same_session_with_its_own_welcome():
    call = run_menu(["2", "1"])
    assert call.played == ["/a/welcome.wav", "/a/sub-welcome.wav"]
    assert call._args("collect") == ["/a/prompt.wav", "/a/sub.wav"] and call.transferred == ("pbx-group-5", T)


def test_going_back_to_the_main_menu_and_on_works():
    call = run_menu(["2", "0", "1"])
    assert call.played.count("/a/welcome.wav") == 2 and call.transferred == ("pbx-user-11", T)


def test_a_forward_chain_between_menus_is_cut_and_the_call_hung_up():
    a = Menu(7, T, "A", "/a/p.wav", forward_mode=FORWARD_ALWAYS, forward_destination=Destination("ivr", "8"))
    b = Menu(8, T, "B", "/a/p.wav", forward_mode=FORWARD_ALWAYS, forward_destination=Destination("ivr", "7"))
    call = run_menu(menu_id="7", known=menus(a, b))
    assert call.played == [] and call.transferred is None and call.hung_up == "NORMAL_CLEARING"
    assert MAX_AUTOMATIC_HOPS == 5


def test_an_unconditional_forward_skips_welcome_and_menu_and_does_not_answer():
    fwd = Menu(3, T, "F", "/a/p.wav", welcome="/a/w.wav", options={"1": SALES}, forward_mode=FORWARD_ALWAYS,
               forward_destination=Destination("number", "+34600000000"))
    call = run_menu(menu_id="3", known=menus(fwd))
    assert call.played == [] and not call.answered and call.transferred == ("pbx-number-+34600000000", T)


def scheduled_menu():
    return Menu(4, T, "S", "/a/p.wav", welcome="/a/w.wav", options={"1": SALES}, forward_mode=FORWARD_SCHEDULE,
                schedule=OFFICE, closed_destination=Destination("message", "9"))


def test_within_hours_the_scheduled_menu_plays():
    call = run_menu(["1"], menu_id="4", known=menus(scheduled_menu()))
    assert call.played == ["/a/w.wav"] and call.transferred == ("pbx-user-11", T)


def test_outside_hours_the_call_goes_to_the_closed_destination():
    sunday = dt.datetime(2026, 3, 8, 11, 0, tzinfo=dt.timezone.utc)
    call = run_menu(menu_id="4", known=menus(scheduled_menu()), clock=sunday)
    assert call.played == [] and call.transferred == ("pbx-message-9", T)


def test_an_empty_menu_plays_its_welcome_and_goes_to_the_exit():
    empty = Menu(5, T, "E", "/a/p.wav", welcome="/a/w.wav", exit_destination=EXIT)
    call = run_menu(menu_id="5", known=menus(empty))
    assert call.played == ["/a/w.wav"] and call.transferred == ("pbx-number-+34911234567", T)


def test_an_unknown_or_malformed_menu_is_not_found():
    for menu_id in ("99", "x"):
        with pytest.raises(NotFound):
            run_menu(menu_id=menu_id)


def test_direct_dial_of_an_extension_reaches_the_user():
    direct = Menu(6, T, "D", "/a/p.wav", options={"1": SALES}, extensions={"1001": 21})
    call = run_menu(["1001"], menu_id="6", known=menus(direct))
    assert call.collected == ["1001"] and call.transferred == ("pbx-user-21", T)


def test_a_played_menu_is_answered_once_even_through_nested_menus():
    assert run_menu(["2", "1"])._args("answer") == [""]


# --- over the wire: the emulator ---------------------------------------------------------------

def test_over_tcp_the_welcome_and_prompt_play_and_a_key_transfers():
    report = ivr_call(CallerScript(digits=["1"]))
    assert report.played == ["/a/welcome.wav", "/a/prompt.wav"]
    assert report.collected == ["1"] and report.transfer == ("pbx-user-11", T)


def test_an_unknown_menu_hands_the_call_back_to_the_dialplan_fallback():
    report = ivr_call(menu_id="99")
    assert report.handed_back and report.played == []


def test_caller_hanging_up_during_the_welcome_ends_the_session():
    report = ivr_call(CallerScript(hangup_at=1.0))
    assert report.played == ["/a/welcome.wav"] and report.transfer is None
    assert report.hangup_cause == "NORMAL_CLEARING" and report.commands[-1] == "exit"


def test_caller_hanging_up_during_the_collection_ends_the_session():
    report = ivr_call(CallerScript(hangup_at=3.0))
    assert report.played == ["/a/welcome.wav", "/a/prompt.wav"] and report.collected == []
    assert report.transfer is None and report.commands[-1] == "exit"


def test_caller_hanging_up_while_the_transfer_is_under_way_ends_the_session():
    report = ivr_call(CallerScript(digits=["1"], hangup_at=2.61))  # the key lands at 2.58, pbx_hops set at 2.60
    assert report.transfer == ("pbx-user-11", T) and report.hangup_cause == "NORMAL_CLEARING"
    assert report.commands[-1] == "exit"


def test_caller_hanging_up_right_after_choosing_means_no_transfer_is_attempted():
    report = ivr_call(CallerScript(digits=["1"], hangup_at=2.58))
    assert report.transfer is None and report.hangup_cause == "NORMAL_CLEARING"
    assert report.commands[-1] == "exit"
