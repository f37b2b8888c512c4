"""The IVR session on the Channel interface: entry checks, welcome, prompt → collect → act.

Decisions come from fs_plugins.ivr.rules; this module only plays, collects and hands on. A
destination that is another menu runs in the same session; two bounds keep that finite: at most
MAX_AUTOMATIC_HOPS menus entered in a row without the caller pressing a key (a forward or
closed-hours chain A → B → A would otherwise spin for ever) and MAX_MENUS in one call.
CallGone (caller hang-up) propagates to the session runner, which ends the session cleanly.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.destinations import HANGUP, Destination
from fs_plugins.errors import NotFound
from fs_plugins.ivr.rules import PROMPT, Menu, Step, caller_entry, collect_spec, entry_step, next_step
from fs_plugins.schedule.rules import state_at

log = logging.getLogger(__name__)
MAX_AUTOMATIC_HOPS = 5
MAX_MENUS = 20

MenuLoader = Callable[[str, int], "Menu | None"]  # (tenant domain, menu id) -> Menu


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def ivr_flow(load: MenuLoader, clock: Callable[[], dt.datetime] = utc_now):
    def run(channel: Channel, info: SessionInfo) -> None:
        menu = load(info.tenant, int(info.flow_object)) if info.flow_object.isdecimal() else None
        if menu is None:
            raise NotFound("ivr", f"no IVR menu {info.flow_object!r} in tenant {info.tenant!r}")
        run_menus(channel, menu, load, clock)

    return run


def run_menus(channel: Channel, menu: Menu, load: MenuLoader, clock) -> Destination:
    """Run `menu` and the menus it leads to; hand the call to the final destination."""
    automatic = entered = 0
    answered = False
    while True:
        entered += 1
        destination, pressed, played = run_one(channel, menu, clock, answered)
        answered = answered or played
        automatic = 0 if pressed else automatic + 1
        if destination.kind != "ivr":
            break
        nested = load(menu.tenant, destination.object_id)
        if nested is None or automatic >= MAX_AUTOMATIC_HOPS or entered >= MAX_MENUS:
            log.warning("ivr %s of %s: not entering menu %s (missing or too many hops); hanging up",
                        menu.id, menu.tenant, destination.target)
            destination = HANGUP
            break
        menu = nested
    hand_on(channel, menu.tenant, destination)
    return destination


def run_one(channel: Channel, menu: Menu, clock, answered: bool) -> tuple[Destination, bool, bool]:
    """One menu: (where the call goes, whether the caller chose it with a key, whether the call
    was answered). A call forwarded at entry is not answered here: the caller is not charged
    for a call that only passes through."""
    step = entry_step(menu, _is_open(menu, clock))
    log.info("ivr %s (%s): entry: %s %s", menu.id, menu.tenant, step.action, step.reason)
    greets = step.greets
    if greets and not answered:
        channel.answer()
    if greets and menu.welcome:
        channel.play(menu.welcome)
    step = collect_loop(channel, menu, step)
    return step.destination or HANGUP, step.chosen, greets


def collect_loop(channel: Channel, menu: Menu, step: Step) -> Step:
    spec = collect_spec(menu)
    while step.action == PROMPT:
        if step.notice:
            channel.play(step.notice)
        got = channel.collect(menu.prompt, min_digits=1, max_digits=spec.max_digits,
                              timeout=menu.timeout_seconds, terminators=spec.terminators, tries=1,
                              digit_timeout=spec.digit_timeout)
        step = next_step(menu, caller_entry(got.digits, got.result, got.terminator), step.attempt)
        log.info("ivr %s: %r -> %s %s", menu.id, got.digits, step.action, step.reason)
    return step


def hand_on(channel: Channel, tenant_domain: str, destination: Destination) -> None:
    if destination.kind == "hangup":
        channel.hangup(destination.target)
    else:
        channel.transfer(destination.routing_extension, tenant_domain)


def _is_open(menu: Menu, clock) -> bool | None:
    if menu.schedule is None:
        return None
    return state_at(menu.schedule, clock()).is_open
