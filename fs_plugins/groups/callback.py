"""Queue callback: a waiting caller pressed the callback key, hung up, and keeps their place.

The caller's entry stays in the group's queue (queue.py) with the number to call back. A
greenlet per callback waits for the entry's turn exactly like a caller on the line would (the
same claim: longest waiting first, one member at a time, never a busy member), then has
FreeSWITCH call the member first and, once the member answers, the caller (`originate <member>
&bridge(<caller>)`), so the caller is never called back to hear ringing. A member who does not
answer releases the turn and the next free member is tried; after `max_wait` more seconds
without success the callback is dropped (recorded as overflowed).
"""
from __future__ import annotations

import contextlib
import logging
import re
import time
from typing import Callable

import gevent

from fs_plugins import dialstrings
from fs_plugins.callhandling import numbers
from fs_plugins.esl import encode
from fs_plugins.groups import rules
from fs_plugins.groups.queue import Entry, GroupQueue
from fs_plugins.groups.records import Group

log = logging.getLogger(__name__)
_CALLER_NUMBER = re.compile(r"(?:^user/|/)(\+?[0-9]{2,15})(?:@|\Z)")

# originate(member dial, caller dial, group, ring seconds) -> True when both were connected
Originate = Callable[[str, str, Group, int], bool]


def caller_dial(group: Group, caller_number: str, internal_extension: str | None, dial_template: str) -> str | None:
    """How to reach the caller again: their phone if they are a user, else their number under the
    tenant's restrictions (None: cannot be called back, the key is then ignored)."""
    if internal_extension:
        return dialstrings.user(internal_extension, group.domain)
    e164, cause = numbers.normalise(caller_number or "", group.country)
    if cause or numbers.blocked_reason(e164, group.country, group.allowed):
        return None
    return dial_template.format(e164=e164, digits=e164.lstrip("+"))


def run(group: Group, queue: GroupQueue, entry: Entry, originate: Originate, busy: Callable[[str], bool],
        dial_template: str, poll_seconds: float, on_done: Callable[[bool, float], None],
        timer: Callable[[], float] = time.monotonic, wakeups=None) -> None:
    """Serve one callback; `on_done(answered, waited seconds)` records the outcome. `timer`: the
    group flow's clock (seconds), so the wait is measured as the caller's was on the line.
    `wakeups` (several nodes, cluster/wakeups.py): a member freed on any node ends the wait between
    two looks at once instead of after `poll_seconds`."""
    began = timer()
    try:
        while timer() - began < group.max_wait:
            ringing = rules.legs(group, dial_template)
            order = rules.offer_order(ringing, entry.cursor)
            watching = (wakeups.watching(group.id, entry.seq, {leg.member for leg in order})
                        if wakeups is not None else contextlib.nullcontext())
            with watching as waiter:  # listening before the look: no news missed
                keys = queue.claim(entry, [leg.member for leg in order], 1, busy)
                if keys:
                    if waiter is not None:
                        waiter.listening = False  # news while the member rings is for the callers behind
                    member = next(leg for leg in order if leg.member == keys[0])
                    entry.cursor += [leg.member for leg in order].index(keys[0]) + 1
                    try:
                        if originate(member.dial, entry.callback, group, group.member_seconds):
                            on_done(True, timer() - began)
                            return
                    finally:
                        queue.release(entry)
                if waiter is not None and not keys:
                    waiter.woken.wait(poll_seconds)
                else:
                    gevent.sleep(poll_seconds)
        on_done(False, timer() - began)
    finally:
        queue.leave(entry)


def fs_originate(api_factory) -> Originate:
    """The production originate over FreeSWITCH's inbound event socket (fs_plugins.fsapi);
    `api_factory(timeout, member_dial)` picks the server (several: cluster/originate.py)."""

    def originate(member_dial: str, caller: str, group: Group, seconds: int) -> bool:
        variables = {"originate_timeout": int(seconds), "pbx_tenant": encode.token(group.domain), "pbx_flow": "group",
                     "pbx_flow_object": int(group.id), "ignore_early_media": "true", **_presented(caller)}
        dial = dialstrings.with_call_variables(variables, encode.dial_target(member_dial))
        command = f"originate {dial} &bridge({encode.dial_target(caller)})"
        try:
            reply = api_factory(seconds + 10, member_dial).api(command)
        except Exception as exc:  # FreeSWITCH unreachable: this member's turn is lost, not the callback
            log.warning("group %s: callback originate failed: %s", group.id, exc)
            return False
        return reply.startswith("+OK")

    return originate


def _presented(caller_dial: str) -> dict[str, str]:
    """The member's phone shows who is being called back (digits only: it goes inside {...})."""
    match = _CALLER_NUMBER.search(caller_dial)
    return {"origination_caller_id_number": match.group(1)} if match else {}
