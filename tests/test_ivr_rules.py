"""The IVR state table: every row, with its boundaries (last loop, timeout vs invalid, * and #)."""
from __future__ import annotations

import pytest

from fs_plugins.destinations import Destination
from fs_plugins.ivr.rules import (
    FORWARD_ALWAYS, FORWARD_SCHEDULE, PROMPT, ROUTE, Menu, caller_entry, collect_spec, entry_step, next_step,
)

SALES, SUPPORT, STAR, HASH = (Destination("user", "1"), Destination("group", "2"), Destination("voicemail", ""),
                              Destination("ivr", "9"))
EXIT = Destination("number", "+34911234567")
MENU = Menu(1, "acme.example", "Main", "p.wav", options={"1": SALES, "2": SUPPORT, "*": STAR, "#": HASH},
            exit_destination=EXIT, max_loops=3, timeout_prompt="t.wav", invalid_prompt="i.wav")


@pytest.mark.parametrize("key, destination", [("1", SALES), ("2", SUPPORT), ("*", STAR), ("#", HASH)])
def test_a_key_of_an_option_routes_to_its_destination_on_any_attempt(key, destination):
    for attempt in (1, 2, 3):
        assert next_step(MENU, key, attempt) == next_step(MENU, key, 1)
        assert (next_step(MENU, key, attempt).action, next_step(MENU, key, attempt).destination) == (ROUTE, destination)


def test_nothing_pressed_before_the_last_loop_prompts_again_after_the_timeout_message():
    step = next_step(MENU, None, 1)
    assert (step.action, step.attempt, step.notice, step.reason) == (PROMPT, 2, "t.wav", "timeout")


def test_a_key_without_an_option_before_the_last_loop_prompts_again_after_the_invalid_message():
    step = next_step(MENU, "7", 2)
    assert (step.action, step.attempt, step.notice, step.reason) == (PROMPT, 3, "i.wav", "invalid")


@pytest.mark.parametrize("entry, kind", [(None, "timeout"), ("7", "invalid"), ("", "invalid")])
def test_failing_on_the_last_loop_goes_to_the_exit_destination(entry, kind):
    step = next_step(MENU, entry, 3)
    assert (step.action, step.destination, step.reason) == (ROUTE, EXIT, f"{kind} on the last loop (3)")


def test_a_mix_of_timeouts_and_invalid_keys_reaches_the_exit_after_exactly_max_loops_collections():
    step, collections = entry_step(MENU), 0
    for entry in (None, "5", None):
        collections += 1
        step = next_step(MENU, entry, step.attempt)
    assert collections == 3 and step.destination == EXIT


def test_the_attempt_only_counts_upwards_and_is_never_below_one():
    assert [next_step(MENU, None, a).attempt for a in (1, 2)] == [2, 3]
    with pytest.raises(ValueError):
        next_step(MENU, None, 0)


def test_an_attempt_past_the_last_loop_still_exits():
    assert next_step(MENU, None, 9).destination == EXIT


def test_a_single_loop_menu_exits_on_the_first_failure():
    one = Menu(1, "acme.example", "M", "p.wav", options={"1": SALES}, exit_destination=EXIT, max_loops=1)
    assert next_step(one, None, 1).destination == EXIT and next_step(one, "1", 1).destination == SALES


def test_star_and_hash_without_options_are_invalid_keys_not_timeouts():
    menu = Menu(1, "acme.example", "M", "p.wav", options={"1": SALES}, exit_destination=EXIT)
    assert next_step(menu, "*", 1).reason == "invalid" and next_step(menu, "#", 1).reason == "invalid"


def test_no_notice_is_played_when_the_menu_has_none():
    menu = Menu(1, "acme.example", "M", "p.wav", options={"1": SALES})
    assert next_step(menu, None, 1).notice is None and next_step(menu, "4", 1).notice is None


DIRECT = Menu(1, "acme.example", "M", "p.wav", options={"1": SALES}, exit_destination=EXIT,
              extensions={"1001": 11, "205": 12})


