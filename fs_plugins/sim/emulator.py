"""A FreeSWITCH emulator for the outbound event socket: one emulated call per `Emulator`.

It connects to an ESL server the way the `socket` dialplan app does (`async full`), answers
`connect` with the channel data, and executes `sendmsg` commands by emitting the events the real
FreeSWITCH 1.11 emits (recordings: tests/fixtures/freeswitch/esl_outbound). Caller and callee
behaviour comes from a CallerScript. Time is virtual: an app "plays" for its duration in zero
real time; virtual time only moves when the application under test has been quiet for `quiet`
real seconds, so a 30 s menu runs in milliseconds while commands sent mid-app (a hangup during a
bridge, an api call) still land at the right moment.

Known differences from the real FreeSWITCH (what tests/test_sim_replay.py does not check):
  * Channel variables: only the variables a flow can read or a CDR uses are emitted (identity,
    dialplan variables, read/record/bridge results); FreeSWITCH adds ~100 SIP/RTP ones.
  * CHANNEL_PARK after `myevents` is raced in FreeSWITCH; the emulator sends it only with
    park_event=True. The linger notice always follows CHANNEL_HANGUP_COMPLETE (FreeSWITCH sends
    it sometimes between the two CHANNEL_STATE events).
  * The transient `originate_disposition=failure` / `DIALSTATUS=INVALIDARGS` on CHANNEL_PROGRESS
    during a bridge is not reproduced; events after the bridge carry the final values.
  * Simultaneous legs that all fail report NO_ANSWER if any leg rang out, else the last cause.
  * Keys pressed between applications (call parked) are dropped; not checked against FreeSWITCH
    (during `playback` FreeSWITCH too consumes keys that are not terminators).
  * Event-Date-* and Event-Sequence follow the virtual clock, not a wall clock.
  * playback_ms / playback_seconds are what was heard; a prompt a hang-up cut short reports it
    too, where FreeSWITCH counts its read-ahead (4096 ms of a tone cut at 2.5 s).
  * B legs exist only as the Other-Leg block; their own events (never part of myevents) are not made.
"""
from __future__ import annotations

import json
import logging
import math
import re
import uuid as uuidlib
from collections import deque

from gevent import socket

from fs_plugins.sim import events as ev
from fs_plugins.sim.apps import APPS
from fs_plugins.sim.call import CallReport, CallSetup, Command, initial_view
from fs_plugins.sim.script import DTMF_GAP, CallerScript

__all__ = ["CallReport", "CallSetup", "Emulator"]

log = logging.getLogger(__name__)
EXECUTE_DELAY = 0.02  # FreeSWITCH starts a queued app ~20 ms after the reply


