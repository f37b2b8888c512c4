"""The Channel a flow drives, over one outbound event-socket connection.

Each application runs as `sendmsg` / `execute` with an `Event-UUID`; FreeSWITCH echoes it as
`Application-UUID` on CHANNEL_EXECUTE_COMPLETE, which is how a reply is matched to its command
(greenswitch matches on the application name, which breaks when the same app runs twice).
CHANNEL_HANGUP, a disconnect notice or the loss of the connection fails every waiting command
with CallGone; our own `hangup` swallows it.
"""
from __future__ import annotations

import logging
import uuid
from typing import Sequence

import gevent
import gevent.event
from gevent.event import AsyncResult

from fs_plugins import channel_vars, dialstrings
from fs_plugins.channel import (
    BridgeOutcome,
    BridgeTarget,
    CallGone,
    Collected,
    CommandTimeout,
    Played,
    Recording,
    RingingLeg,
    SessionInfo,
)
from fs_plugins.esl import encode
from fs_plugins.esl.connection import EslConnection

log = logging.getLogger(__name__)

SILENCE = "silence_stream://250"
MAX_PLAY_SECONDS = 3600  # a prompt longer than an hour is a stuck channel
MAX_BRIDGE_SECONDS = 12 * 3600  # a bridged conversation may be long, not endless
INTERCEPT_JOIN_SECONDS = 2.0  # FreeSWITCH joins an intercepted call right after the application returns
SILENCE_THRESHOLD = 200