def test_direct_dial_routes_an_extension_to_its_user():
    assert next_step(DIRECT, "1001", 1).destination == Destination("user", "11")
    assert next_step(DIRECT, "1001", 1).reason == "direct dial 1001"


def test_direct_dial_of_an_unknown_extension_is_an_invalid_key_counted_like_any_other():
    assert next_step(DIRECT, "1009", 1).reason == "invalid"
    assert next_step(DIRECT, "1009", 3).destination == EXIT  # no endless direct-dial loop


def test_option_keys_win_over_extensions():
    menu = Menu(1, "acme.example", "M", "p.wav", options={"1": SALES}, extensions={"1": 5})
    assert next_step(menu, "1", 1).destination == SALES


def test_collection_waits_for_one_key_without_direct_dial_and_for_extensions_with_it():
    assert collect_spec(MENU).max_digits == 1 and collect_spec(MENU).terminators == ""
    spec = collect_spec(DIRECT)
    assert (spec.max_digits, spec.terminators) == (4, "#")
    with_hash = Menu(1, "a.example", "M", "p.wav", options={"#": SALES}, extensions={"100": 1})
    assert collect_spec(with_hash).terminators == ""  # '#' is a key of this menu, not an end mark


@pytest.mark.parametrize("digits, result, terminator, entry", [
    ("1", "success", "", "1"), ("", "timeout", "", None), ("", "failure", "", ""), ("", "failure", "#", "#"),
    ("", "timeout", "#", "#"),
])
def test_what_the_caller_typed_is_read_as_key_nothing_or_invalid(digits, result, terminator, entry):
    assert caller_entry(digits, result, terminator) == entry


def test_entry_runs_the_menu_when_open_or_without_schedule():
    assert entry_step(MENU) .action == PROMPT and entry_step(MENU).attempt == 1
    scheduled = Menu(1, "a.example", "M", "p.wav", options={"1": SALES}, forward_mode=FORWARD_SCHEDULE,
                     closed_destination=STAR)
    assert entry_step(scheduled, True).action == PROMPT


def test_entry_while_the_schedule_is_closed_routes_to_the_closed_destination():
    scheduled = Menu(1, "a.example", "M", "p.wav", options={"1": SALES}, forward_mode=FORWARD_SCHEDULE,
                     closed_destination=STAR)
    step = entry_step(scheduled, False)
    assert (step.action, step.destination, step.reason) == (ROUTE, STAR, "closed")


def test_an_unconditional_forward_skips_the_menu_whatever_the_schedule():
    forward = Menu(1, "a.example", "M", "p.wav", options={"1": SALES}, forward_mode=FORWARD_ALWAYS,
                   forward_destination=SUPPORT)
    for open_ in (None, True, False):
        assert entry_step(forward, open_).destination == SUPPORT


def test_an_empty_menu_goes_to_its_exit_destination():
    empty = Menu(1, "a.example", "M", "p.wav", exit_destination=EXIT)
    step = entry_step(empty)
    assert (step.action, step.destination, step.reason) == (ROUTE, EXIT, "empty menu")


def test_the_caller_chose_a_route_taken_by_key_or_direct_dial_but_not_an_exit_after_failures():
    direct = Menu(2, "acme.example", "D", "p.wav", options={"1": SALES}, extensions={"1001": 21})
    assert next_step(direct, "1", 1).chosen and next_step(direct, "1001", 1).chosen
    assert not next_step(direct, None, direct.max_loops).chosen and not next_step(direct, "9", direct.max_loops).chosen


def test_the_entry_greets_the_caller_only_when_a_menu_or_an_empty_menus_welcome_plays():
    assert entry_step(MENU).greets
    assert entry_step(Menu(3, "acme.example", "E", "p.wav", welcome="w.wav")).greets
    assert not entry_step(Menu(4, "acme.example", "E", "p.wav")).greets
    forward = Menu(5, "acme.example", "F", "p.wav", welcome="w.wav", options={"1": SALES}, forward_mode="forward",
                   forward_destination=EXIT)
    assert not entry_step(forward).greets
