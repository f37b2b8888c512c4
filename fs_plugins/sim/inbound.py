"""FreeSWITCH's inbound event socket (mod_event_socket, port 8021), as far as Centralita uses it.

Accepts `auth`, `event plain …`, `api …`, `bgapi …`, `sendevent NAME` (header lines follow; the
event is kept in the report and fired to subscribers, the reply is "+OK <event uuid>") and `exit`,
with FreeSWITCH's replies:
``auth/request`` on connect, ``command/reply`` (+OK accepted / -ERR invalid), ``api/response``
with a Content-Length body, ``text/disconnect-notice`` on exit or a bad password. Understood API
commands: `show channels as json` (the channels PhoneCalls started, in FreeSWITCH's columns),
`originate {vars}<dial> &socket(<host:port> async full)` (the phone answers or fails as
`outcomes` says; an answered call connects to that address as an outbound session emulated by
fs_plugins.sim.emulator, with a per-dial CallerScript), `xml_flush_cache …`, `module_exists <mod>` and `status`; others
get FreeSWITCH's "-ERR <cmd> Command not found!". `bgapi` replies at once with a Job-UUID and sends
BACKGROUND_JOB when done; CHANNEL_HANGUP_COMPLETE follows each originated call that ends, to
connections subscribed to it. `subscribe(subscriber, watched)` plays a phone's SUBSCRIBE: the
PRESENCE_PROBE sofia fires for it, to connections subscribed to PRESENCE_PROBE.

Like FreeSWITCH's `record` application, an originated call's `record` writes a WAV file (a tone
as long as the caller "talked") at the path it was given.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import uuid as uuidlib
from dataclasses import dataclass, field
from urllib.parse import quote

import gevent
import numpy as np
import soundfile
from gevent.server import StreamServer

from fs_plugins.sim.emulator import CallReport, CallSetup, Emulator
from fs_plugins.sim.script import CallerScript
from fs_plugins.sim.voicemail import VoicemailStore

log = logging.getLogger(__name__)
_ORIGINATE = re.compile(r"originate\s+(?:\{(?P<vars>[^}]*)\})?(?P<dial>\S+)\s+&socket\((?P<socket>[^)]*)\)\s*\Z")
DISCONNECT_BODY = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
LOADED_MODULES = ("mod_event_socket", "mod_sofia", "mod_commands", "mod_dptools", "mod_xml_curl", "mod_json_cdr",
                  "mod_voicemail", "mod_sndfile", "mod_tone_stream")
FAILURE_CAUSES = ("USER_NOT_REGISTERED", "USER_BUSY", "NO_ANSWER", "CALL_REJECTED", "SUBSCRIBER_ABSENT")


class RecordingEmulator(Emulator):
    """An originated leg: the outbound-session emulator, plus the file `record` writes."""

    def _execute(self, app: str, arg: str, app_uuid: str):
        start = self.now
        result = super()._execute(app, arg, app_uuid)
        if app == "record" and arg.split():
            seconds = max(self.now - start, 0.1)
            wave = 0.2 * np.sin(2 * np.pi * 300 * np.arange(int(8000 * seconds)) / 8000)
            soundfile.write(self.expand(arg.split()[0]), wave.astype("float32"), 8000, subtype="PCM_16")
        return result


@dataclass
class InboundReport:
    commands: list = field(default_factory=list)  # every command line received, passwords masked
    calls: list = field(default_factory=list)  # CallReport of each originated call that was answered
    originated: list = field(default_factory=list)  # (dial string, variables, outcome)
    events: list = field(default_factory=list)  # (name, [(header, value)]) of each sendevent


# FreeSWITCH's `channels` table (switch_core_sqldb.c), the columns of `show channels as json`, in order.
CHANNEL_COLUMNS = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num", "ip_addr", "dest",
    "application", "application_data", "dialplan", "context", "read_codec", "read_rate", "read_bit_rate",
    "write_codec", "write_rate", "write_bit_rate", "secure", "hostname", "presence_id", "presence_data",
    "accountcode", "callstate", "callee_name", "callee_num", "callee_direction", "call_uuid", "sent_callee_name",
    "sent_callee_num", "initial_cid_name", "initial_cid_num", "initial_ip_addr", "initial_dest", "initial_dialplan",
    "initial_context",
)


def show_channels_json(rows: list[dict]) -> str:
    """mod_commands' answer: every column a string (NULL as ""), `{"row_count": 0}` with a line break
    when there is no channel (show_as_json_callback and its caller in mod_commands.c)."""
    if not rows:
        return '{"row_count": 0}\n'
    full = [{column: str(row.get(column) or "") for column in CHANNEL_COLUMNS} for row in rows]
    return json.dumps({"row_count": len(full), "rows": full}, separators=(",", ":"))


def presence_probe(subscriber: str, watched: str, event: str, expires: int, call_id: str) -> list:
    """The headers of the PRESENCE_PROBE sofia fires for a SUBSCRIBE of `event` dialog or presence,
    in its order (sofia_presence.c; the profile named "internal")."""
    if event == "dialog":
        return [("probe-type", "dialog"), ("proto", "sip"), ("login", "internal"), ("from", subscriber),
                ("to", watched), ("proto-specific-event-name", "dialog"), ("expires", str(expires)),
                ("event_type", "presence"), ("alt_event_type", "dialog"), ("expires", str(expires)),
                ("sub-call-id", call_id)]
    return [("proto", "sip"), ("login", "internal"), ("presence-source", "subscribe"), ("from", subscriber),
            ("to", watched), ("expires", str(expires)), ("alt_event_type", "dialog"), ("rpid", "unknown"),
            ("status", "Registered"), ("sub-call-id", call_id)]


class InboundEmulator:
    def __init__(self, password: str = "ClueCon", outcomes: dict | None = None,
                 scripts: dict | None = None, default_script: CallerScript | None = None, host: str = "127.0.0.1"):
        self.password = password
        self.host = host
        self.channels: dict[str, dict] = {}  # uuid -> its row of `show channels` (PhoneCalls keeps them)
        self.outcomes = outcomes or {}  # dial string -> "answer" or a FAILURE_CAUSES cause
        self.scripts = scripts or {}  # dial string -> CallerScript of whoever answers
        self.default_script = default_script or CallerScript()
        self.report = InboundReport()
        self.address: tuple[str, int] | None = None
        self._server: StreamServer | None = None
        self._subscribers: list = []
        self._open: set = set()  # the client sockets connected now
        self._calls: list = []
        self.voicemail = VoicemailStore()  # mod_voicemail's messages, for its vm_fsdb_* API
        self.modules = set(LOADED_MODULES)  # what `module_exists` says is loaded
        self.registered: dict[str, str] = {}  # "ext@domain" -> the phone's SIP contact (sofia_contact)

    def start(self, port: int = 0) -> None:
        """Listen (on `port`: the same one again to play a FreeSWITCH that restarts)."""
        self._server = StreamServer((self.host, port), self._handle)
        self._server.start()
        self.address = self._server.address[:2]

    def stop(self, timeout: float = 2.0) -> None:
        gevent.joinall(self._calls, timeout=timeout)
        if self._server is not None:
            self._server.stop(timeout=timeout)
            self._server = None
        for sock in list(self._open):  # as FreeSWITCH stopping: its event socket clients are cut off
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_calls(self, timeout: float = 5.0) -> None:
        gevent.joinall(self._calls, timeout=timeout)

    # -- one client connection -----------------------------------------------------------------
    def _handle(self, sock, _address) -> None:
        session = _Session(self, sock)
        self._open.add(sock)
        try:
            session.run()
        finally:
            self._open.discard(sock)
            if session in self._subscribers:
                self._subscribers.remove(session)
            sock.close()

    def publish(self, name: str, headers: list, body: str = "") -> None:
        for session in list(self._subscribers):
            if name in session.events or "ALL" in session.events:
                session.send_event(name, headers, body)

    # -- originate -----------------------------------------------------------------------------
    def originate(self, arg: str) -> str:
        match = _ORIGINATE.match("originate " + arg)
        if match is None:
            return "-ERR INVALID_ARGS (the emulator originates only to &socket(host:port async full))\n"
        variables = dict(pair.split("=", 1) for pair in (match["vars"] or "").split(",") if "=" in pair)
        dial, socket_data = match["dial"], match["socket"]
        outcome = self.outcomes.get(dial, "answer")
        self.report.originated.append((dial, variables, outcome))
        if outcome != "answer":
            return f"-ERR {outcome}\n"
        host, _, rest = socket_data.partition(":")
        port = int(rest.split()[0])
        setup = CallSetup(caller_number=variables.get("origination_caller_id_number", "0000000000"),
                          caller_name=variables.get("origination_caller_id_name", "FreeSWITCH"),
                          domain=variables.get("pbx_tenant", "default"),
                          destination=dial.rsplit("/", 1)[-1].split("@")[0], variables=variables,
                          socket_data=socket_data)
        script = self.scripts.get(dial, self.default_script)
        self._calls.append(gevent.spawn(self._run_call, (host, port), setup, script))
        return f"+OK {setup.uuid}\n"

    def _run_call(self, address, setup: CallSetup, script: CallerScript) -> CallReport:
        report = RecordingEmulator(address, setup, script, idle_timeout=5).run()
        self.report.calls.append(report)
        self.publish("CHANNEL_HANGUP_COMPLETE", [("Unique-ID", setup.uuid),
                                                 ("Hangup-Cause", report.hangup_cause or "NORMAL_CLEARING")])
        return report

    def subscribe(self, subscriber: str, watched: str, event: str = "dialog", expires: int = 3600) -> str:
        """A phone `subscriber` (user@host) subscribes to `watched` (user@host): the PRESENCE_PROBE
        sofia fires (sofia_presence_handle_sip_i_subscribe), returned with its SUBSCRIBE's Call-ID."""
        call_id = str(uuidlib.uuid4())
        self.publish("PRESENCE_PROBE", presence_probe(subscriber, watched, event, expires, call_id))
        return call_id

    def api(self, command: str) -> str:
        name, _, arg = command.strip().partition(" ")
        if name == "originate":
            return self.originate(arg)
        if name == "xml_flush_cache":
            return "+OK\n"
        if name == "show" and arg.split() == ["channels", "as", "json"]:
            return show_channels_json(list(self.channels.values()))
        if name in VoicemailStore.COMMANDS:
            return self.voicemail.api(name, arg)
        if name == "module_exists":  # mod_commands: "true" or "false", no line break
            return "true" if arg.strip() in self.modules else "false"
        if name == "sofia_contact":  # mod_sofia's sofia_contact_function: "[profile/]ext@domain"
            contact = self.registered.get(arg.strip().rsplit("/", 1)[-1])
            return f"sofia/internal/{contact}" if contact else "error/user_not_registered"
        if name == "status":
            return "UP 0 years, 0 days, 0 hours, 0 minutes, 1 second\nFreeSWITCH (emulated) is ready\n"
        return f"-ERR {name} Command not found!\n"


