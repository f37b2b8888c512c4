"""What an IVR menu does next: pure decisions over a frozen Menu, as a table of states.

At entry (`entry_step`, the schedule state is computed by the caller with the clock at the edge):

  forward mode  condition                                 → step
  forward       always                                    → route forward_destination
  schedule      schedule closed                           → route closed_destination
  any           no options and no direct dial ("empty")   → route exit_destination (after the welcome)
  otherwise                                               → prompt, attempt 1

After each collection (`next_step(menu, entry, attempt)`; `attempt` is the 1-based number of
the collection that just ended, `entry` what the caller typed, None when nothing at all):

  entry                               attempt          → step
  a key of an option (0-9, *, #)      any              → route the option's destination
  an extension (direct dial on)       any              → route user:<id>
  None (timeout)                      < max_loops      → prompt attempt+1, timeout notice first
  None (timeout)                      ≥ max_loops      → route exit_destination ("timeout")
  anything else (invalid)             < max_loops      → prompt attempt+1, invalid notice first
  anything else (invalid)             ≥ max_loops      → route exit_destination ("invalid")

Timeouts and invalid entries count alike and only upwards, one per collection, so the exit is
reached after exactly max_loops failed collections whatever their mix (the bugs to avoid: exits
never reached, counters running backwards, direct dial looping for ever). `*` and `#` are plain
keys: with direct dial `#` ends an extension early unless it is an option key itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from fs_plugins.destinations import Destination

PROMPT = "prompt"
ROUTE = "route"
KEYS = "0123456789*#"
DIGIT_TIMEOUT = 2.0  # seconds between the digits of a directly dialled extension

FORWARD_NONE, FORWARD_SCHEDULE, FORWARD_ALWAYS = "none", "schedule", "forward"


@dataclass(frozen=True)
class Menu:
    id: int
    tenant: str  # the tenant's domain: the dialplan context calls are handed to
    name: str
    prompt: str  # playable path
    options: Mapping[str, Destination] = field(default_factory=dict)
    exit_destination: Destination = Destination("hangup", "NORMAL_CLEARING")
    max_loops: int = 3
    timeout_seconds: float = 5.0
    welcome: str | None = None
    timeout_prompt: str | None = None
    invalid_prompt: str | None = None
    forward_mode: str = FORWARD_NONE
    forward_destination: Destination | None = None
    closed_destination: Destination | None = None
    schedule: Any = None  # fs_plugins.schedule.Schedule when forward_mode is FORWARD_SCHEDULE
    extensions: Mapping[str, int] = field(default_factory=dict)  # direct dial: extension -> user id

    @property
    def empty(self) -> bool:
        return not self.options and not self.extensions


@dataclass(frozen=True)
class Step:
    action: str  # PROMPT (collect again) or ROUTE (hand the call to `destination`)
    attempt: int = 0  # PROMPT: the number of the coming collection
    notice: str | None = None  # PROMPT: played before the prompt (timeout or invalid message)
    destination: Destination | None = None
    reason: str = ""  # for the log only: flows decide on the fields, never on this text
    chosen: bool = False  # ROUTE: the caller chose it (an option's key or a directly dialled extension)
    greets: bool = False  # entry: the welcome plays (and the call is answered) before going on


@dataclass(frozen=True)
class CollectSpec:
    max_digits: int
    terminators: str
    digit_timeout: float


def entry_step(menu: Menu, schedule_open: bool | None = None) -> Step:
    if menu.forward_mode == FORWARD_ALWAYS and menu.forward_destination is not None:
        return Step(ROUTE, destination=menu.forward_destination, reason="unconditional forward")
    if menu.forward_mode == FORWARD_SCHEDULE and schedule_open is False:
        return Step(ROUTE, destination=menu.closed_destination or menu.exit_destination, reason="closed")
    if menu.empty:
        return Step(ROUTE, destination=menu.exit_destination, reason="empty menu", greets=bool(menu.welcome))
    return Step(PROMPT, attempt=1, greets=True)


def next_step(menu: Menu, entry: str | None, attempt: int) -> Step:
    if attempt < 1:
        raise ValueError("attempt counts collections from 1")
    if entry is not None and entry in menu.options:
        return Step(ROUTE, destination=menu.options[entry], reason=f"key {entry}", chosen=True)
    if entry and entry in menu.extensions:
        return Step(ROUTE, destination=Destination("user", str(menu.extensions[entry])),
                    reason=f"direct dial {entry}", chosen=True)
    timed_out = entry is None
    kind = "timeout" if timed_out else "invalid"
    if attempt >= menu.max_loops:
        return Step(ROUTE, destination=menu.exit_destination, reason=f"{kind} on the last loop ({attempt})")
    notice = menu.timeout_prompt if timed_out else menu.invalid_prompt
    return Step(PROMPT, attempt=attempt + 1, notice=notice, reason=kind)


def collect_spec(menu: Menu) -> CollectSpec:
    """How many keys to wait for: one without direct dial (every key is an answer at once)."""
    if not menu.extensions:
        return CollectSpec(1, "", menu.timeout_seconds)
    longest = max(len(extension) for extension in menu.extensions)
    return CollectSpec(longest, "" if "#" in menu.options else "#", DIGIT_TIMEOUT)


def caller_entry(digits: str, result: str, terminator: str = "") -> str | None:
    """What the caller typed, as next_step reads it: None when nothing was pressed at all."""
    if digits:
        return digits
    if terminator:
        return terminator  # `#` alone: a key press, so not a timeout
    return None if result == "timeout" else ""
