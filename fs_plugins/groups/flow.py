"""The `group` flow: one call to a call group, run on a Channel (rules.py decides, this acts).

Simple group: ring the plan's steps (bridge), then the no-answer destination. Advanced group:
answer, join the group's queue, wait hearing the melody and the position, take members when the
queue says so (queue.py), overflow after max wait, when the queue is full or after the rounds.
Every call leaves one GroupCall row (via `record`) with its outcome, wait and who answered; the
outcome is the state the call ended in (states.py: the transition table the flow sends its events
to). Hang-up at any moment raises CallGone from the channel; the `finally` blocks leave the queue
and record the call as abandoned (unless it was answered), and the session runner ends it quietly.
Times come from the services' `timer` (the busy tracker's clock, so a member's answer moment and
the flow's waits are on one clock), never from the time module here.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable

import gevent

from fs_plugins import channel_vars
from fs_plugins.cluster.wakeups import Wakeups
from fs_plugins.channel import NO_ANSWER, BridgeTarget, CallGone, Channel, SessionInfo
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.groups import callback, rules, states
from fs_plugins.groups.busy import Busy, BusyTracker, monotonic
from fs_plugins.groups.queue import Entry, GroupQueue, Queues
from fs_plugins.groups.records import Group, Leg
from fs_plugins.groups.kinds import AUDIO, CONSECUTIVE, MUSIC
from fs_plugins.schedule.rules import state_at

log = logging.getLogger(__name__)

CALLBACK_LISTEN = 0.5  # seconds after each melody chunk during which the callback key is read
CALLBACK_CONFIRM = "ivr/ivr-thank_you.wav"
RELOAD_SECONDS = 30  # a waiting caller re-reads the group (members, DND, forwards) this often
RINGBACK_TONE = "%(2000,4000,440,480)"  # the standard European ringback cadence
MUSIC_TONE = "%(400,200,523);%(400,200,659);%(400,200,784)"  # until the audio library exists


@dataclass(frozen=True)
class CallRecord:
    group_id: int
    uuid: str
    started_at: dt.datetime
    outcome: str
    wait_seconds: float = 0.0
    member: str = ""  # Member.key of who answered
    talk_seconds: float = 0.0


@dataclass
class GroupServices:
    load: Callable[[str, str], Group]
    record: Callable[[CallRecord], None]
    dial_template: str = "sofia/gateway/carrier/{e164}"
    queues: Queues = field(default_factory=Queues)
    busy: BusyTracker | Busy = field(default_factory=BusyTracker)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    poll_seconds: int = 5  # how long the caller hears the melody between two looks at the queue
    originate: callback.Originate | None = None  # None: no queue callback in this process
    callbacks: list = field(default_factory=list)  # greenlets of callbacks being served
    callback_poll_seconds: float = 2.0  # how often a waiting callback looks at the queue (real time)
    timer: Callable[[], float] = monotonic  # seconds, on the busy tracker's clock (its answer moments)
    # Several nodes (cluster/wakeups.py): news of a freed member cuts the melody chunk short, so
    # the caller looks again at once; None: the caller looks after each chunk.
    wakeups: "Wakeups | None" = None


def group_flow(services: GroupServices):
    def run(channel: Channel, info: SessionInfo) -> None:
        group = services.load(info.tenant, info.flow_object)  # NotFound: handed back before answering
        GroupCall(services, channel, info, group).run()

    return run


class GroupCall:
    def __init__(self, services: GroupServices, channel: Channel, info: SessionInfo, group: Group):
        self.s, self.channel, self.info, self.group = services, channel, info, group
        self.started = services.clock()
        self.state = states.GroupCallState()
        self.waited, self.member, self.talk = 0.0, "", 0.0  # measured as the call goes

    def run(self) -> None:
        try:
            closed = rules.closed_route(self.group, self._schedule_open())
            if closed is not None:
                self.state.process(states.SCHEDULE_CLOSED)
                self._hand_on(closed)
                return
            if self.group.advanced:
                self._queued()
            else:
                self._simple()
        finally:
            self.state.hung_up()  # however the flow ended: a live call is an abandoned one
            self._record()

    def _caller(self) -> str:
        """The calling user's member key ("ext@domain"), "" for anyone else."""
        return self.info.variables.get(channel_vars.USER_ID, "")

    def _schedule_open(self) -> bool | None:
        if self.group.schedule is None:
            return None
        return state_at(self.group.schedule, self.s.clock()).is_open

    # -- simple: the plan's steps, then the no-answer destination ------------------------------
    def _simple(self) -> None:
        self._ringback()
        for step in rules.ring_plan(self.group, self.s.dial_template, self._caller()):
            self.state.process(states.RING)
            if self._ring(step.legs, step.seconds):
                return
        self.state.process(states.RUNG_OUT)
        self._hand_on(rules.no_answer_route(self.group))

    def _ring(self, legs: tuple[Leg, ...], seconds: int, on_connected=None) -> bool:
        """Bridge these legs; True when someone answered (the call is then over for the flow)."""
        targets = [BridgeTarget(leg.dial, seconds) for leg in legs]
        began = self.s.timer()
        connected_to: list[str] = []  # the member's leg, from the moment the legs are joined

        def connected(other_uuid: str) -> None:
            connected_to.append(other_uuid)
            if on_connected is not None:
                on_connected()

        try:
            outcome = self.channel.bridge(targets, sequential=False, timeout=seconds, on_connected=connected)
        except CallGone:
            if connected_to:  # the caller hung up during the conversation: still an answered call
                self._answered(legs, connected_to[0], began)
            raise
        if not outcome.answered:
            self.waited += seconds if outcome.status == NO_ANSWER else 1
            return False
        self._answered(legs, outcome.other_uuid, began, outcome.ring_seconds, outcome.talk_seconds)
        self.channel.hangup("NORMAL_CLEARING")
        return True

    def _answered(self, legs: tuple[Leg, ...], other_uuid: str, began: float, rang: float | None = None,
                  talked: float | None = None) -> None:
        """`rang`, `talked`: how long the member's phone rang and the conversation lasted, as FreeSWITCH
        timed the bridge, when it said (else this process's clock, which an emulated call does not move)."""
        self.state.process(states.CONNECT)
        self.member = self.s.busy.owner(other_uuid) or (legs[0].member if len(legs) == 1 else "")
        now = self.s.timer()
        answered = self.s.busy.answered_at(other_uuid)
        if answered is None:  # no channel events: FreeSWITCH's own timing of the bridge, else none known
            answered = began + (rang or 0.0)
        self.waited += max(0.0, answered - began)  # the member's phone rang this long
        self.talk = talked if talked is not None else max(0.0, now - answered)

    def _ringback(self) -> None:
        # Callers hear ringback (or music) while the members' phones ring, without answering.
        self.channel.set("ringback", self._melody())

    def _melody(self) -> str:
        """The `ringback` value: a file, or a teletone script (FreeSWITCH repeats it while ringing)."""
        if self.group.melody_path:
            return self.group.melody_path
        return MUSIC_TONE if self.group.melody == MUSIC else RINGBACK_TONE

    # -- advanced: the queue --------------------------------------------------------------------
    def _queued(self) -> None:
        queue = self.s.queues.of(self.group.id)
        entry = queue.join(self.info.uuid, self.s.queues.next_seq(), self.group.queue_size)
        if entry is None:
            self.state.process(states.QUEUE_FULL)
            self._hand_on(rules.overflow_route(self.group))
            return
        self.state.process(states.JOIN)
        try:
            self.channel.answer()
            self._wait_in_queue(queue, entry)
        finally:
            if self.state.state != states.CALLBACK:  # a callback keeps the caller's place in line
                queue.leave(entry)
        if self.state.state == states.ENDED_OVERFLOWED:
            self._hand_on(rules.overflow_route(self.group))

    def _wait_in_queue(self, queue: GroupQueue, entry: Entry) -> None:
        """Wait, offer, announce until answered, time to overflow, or the caller chose a callback."""
        last_position, since, loaded = None, 0.0, self.waited
        while True:
            if self.waited - loaded >= RELOAD_SECONDS:
                self._reload()
                loaded = self.waited
            ringing = rules.legs(self.group, self.s.dial_template, self._caller())
            verdict = rules.queue_verdict(self.group, self.waited, entry.offers, len(ringing))
            if verdict == rules.OVERFLOW:
                self.state.process(states.TIMEOUT)
                return
            with self._news(entry, ringing) as waiter:  # listening before the look: no news missed
                if verdict == rules.OFFER and self._offer(queue, entry, ringing, waiter):
                    return
                position = queue.position(entry)
                if rules.announce(self.group, last_position, position, since):
                    # Hearing "you are number 3" is waiting too; FreeSWITCH says how long it lasted
                    # (virtual time on the emulator, so never the wall clock).
                    self.waited += (self.channel.play(rules.POSITION_PROMPT).seconds
                                    + self.channel.say(position).seconds)
                    last_position, since = position, 0.0
                    if self.waited >= self.group.max_wait:
                        continue  # the announcement reached max-wait: overflow now, not after a melody chunk
                path, seconds = self._melody_chunk(self.group.max_wait - self.waited)
                pressed, seconds = self._hear_melody(path, seconds, waiter and waiter.woken)
            if pressed and self._start_callback(queue, entry):
                return
            self.waited += seconds
            since += seconds

    @contextlib.contextmanager
    def _news(self, entry: Entry, ringing: tuple[Leg, ...]):
        """The Waiter whose event is set when another node frees one of these members or the line
        moves (None on one node: nothing to hear)."""
        if self.s.wakeups is None:
            yield None
            return
        with self.s.wakeups.watching(self.group.id, entry.seq, {leg.member for leg in ringing}) as waiter:
            yield waiter

    def _reload(self) -> None:
        """Members come and go and switch DND while callers wait; a deleted group keeps its last state."""
        try:
            self.group = self.s.load(self.info.tenant, self.info.flow_object)
        except NotFound:
            log.info("group %s vanished while call %s waited; keeping its last settings", self.group.id,
                     self.info.uuid)

    def _hear_melody(self, path: str, seconds: float, news=None) -> tuple[bool, float]:
        """One chunk of the melody (`seconds` long): whether the caller pressed the callback key
        meanwhile, and how long it waited. News (another node freed a member) cuts the chunk
        short: FreeSWITCH's uuid_break ends the playback, which says how much was heard."""
        if news is not None and news.is_set():
            return False, 0.0  # the news came during the look: look again now
        cut = gevent.spawn(self._cut_short, news) if news is not None else None
        try:
            key = self.group.callback_key
            if not key or self.s.originate is None:
                played = self.channel.play(path)
                return False, (played.seconds if news is not None and news.is_set() and played.ok else seconds)
            started = self.s.timer()
            got = self.channel.collect(path, min_digits=1, max_digits=1, timeout=CALLBACK_LISTEN, terminators="",
                                       tries=1, regex="^" + ("\\" + key if key in "*#" else key) + "$")
            if news is not None and news.is_set():
                # Cut short: play_and_get_digits says nothing of how much played; counting the whole
                # chunk would bring a caller woken often to max-wait long before its time.
                seconds = min(seconds, max(0.0, self.s.timer() - started))
            return got.ok and got.digits == key, seconds
        finally:
            if cut is not None:
                cut.kill()

    def _cut_short(self, news) -> None:
        news.wait()
        try:
            self.channel.break_playback()
        except CallGone:
            pass  # the caller hung up meanwhile: the flow hears it from its own command

    def _start_callback(self, queue: GroupQueue, entry: Entry) -> bool:
        user = self._caller()
        extension, _, domain = user.partition("@")
        dial = callback.caller_dial(self.group, self.info.caller_number,
                                    extension if domain == self.group.domain else None, self.s.dial_template)
        if dial is None:
            return False
        entry.callback = dial
        self.state.process(states.CALLBACK_CHOSEN)
        waited_here = self.waited
        self.channel.play(CALLBACK_CONFIRM)
        self.channel.hangup("NORMAL_CLEARING")

        def done(answered: bool, waited: float) -> None:
            self.state.process(states.CALLED_BACK if answered else states.NOT_CALLED_BACK)
            self.waited = waited_here + waited
            self._record()

        self.s.callbacks.append(gevent.spawn(
            callback.run, self.group, queue, entry, self.s.originate, self.s.busy.busy, self.s.dial_template,
            self.s.callback_poll_seconds, done, self.s.timer, self.s.wakeups))
        return True

    def _offer(self, queue: GroupQueue, entry: Entry, ringing: tuple[Leg, ...], waiter=None) -> bool:
        order = rules.offer_order(ringing, entry.cursor)
        candidates = [leg.member for leg in order]
        busy = self.s.busy.busy_among(candidates)  # one look (a query, on several machines) for them all
        keys = queue.claim(entry, candidates, rules.offer_size(self.group), busy.__contains__)
        if not keys:
            return False
        chosen = tuple(leg for leg in order if leg.member in keys)
        if self.group.ring_mode == CONSECUTIVE:
            entry.cursor += [leg.member for leg in order].index(keys[0]) + 1
        entry.offers += 1
        self.state.process(states.OFFER)
        if waiter is not None:
            waiter.listening = False  # while members ring for this caller, news wakes the callers behind
        try:
            # Talking to a member is no longer waiting: out of the line at the answer, not after the talk.
            taken = self._ring(chosen, self.group.member_seconds, on_connected=lambda: queue.connected(entry))
        finally:
            queue.release(entry)
            if waiter is not None:
                waiter.listening = True
        if not taken:
            self.state.process(states.NOT_TAKEN)
        return taken

    def _melody_chunk(self, remaining: float) -> tuple[str, float]:
        """What to play until the next look at the queue, and how long it lasts: never past the
        maximum wait (`remaining` seconds away), so the overflow comes at max-wait exactly."""
        remaining_ms = max(100, int(round(remaining * 1000)))
        if self.group.melody_path and self.group.melody_seconds * 1000 <= remaining_ms:
            return self.group.melody_path, max(self.group.melody_seconds, 1.0)  # an uploaded melody plays whole
        tone = MUSIC_TONE if self.group.melody in (MUSIC, AUDIO) else RINGBACK_TONE
        cycle_ms = sum(int(on) + int(off) for on, off, *_ in _segments(tone))
        loops = max(1, round(self.s.poll_seconds * 1000 / cycle_ms))
        if loops * cycle_ms <= remaining_ms:
            return f"tone_stream://{tone};loops={loops}", loops * cycle_ms / 1000
        whole = remaining_ms // cycle_ms  # (teletone's loops= repeats the whole script: no mixing)
        if whole:
            return f"tone_stream://{tone};loops={whole}", whole * cycle_ms / 1000
        return f"tone_stream://{_cut(tone, remaining_ms)}", remaining_ms / 1000

    # -- leaving --------------------------------------------------------------------------------
    def _hand_on(self, destination: Destination) -> None:
        if destination.kind == "hangup":
            self.channel.hangup(destination.target)
        else:
            self.channel.transfer(destination.routing_extension, self.group.domain)

    def _record(self) -> None:
        outcome = self.state.outcome
        if outcome is None:
            return  # the caller chose a callback: recorded by the callback when it ends
        record = CallRecord(self.group.id, self.info.uuid, self.started, outcome, self.waited,
                            self.member, self.talk)
        try:
            self.s.record(record)
        except Exception:  # statistics must never break a call that is otherwise fine
            log.exception("group %s: could not record call %s", self.group.id, self.info.uuid)


def _cut(tone: str, ms: int) -> str:
    """The first `ms` milliseconds of one cycle of a teletone script (the last tone shortened)."""
    parts = []
    for on, off, *freqs in _segments(tone):
        on, off = int(on), int(off)
        if ms <= 0:
            break
        on, off = min(on, ms), min(off, max(0, ms - on))
        parts.append(f"%({','.join([str(on), str(off), *freqs])})")
        ms -= on + off
    return ";".join(parts)


def _segments(tone: str):
    for part in tone.split(";"):
        inner = part.strip()[2:-1]  # "%(on,off,freqs…)" -> "on,off,freqs…"
        yield inner.split(",")


__all__ = ["CallGone", "CallRecord", "GroupCall", "GroupServices", "group_flow"]