class _Session:
    def __init__(self, emulator: InboundEmulator, sock):
        self.emulator, self.sock = emulator, sock
        self.authed = False
        self.events: set[str] = set()
        self.buffer = b""

    def run(self) -> None:
        self.write(b"Content-Type: auth/request\n\n")
        while True:
            line = self.read_command()
            if line is None:
                return
            shown = "auth ********" if line.startswith("auth ") else line
            self.emulator.report.commands.append(shown)
            if not self.dispatch(line):
                return

    def dispatch(self, line: str) -> bool:
        verb, _, rest = line.partition(" ")
        if verb == "auth":
            if rest != self.emulator.password:
                self.reply("-ERR invalid")
                self.disconnect()
                return False
            self.authed = True
            self.reply("+OK accepted")
        elif not self.authed:
            self.reply("-ERR command not found")
        elif verb == "exit":
            self.reply("+OK bye")
            self.disconnect()
            return False
        elif verb == "event":
            self.events |= set(rest.split()[1:])  # "plain NAME NAME"
            self.emulator._subscribers.append(self)
            self.reply(f"+OK event listener enabled {rest.split()[0] if rest else 'plain'}")
        elif verb == "api":
            body = self.emulator.api(rest).encode()
            self.write(b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body)
        elif verb == "sendevent":
            name, *lines = rest.split("\n")
            headers = [tuple(part.strip() for part in header.split(":", 1)) for header in lines if ":" in header]
            self.emulator.report.events.append((name.strip(), headers))
            self.emulator.publish(name.strip(), headers)
            self.reply(f"+OK {uuidlib.uuid4()}")
        elif verb == "bgapi":
            job = str(uuidlib.uuid4())
            self.write(f"Content-Type: command/reply\nReply-Text: +OK Job-UUID: {job}\nJob-UUID: {job}\n\n".encode())
            gevent.spawn(self._background, job, rest)
        else:
            self.reply("-ERR command not found")
        return True

    def _background(self, job: str, command: str) -> None:
        result = self.emulator.api(command)
        name, _, arg = command.partition(" ")
        self.emulator.publish("BACKGROUND_JOB", [("Job-UUID", job), ("Job-Command", name),
                                                 ("Job-Command-Arg", arg)], result)

    def send_event(self, name: str, headers: list, body: str = "") -> None:
        lines = [("Event-Name", name), *headers]
        text = "".join(f"{k}: {quote(str(v), safe='')}\n" for k, v in lines)
        if body:
            text += f"Content-Length: {len(body.encode())}\n\n{body}"
        else:
            text += "\n"
        data = text.encode()
        self.write(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(data) + data)

    def reply(self, text: str) -> None:
        self.write(f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode())

    def disconnect(self) -> None:
        self.write(b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(DISCONNECT_BODY)
                   + DISCONNECT_BODY)

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def read_command(self) -> str | None:
        while b"\n\n" not in self.buffer:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buffer += data.replace(b"\r\n", b"\n")
        frame, _, self.buffer = self.buffer.partition(b"\n\n")
        return frame.decode("utf-8", "replace").strip()