class EslChannel:
    def __init__(self, conn: EslConnection, info: SessionInfo, command_timeout: float = 30.0):
        self.conn = conn
        self.info = info
        self.command_timeout = command_timeout
        self.gone: CallGone | None = None
        self._on_connected = None  # the running bridge's callback for CHANNEL_BRIDGE
        self._waiting: dict[str, AsyncResult] = {}
        self._started: dict[str, int] = {}  # Application-UUID -> its CHANNEL_EXECUTE timestamp (µs)
        self._running: str | None = None  # the Application-UUID sent and not yet complete
        self.last_started_us: int | None = None  # when the last application that completed started
        self._bridge_prepared = False
        self._hops: int | None = None  # routing hops (pbx_hops) once this session transferred
        conn.on_event = self._on_event

    # -- events (run in the connection's reader greenlet) ------------------------------------
    def _on_event(self, event: dict):
        name = event.get("Event-Name")
        if name == "CHANNEL_EXECUTE":
            app_uuid = event.get("Application-UUID", "")
            stamp = event.get("Event-Date-Timestamp", "")
            if app_uuid in self._waiting and stamp.isdecimal():
                self._started[app_uuid] = int(stamp)
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            if self._running == event.get("Application-UUID"):
                self._running = None  # before the flow resumes: a break from now on would outlive it
            waiter = self._waiting.pop(event.get("Application-UUID", ""), None)
            if waiter is not None:
                waiter.set(event)
        elif name == "CHANNEL_BRIDGE":  # a flow learns a hung-up bridge had been answered, and by whom
            callback, self._on_connected = self._on_connected, None
            if callback is not None:
                callback(event.get("Other-Leg-Unique-ID", ""))
        elif name == "CHANNEL_HANGUP":
            self._fail_all(CallGone(event.get("Hangup-Cause", "NORMAL_CLEARING")))
        elif name in ("DISCONNECT", "CONNECTION_LOST"):
            self._fail_all(CallGone(reason=event.get("Reason") or "disconnect notice"))

    def _fail_all(self, gone: CallGone):
        if self.gone is None:
            self.gone = gone
        waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            waiter.set_exception(gone)

    # -- the one way an application runs -----------------------------------------------------
    def execute(self, app: str, arg: str = "", timeout: float | None = None) -> dict:
        """Run one dialplan application and return its CHANNEL_EXECUTE_COMPLETE event."""
        if self.gone is not None:
            raise self.gone
        app_uuid = str(uuid.uuid4())
        lines = ["sendmsg", "call-command: execute", f"execute-app-name: {encode.app_name(app)}"]
        if arg:
            lines.append(f"execute-app-arg: {encode.value(arg)}")
        lines.append(f"Event-UUID: {app_uuid}")
        waiter = AsyncResult()
        self._waiting[app_uuid] = waiter
        self._running = app_uuid
        try:
            reply = self.conn.send("\n".join(lines))
            if not reply.data.startswith("+OK"):
                raise CallGone(reason=f"{app} refused: {reply.data}")
            event = waiter.get(timeout=self.command_timeout if timeout is None else timeout)
            self.last_started_us = self._started.get(app_uuid)
            return event
        except gevent.Timeout:
            raise CommandTimeout(f"{app} to complete") from None
        finally:
            self._waiting.pop(app_uuid, None)
            self._started.pop(app_uuid, None)
            if self._running == app_uuid:
                self._running = None

    # -- Channel -----------------------------------------------------------------------------
    def answer(self) -> None:
        self.execute("answer")

    def play(self, path: str, max_seconds: float = MAX_PLAY_SECONDS) -> Played:
        event = self.execute("playback", encode.token(path, "file"), timeout=max_seconds)
        if event.get("Application-Response") != "FILE PLAYED":
            return Played(False, self._ran_for(event))
        # switch_ivr_play_file leaves how much it played in playback_ms (recorded: 1000 for a
        # 1 s tone, esl_outbound/a_ivr_dtmf); a failed playback leaves the previous value, hence
        # only read after FILE PLAYED.
        ms = event.get("variable_playback_ms", "")
        return Played(True, int(ms) / 1000 if ms.isdecimal() else self._ran_for(event))

    def say(self, number: int) -> Played:
        # The dialplan set default_language from the tenant (fs_plugins/voices.py); `say` needs it
        # named, as "<module> <type> <method> <text>" (mod_dptools' say, mod_say_<language>).
        language = self.info.variables.get("default_language") or "en"
        event = self.execute("say", encode.args(language, "number", "pronounced", int(number)))
        # say sets no application response (a missing file is only in FreeSWITCH's log), and its
        # playback_ms is only the last word's: the caller heard it for as long as it ran.
        return Played(True, self._ran_for(event))

    def break_playback(self) -> None:
        # mod_commands' break_function sets CF_BREAK, which switch_ivr_play_file answers with
        # SWITCH_STATUS_BREAK, and mod_dptools' playback then still says FILE PLAYED. Only the
        # playback that acts on it clears CF_BREAK: one sent once the prompt ended (its
        # EXECUTE_COMPLETE came, the flow not yet back) would cut the next prompt at its start,
        # the melody restarted or an announcement. So nothing is sent unless an application runs.
        if self.gone is not None:
            raise self.gone
        if self._running is None:
            return
        self.conn.send(f"api uuid_break {encode.token(self.info.uuid, 'uuid')}")

    def _ran_for(self, event: dict) -> float:
        """Seconds between the last application's CHANNEL_EXECUTE and its CHANNEL_EXECUTE_COMPLETE."""
        ended = event.get("Event-Date-Timestamp", "")
        if self.last_started_us is None or not ended.isdecimal():
            return 0.0
        return max(0, int(ended) - self.last_started_us) / 1_000_000

    def collect(self, prompt, *, min_digits=1, max_digits=1, timeout=5.0, terminators="#", regex=None,
                tries=3, invalid_prompt=None, digit_timeout=None) -> Collected:
        if not (1 <= min_digits <= max_digits <= 128 and 1 <= tries <= 10 and timeout > 0):
            raise ValueError("collect: need 1 <= min_digits <= max_digits <= 128, 1 <= tries <= 10")
        digit_timeout = timeout if digit_timeout is None else digit_timeout
        variable = "pbx_collected"
        arg = encode.args(min_digits, max_digits, tries, int(timeout * 1000), terminators or "none",
                          prompt, invalid_prompt or SILENCE, variable, regex or r"^[0-9*#]+$",
                          int(digit_timeout * 1000))
        limit = tries * (MAX_PLAY_SECONDS + timeout + max_digits * digit_timeout)
        event = self.execute("play_and_get_digits", arg, timeout=limit)
        return _collected(event, variable)

    def bridge(self, targets: Sequence[BridgeTarget | str], *, sequential=False, timeout=None,
               on_connected=None) -> BridgeOutcome:
        legs = [t if isinstance(t, BridgeTarget) else BridgeTarget(t) for t in targets]
        if not legs:
            raise ValueError("bridge: no targets")
        dial = ("|" if sequential else ",").join(_leg(leg) for leg in legs)  # checked before anything is sent
        self._prepare_bridge()
        if timeout is not None:
            self.set("call_timeout", str(int(timeout)))
        self._on_connected = on_connected
        try:
            event = self.execute("bridge", dial, timeout=MAX_BRIDGE_SECONDS)
        finally:
            self._on_connected = None
        variables = {k[9:]: v for k, v in event.items() if k.startswith("variable_")}
        return BridgeOutcome.from_variables(variables, event.get("Other-Leg-Unique-ID", ""), self.last_started_us,
                                            event.get("Caller-Channel-Bridged-Time", ""),
                                            event.get("Event-Date-Timestamp", ""))

    def _prepare_bridge(self):
        # The flow decides what happens after a bridge, not FreeSWITCH: keep the caller on a
        # failed attempt and after the callee hangs up.
        if not self._bridge_prepared:
            self.set("continue_on_fail", "true")
            self.set("hangup_after_bridge", "false")
            self._bridge_prepared = True

    def record(self, path, *, max_seconds=60, terminators="#", silence_seconds=3) -> Recording:
        self.set("playback_terminators", encode.token(terminators or "none", "terminators"))
        arg = encode.args(path, int(max_seconds), SILENCE_THRESHOLD, int(silence_seconds))
        event = self.execute("record", arg, timeout=max_seconds + self.command_timeout)
        return Recording(path, event.get("variable_playback_terminator_used", ""))

    def transfer(self, extension: str, context: str) -> None:
        # Every transfer a flow makes is one more routing hop, as the Router counts forwards: a
        # group whose no-answer destination leads back to itself ends at MAX_HOPS instead of looping.
        self._hops = self._hops_so_far() + 1
        self.set(channel_vars.HOPS, str(self._hops))
        self.execute("transfer", encode.args(extension, "XML", context))

    def ringing(self) -> list[RingingLeg]:
        if self.gone is not None:
            raise self.gone
        return RingingLeg.from_show_channels(self.conn.send("api show channels as json").data)

    def intercept(self, leg_uuid: str, picked_by: str = "") -> bool:
        # -bleg: take the partner of the ringing leg (the caller), not the ringing phone itself.
        # FreeSWITCH's intercept joins the two calls (uuid_bridge) and returns at once; the join
        # shows as CHANNEL_BRIDGE, and the conversation lasts until a hang-up ends this channel.
        if picked_by:  # the ringing leg's CDR then says who took the call (calllog.classify)
            self.conn.send(f"api uuid_setvar {encode.token(leg_uuid, 'uuid')} "
                           f"{encode.var_name(channel_vars.PICKED_UP_BY)} {encode.token(picked_by, 'user')}")
        joined = gevent.event.Event()
        self._on_connected = lambda other_uuid: joined.set()
        self._prepare_bridge()
        try:
            self.execute("intercept", encode.args("-bleg", encode.token(leg_uuid, "uuid")))
            if not joined.wait(timeout=INTERCEPT_JOIN_SECONDS):
                return False  # the leg stopped ringing meanwhile (answered, cancelled): nothing taken
        finally:
            self._on_connected = None
        self._until_hangup()
        return True

    def _until_hangup(self) -> None:
        """Wait while the call goes on without us; the hang-up raises CallGone (see _fail_all)."""
        if self.gone is not None:
            raise self.gone
        waiter = AsyncResult()
        key = str(uuid.uuid4())
        self._waiting[key] = waiter
        try:
            waiter.get(timeout=MAX_BRIDGE_SECONDS)
        except gevent.Timeout:
            raise CommandTimeout("the picked-up call to end") from None
        finally:
            self._waiting.pop(key, None)

    def _hops_so_far(self) -> int:
        if self._hops is not None:
            return self._hops
        try:
            return max(0, int(self.info.variables.get(channel_vars.HOPS) or 0))
        except ValueError:  # a mangled counter counts as many hops, never as a reset
            return 1000

    def set(self, name: str, value: str) -> None:
        self.execute("set", encode.assignment(name, value))

    def export(self, name: str, value: str) -> None:
        self.execute("export", encode.assignment(name, value))

    def get(self, name: str) -> str | None:
        if self.gone is not None:
            raise self.gone
        reply = self.conn.send(f"api uuid_getvar {encode.token(self.info.uuid)} {encode.var_name(name)}")
        return None if reply.data in ("_undef_", "") or reply.data.startswith("-ERR") else reply.data

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        try:
            self.execute("hangup", encode.token(cause, "cause"))
        except CallGone as gone:
            if isinstance(gone, CommandTimeout):
                raise


def _leg(leg: BridgeTarget) -> str:
    dial = encode.dial_target(leg.dial)
    return dialstrings.with_leg_variables({} if leg.timeout is None else {"leg_timeout": int(leg.timeout)}, dial)


def _collected(event: dict, variable: str) -> Collected:
    """FreeSWITCH's play_and_get_digits result, read as switch_play_and_get_digits leaves it:
    the variable holds good digits, except after a too-short last try (read_result failure);
    a regex mismatch clears it and fills `<variable>_invalid`; no input leaves neither."""
    digits = event.get(f"variable_{variable}", "")
    result = event.get("variable_read_result", "")
    terminator = event.get("variable_read_terminator_used", "")
    if digits and result != "failure":
        return Collected(digits, "success", terminator)
    if digits or event.get(f"variable_{variable}_invalid"):
        return Collected("", "failure", terminator)
    return Collected("", "timeout", terminator)