class Emulator:
    def __init__(self, address, setup: CallSetup | None = None, script: CallerScript | None = None, *,
                 quiet: float = 0.005, idle_timeout: float = 10.0, park_event: bool = False,
                 record_frames: bool = False, epoch: float | None = None):
        self.address = address
        self.setup = setup or CallSetup()
        self.script = script or CallerScript()
        self.quiet, self.idle_timeout, self.park_event = quiet, idle_timeout, park_event
        self.record_frames = record_frames
        self.now = 0.0
        self.view = initial_view(self.setup, epoch)
        self.report = CallReport(self.setup.uuid)
        self.timeline = deque(self.script.timeline())
        self.digits_script = deque(self.script.digits)
        self.queue: deque = deque()
        self.events_on = self.as_json = False
        self.linger: float | None = None
        self.hangup_request: str | None = None
        # uuid_break: FreeSWITCH's CF_BREAK, which ends the playback running (or the next one)
        self.break_request = self.playing = False
        self.hung_up = self.closed = self.transferred = False
        self.bridged_leg: dict | None = None
        self.last_response = "_none_"
        self._rbuf = bytearray()
        self._cmds: deque = deque()
        self.sock = None
        self.socket_app_uuid = str(uuidlib.uuid4())
        self.filters: list[tuple[str, str]] = []  # with filters, only matching events are sent

    # -- running -----------------------------------------------------------------------------
    def run(self) -> CallReport:
        try:
            self.sock = socket.create_connection(self.address, timeout=self.idle_timeout)
            # Frames go out one write each; without this Nagle holds them for the peer's delayed ACK.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            self.step(f"socket: cannot connect ({exc}); dialplan continues with the fallback")
            self.report.refused = self.report.handed_back = True
            return self.report
        try:
            self._session()
        finally:
            self.sock.close()
        self.report.variables = {k: v for k, v in self.view.variables.items()
                                 if k not in ("current_application", "current_application_data")}
        return self.report

    def _session(self):
        first = self._read_command(self.idle_timeout)
        if first is None or first.name != "connect":
            self.report.refused = self.report.handed_back = True
            self.step("socket: connection closed before `connect`; dialplan continues with the fallback")
            return
        self._send(ev.connect_reply(self.view, self.now))
        while not self.closed:
            if self.hung_up:
                self._linger_phase()
            elif self.hangup_request:
                self._hangup_sequence(self.hangup_request)
            elif self.queue and not self.transferred:
                self._execute(*self.queue.popleft())
            else:
                outcome = self.advance(math.inf, wake_on_queue=not self.transferred)
                if outcome and outcome[0] == "idle":
                    self.step(f"emulator: no command for {self.idle_timeout} s; closing")
                    self._close()

    def step(self, text: str):
        self.report.steps.append((round(self.now, 3), text))

    # -- virtual time ------------------------------------------------------------------------
    def advance(self, seconds: float, wake_on_queue: bool = False):
        """Let up to `seconds` of virtual time pass while answering commands. Returns None when
        it all passed, else ("dtmf", key) | ("hangup", cause) | ("closed", "") | ("idle", "")."""
        deadline = self.now + seconds
        while True:
            if self.closed:
                return ("closed", "")
            if self.hangup_request and not self.hung_up:
                return ("hangup", self.hangup_request)
            if self.break_request and self.playing:
                return ("break", "")
            due = self.timeline[0] if self.timeline else None
            if due is None or due[0] > self.now:
                timed = deadline < math.inf or due is not None
                command = self._read_command(self.quiet if timed else self.idle_timeout)
                if command is not None:
                    self._handle(command)
                    if wake_on_queue and self.queue:
                        return ("queued", "")
                    continue
                if self.closed:
                    return ("closed", "")
                target = min(deadline, due[0] if due else math.inf)
                if target == math.inf:
                    return ("idle", "")
                self.now = max(self.now, target)
                if due is None or due[0] > self.now:
                    return None
            at, kind, value, source = self.timeline.popleft()
            if kind == "hangup":
                self.step("caller hangs up")
                self.report.caller_hung_up = True
                # A CANCEL before the answer ends the channel as ORIGINATOR_CANCEL (recorded: f1, f2).
                self.hangup_request = value if self.view.answer_state == "answered" else "ORIGINATOR_CANCEL"
                return ("hangup", self.hangup_request)
            duration = "2240" if source == "RTP" else "2000"
            self._emit("DTMF", tail=[("DTMF-Digit", value), ("DTMF-Duration", duration), ("DTMF-Source", source)])
            return ("dtmf", value)

    def schedule_keys(self, keys: str, start: float):
        items = list(self.timeline) + [(start + i * DTMF_GAP, "dtmf", k, self.script.dtmf_source)
                                       for i, k in enumerate(keys)]
        self.timeline = deque(sorted(items))

    # -- commands ----------------------------------------------------------------------------
    def _handle(self, cmd: Command):
        self.report.commands.append(cmd.name)
        name, _, rest = cmd.name.partition(" ")
        if name == "sendmsg":
            return self._sendmsg(cmd)
        if name == "api":
            return self._send(ev.api_response(self._api(rest)))
        if name == "exit":
            self._send(ev.reply("+OK bye") + ev.disconnect_notice(self.view))
            if not self.hung_up:
                self._socket_returns("the application sent exit")
            return self._close()
        self._send(ev.reply(self._simple(name, rest)))
        if name == "myevents" and self.park_event:
            self._emit("CHANNEL_PARK")

    def _simple(self, name: str, rest: str) -> str:
        """Replies worded as mod_event_socket.c's parse_command words them."""
        rest = rest.strip()
        if name == "myevents":
            if self.events_on:
                return "-ERR aready enabled."
            self.events_on, self.as_json = True, "json" in rest.lower()
            return "+OK Events Enabled"
        if name == "linger":
            self.linger = float(int(rest)) if rest else -1
            return f"+OK will linger {int(rest)} seconds" if rest else "+OK will linger"
        if name == "nolinger":
            self.linger = None
            return "+OK will not linger"
        if name == "resume":
            self.view.variables["socket_resume"] = "true"
            return "+OK"
        if name == "getvar":
            return self.view.variables.get(rest, "")
        if name == "filter":
            return self._filter(rest)
        if name == "event":
            words = rest.split()
            if not [w for w in words if w.lower() not in ("plain", "json", "xml")]:
                return "-ERR no keywords supplied"
            self.events_on = True
            return f"+OK event listener enabled {'json' if self.as_json else 'plain'}"
        if name == "divert_events":
            return "+OK events diverted" if rest == "on" else "+OK events not diverted"
        if name == "noevents":
            self.events_on = False
            return "+OK no longer listening for events"
        return "-ERR command not found"

    def _filter(self, rest: str) -> str:
        header, _, value = rest.partition(" ")
        if header.lower() == "delete":
            self.filters = [f for f in self.filters if f[0] != value.split(" ")[0]]
            return f"+OK filter deleted. [{value}]"
        if not header or not value:
            return "-ERR invalid syntax"
        self.filters.append((header, value))
        return f"+OK filter added. [{header}]=[{value}]"

    def _sendmsg(self, cmd: Command):
        self._send(ev.reply("+OK"))
        if self.hung_up:
            return  # recorded: +OK, nothing runs
        what = cmd.headers.get("call-command", "")
        if what == "execute":
            app_uuid = cmd.headers.get("Event-UUID") or str(uuidlib.uuid4())
            arg = cmd.headers.get("execute-app-arg", "") or cmd.body.decode()
            self.queue.append((cmd.headers.get("execute-app-name", ""), arg, app_uuid))
        elif what == "hangup" and not self.hangup_request:
            self.step(f"application hangs up ({cmd.headers.get('hangup-cause', 'NORMAL_CLEARING')})")
            self.hangup_request = cmd.headers.get("hangup-cause", "NORMAL_CLEARING")

    def _api(self, rest: str) -> str:
        parts = rest.split()
        if len(parts) == 3 and parts[0] == "uuid_getvar":
            if parts[1] != self.setup.uuid:
                return "-ERR No such channel!"
            return self.view.variables.get(parts[2], "_undef_")
        if len(parts) == 4 and parts[0] == "uuid_setvar":  # on a ringing leg of another call (pickup)
            row = next((row for row in self.script.ringing if row.get("uuid") == parts[1]), None)
            if row is None:
                return "-ERR No such channel!"
            row.setdefault("variables", {})[parts[2]] = parts[3]
            self.step(f"sets {parts[2]}={parts[3]} on {parts[1]}")
            return "+OK"
        if len(parts) == 2 and parts[0] == "uuid_break":  # mod_commands' break_function
            if parts[1] != self.setup.uuid:
                return "-ERR No such channel!\n"
            self.break_request = True
            self.step("uuid_break")
            return "+OK\n"
        if parts == ["show", "channels", "as", "json"]:  # this call's own leg is left out: it picks up
            rows = self.script.ringing
            return json.dumps({"row_count": len(rows), "rows": rows} if rows else {"row_count": 0})
        return f"-ERR {parts[0] if parts else ''} Command not found!\n"

    # -- applications ------------------------------------------------------------------------
    def _execute(self, app: str, arg: str, app_uuid: str):
        self.now += EXECUTE_DELAY
        data = self.expand(arg)
        app_headers = [("Application", app)] + ([("Application-Data", data)] if data else [])
        self._emit("CHANNEL_EXECUTE", tail=app_headers + [("Application-UUID", app_uuid)])
        handler = APPS.get(app)
        if handler is None:
            self.step(f"{app}: unknown application")
            response = "_none_"
        else:
            response = handler(self, data) or "_none_"
        self.last_response = response
        complete = app_headers + [("Application-Response", response), ("Application-UUID", app_uuid)]
        if self.hangup_request and not self.hung_up:
            return self._hangup_sequence(self.hangup_request, complete)
        self._emit("CHANNEL_EXECUTE_COMPLETE", tail=complete)
        if app == "transfer":
            self._socket_returns("transferred")
            self.transferred = True

    def expand(self, text: str) -> str:
        return re.sub(r"\$\{([A-Za-z0-9_]+)\}", lambda m: self.view.variables.get(m.group(1), ""), text)

    def answer(self):
        if self.view.answer_state in ("answered", "hangup"):
            return
        self.now += EXECUTE_DELAY
        self.early_media()
        if self.view.call_state != "RINGING" or self.setup.endpoint != "loopback":
            self.view.call_state = "EARLY"
        self.view.answer_state = "answered"
        self.report.answered_at = self.now
        self.view.profile["Channel-Answered-Time"] = self._stamp()
        self._emit("CHANNEL_ANSWER")
        self.view.call_state = "ACTIVE"

    def early_media(self):
        if not self.view.media:
            self.view.media = True
            self.view.answer_state = "early"
            self.view.profile["Channel-Progress-Media-Time"] = self._stamp()
            self._emit("CHANNEL_PROGRESS_MEDIA")

    # -- the end of the call -----------------------------------------------------------------
    def _hangup_sequence(self, cause: str, running=None):
        view = self.view
        view.hangup_cause, view.answer_state = cause, "hangup"
        view.profile["Channel-Hangup-Time"] = self._stamp()
        view.variables.update(hangup_cause=cause)
        self._emit("CHANNEL_HANGUP")
        if self.bridged_leg is not None:
            view.variables["bridge_hangup_cause"] = "NORMAL_CLEARING"
            self._emit("CHANNEL_UNBRIDGE", top=self._bridge_ids())
            self.bridged_leg = None
        if running is not None:
            self._emit("CHANNEL_EXECUTE_COMPLETE", tail=running)
        self._socket_complete()
        for state, call_state in (("CS_HANGUP", view.call_state), ("CS_REPORTING", "HANGUP")):
            view.state, view.call_state = state, call_state
            self._emit("CHANNEL_STATE")
        self._emit("CHANNEL_HANGUP_COMPLETE")
        self.hung_up = True
        self.report.hangup_cause = cause
        self.step(f"call hung up: {cause}")

    def _socket_complete(self):
        self._emit("CHANNEL_UNPARK")
        self._emit("CHANNEL_EXECUTE_COMPLETE", tail=[
            ("Application", "socket"), ("Application-Data", self.setup.socket_data),
            ("Application-Response", self.last_response), ("Application-UUID", self.socket_app_uuid)])

    def _socket_returns(self, why: str):
        if not self.transferred:
            self.report.handed_back = self.report.transfer is None
            self.step(f"socket app returns ({why}); the call continues in the dialplan")

    def _linger_phase(self):
        if self.linger is None:
            self._send(ev.disconnect_notice(self.view))
            return self._close()
        self._send(ev.disconnect_notice(self.view, self.linger))
        if self.linger < 0:  # plain linger: FreeSWITCH waits for the application forever
            while not self.closed:
                if self.advance(math.inf) == ("idle", ""):
                    return self._close()
            return
        self.advance(self.linger + 0.4)
        if not self.closed:
            self._send(ev.disconnect_notice(self.view))
            self._close()

    # -- plumbing ----------------------------------------------------------------------------
    def _bridge_ids(self):
        other = self.bridged_leg or self.view.other_leg or {}
        return [("Bridge-A-Unique-ID", self.setup.uuid), ("Bridge-B-Unique-ID", other.get("Unique-ID", ""))]

    def _stamp(self) -> str:
        return str(int((self.view.base_epoch + self.now) * 1_000_000))

    def emit(self, name: str, tail=(), top=()):
        self._emit(name, tail, top)

    def _emit(self, name: str, tail=(), top=()):
        if self.events_on and not self.closed:
            headers = ev.event_headers(self.view, name, self.now, tail, top)
            if self.filters and not any((k, v) in self.filters for k, v in headers):
                return
            self._send(ev.event_frame(headers, self.as_json))

    def _send(self, data: bytes):
        if self.closed:
            return
        if self.record_frames:
            self.report.frames.append(data)
        try:
            self.sock.sendall(data)
        except OSError:
            self._close(peer_gone=True)

    def _close(self, peer_gone: bool = False):
        if not self.closed:
            self.closed = True
            if peer_gone and not self.hung_up:
                self._socket_returns("the application closed the socket")
            self.sock.close()

    def _read_command(self, timeout: float) -> Command | None:
        if self._cmds:
            return self._cmds.popleft()
        if self.closed:
            return None
        self.sock.settimeout(timeout)
        while not self._cmds:
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except OSError:
                data = b""
            if not data:
                self._close(peer_gone=True)
                return None
            self._rbuf += data
            self._split_commands()
        return self._cmds.popleft()

    def _split_commands(self):
        while True:
            end = self._rbuf.find(b"\n\n")
            if end < 0:
                return
            lines = bytes(self._rbuf[:end]).decode("utf-8", "replace").split("\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(headers.get("Content-Length", "0") or 0)
            if len(self._rbuf) < end + 2 + length:
                return
            body = bytes(self._rbuf[end + 2:end + 2 + length])
            del self._rbuf[:end + 2 + length]
            self._cmds.append(Command(lines[0].strip(), headers, body))
