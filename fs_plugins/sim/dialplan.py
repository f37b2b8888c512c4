"""The emulator's dialplan side: post mod_xml_curl dialplan fetches to a WSGI app in-process and
run the actions it answers, the `socket` action through a real ESL server.

Requests are shaped like the recorded ones (tests/fixtures/freeswitch/xml_curl/04_*.json): the
same HTTP headers, the common event fields, Caller-*, Hunt-* and the channel's variables
(`variable_*`, including those set by earlier actions). A `transfer` fetches again in the new
context with Hunt-RDNIS / Hunt-Transfer-Source like FreeSWITCH.

A dialplan `bridge` plays out in virtual time (fs_plugins.sim.ringing): legs ring, answer, fail
or lose the race as the script says; the caller may hang up while it rings (ORIGINATOR_CANCEL,
recv_cancel) or talks (recv_bye), and the callee may transfer the caller after answering (blind:
a new dialplan fetch with `bl_xfer` in transfer_history; attended: `uuid_br`, as recorded in
json_cdr_centralita i1/i2). `voicemail` answers and lasts until the caller hangs up.

Differences: only the fields routing uses are posted (FreeSWITCH sends ~166, mostly SIP details);
bridges in the dialplan are decided from the script without emulating the B legs' SIP.
"""
from __future__ import annotations

import io
import logging
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from lxml import etree

from fs_plugins.sim import dialstring, ringing
from fs_plugins.sim.cdr import b_leg_body, cdr_body
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.recording import Recorder, meta_runs, parse_meta_app
from fs_plugins.sim.script import DTMF_GAP, FAILURES, CallerScript

log = logging.getLogger(__name__)
GREETING_SECONDS = 2.0  # mod_voicemail's greeting and beep before the caller speaks
MAX_FETCHES = 40  # FreeSWITCH has no such limit; above the Router's own hop limit, so that one is what ends loops
HEADERS = {"HTTP_HOST": "127.0.0.1:18080", "HTTP_USER_AGENT": "freeswitch-xml/1.0", "HTTP_ACCEPT": "*/*",
           "CONTENT_TYPE": "application/x-www-form-urlencoded"}


@dataclass
class Caller:
    number: str
    name: str = ""
    domain: str = ""  # the tenant of a registered user; "" for a call from the carrier
    variables: dict = field(default_factory=dict)  # directory variables of the user (pbx_user_id, ...)


@dataclass
class Simulation:
    steps: list = field(default_factory=list)
    hangup_cause: str | None = None
    requests: list = field(default_factory=list)  # the posted forms, for tests
    sessions: list = field(default_factory=list)  # CallReport of each ESL session
    cdr: dict | None = None  # the A leg's mod_json_cdr body (fs_plugins.sim.cdr.post sends it)
    b_legs: list = field(default_factory=list)  # (uuid, body) of each leg a bridge created
    uuid: str = ""


class DialplanEmulator:
    def __init__(self, wsgi_app, esl_address, script: CallerScript | None = None, idle_timeout: float = 5.0,
                 record_files: bool = True):
        """`record_files`: write record_session's WAV files (False: only the CDR's record_* variables)."""
        self.app, self.esl_address = wsgi_app, esl_address
        self.script = script or CallerScript()
        self.idle_timeout = idle_timeout
        self.record_files = record_files

    def call(self, caller: Caller, destination: str, context: str | None = None) -> Simulation:
        """`context`: the caller's (its tenant) by default; "public" for a call from the carrier."""
        sim = Simulation()
        call = _Call(caller, str(uuidlib.uuid4()), dict(caller.variables))
        call.recorder = Recorder(call.uuid, write_files=self.record_files)
        sim.uuid = call.uuid
        context = context or caller.domain or "public"
        for _ in range(MAX_FETCHES):
            actions = self._fetch(sim, call, context, destination)
            sim.steps.append(f"dialplan {context}/{destination}: " + "; ".join(f"{a} {d}".strip() for a, d in actions))
            outcome = self._run(sim, call, actions)
            if outcome is None:
                break
            destination, context = outcome
            moment = call.start + call.elapsed
            if call.callflow:
                call.callflow[-1]["times"]["transfer_time"] = str(int(moment * 1e6))
            call.transfers.append(f"{int(moment)}:{uuidlib.uuid4()}:bl_xfer:{destination}/{context}/XML")
        else:
            sim.steps.append(f"stopped after {MAX_FETCHES} dialplan fetches (routing loop?)")
            sim.hangup_cause = "EXCHANGE_ROUTING_ERROR"
        if sim.hangup_cause is None:
            sim.hangup_cause = "NORMAL_CLEARING"
            sim.steps.append("dialplan ended: FreeSWITCH hangs up (NORMAL_CLEARING)")
        call.recorder.hangup(call.variables, call.elapsed)  # the media bugs close with the channel
        end = call.start + call.elapsed
        if call.caller_hung_up:
            disposition = "recv_bye" if call.answered else "recv_cancel"
        else:
            disposition = "send_bye" if call.answered else "send_refuse"
        sim.cdr = cdr_body(call.uuid, call.variables, sim.hangup_cause, call.start, call.answered, end,
                           call.app_log, call.callflow, sip_disposition=disposition)
        return sim

    # -- one fetch -----------------------------------------------------------------------------
    def _fetch(self, sim: Simulation, call: "_Call", context: str, destination: str) -> list[tuple[str, str]]:
        form = call.form(context, destination)
        sim.requests.append(form)
        call.callflow.append({"dialplan": "XML", "profile_index": str(len(call.callflow) + 1),
                              "extension": {"name": f"call-{destination}", "number": destination},
                              "caller_profile": {"username": call.caller.number, "caller_id_number": call.caller.number,
                                                 "destination_number": destination, "uuid": call.uuid,
                                                 "context": context, "chan_name": form["Channel-Name"],
                                                 "rdnis": form.get("Hunt-RDNIS", "")},
                              "times": {"created_time": str(int((call.start + call.elapsed) * 1e6)),
                                        "transfer_time": "0"}})
        body = urlencode(form).encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/xml_curl", "CONTENT_LENGTH": str(len(body)),
                   "wsgi.input": io.BytesIO(body), "SERVER_PROTOCOL": "HTTP/1.1", **HEADERS}
        status = []
        answer = b"".join(self.app(environ, lambda s, h, exc=None: status.append(s)))
        return parse_actions(answer, context)

    def _run(self, sim, call, actions):
        """Run actions; return (destination, context) for a transfer, else None when the call ended."""
        for application, data in actions:
            call.app_log.append({"app_name": application, "app_data": data,
                                 "app_stamp": str(int((call.start + call.elapsed) * 1e6))})
            if application == "answer" and call.answered is None:
                call.answered = call.start + call.elapsed
            if application in ("set", "export"):
                name, _, value = data.partition("=")
                call.variables[name] = value
            elif application == "hangup":
                sim.hangup_cause = data or "NORMAL_CLEARING"
                sim.steps.append(f"hangup {sim.hangup_cause}")
                return None
            elif application == "transfer":
                parts = data.split()
                sim.steps.append(f"transfer to {parts[0]} in {parts[2] if len(parts) > 2 else call.caller.domain}")
                return parts[0], parts[2] if len(parts) > 2 else call.caller.domain
            elif application == "unset":
                call.variables.pop(data, None)
            elif application == "record_session":
                sim.steps.append(call.recorder.start(data, call.variables, call.elapsed))
            elif application == "bind_meta_app":
                binding = parse_meta_app(data)
                if binding:
                    call.meta_apps[binding.key] = binding
            elif application == "bridge":
                ended = self._bridge(sim, call, data)
                if isinstance(ended, tuple):
                    return ended
                if ended:
                    return None
            elif application == "voicemail":
                self._voicemail(sim, call, data)
                return None
            elif application == "socket":
                outcome = self._socket(sim, call, data)
                if outcome != "continue":
                    return outcome
            else:
                sim.steps.append(f"{application} {data}".strip())
        return None

    def _bridge(self, sim, call, data) -> "bool | tuple[str, str]":
        """True when the call ended (answered, cancelled by the caller, or failed for good), False
        to run the next action, or (extension, context) when the call goes elsewhere: a blind
        transfer by the callee, or `transfer_on_fail` — the order of switch_channel_handle_cause:
        continue_on_fail (true or a list of causes), then the causes that never hang the A leg up,
        then transfer_on_fail, else hang up with the cause."""
        call_timeout = float(call.variables.get("call_timeout") or 60)
        run = None
        for group in dialstring.parse(data):
            start = call.elapsed
            hangup_at = call.hangup_moment(self.script)
            run = ringing.ring_group(group, self.script, call_timeout,
                                     None if hangup_at is None else max(0.0, hangup_at - start))
            call.elapsed = start + run.at
            if run.outcome != "failed":
                break
            self._post_legs(sim, call, start, run.legs)
        if run is None:
            return False
        sim.steps.append(f"bridge {data}: {'SUCCESS' if run.outcome == 'answered' else run.cause}")
        if run.outcome == "answered":
            return self._connected(sim, call, start, run)
        if run.outcome == "cancelled":
            self._post_legs(sim, call, start, run.legs)
            call.variables.update(originate_disposition="ORIGINATOR_CANCEL", DIALSTATUS="CANCEL")
            call.caller_hung_up = True
            sim.steps.append("caller hangs up while it rings (CANCEL)")
            sim.hangup_cause = "ORIGINATOR_CANCEL"
            return True
        cause = run.cause
        call.variables.update(originate_disposition=cause, last_bridge_hangup_cause=cause,
                              DIALSTATUS=dict(FAILURES.values()).get(cause, cause))
        continue_on_fail = call.variables.get("continue_on_fail", "")
        if continue_on_fail:
            if continue_on_fail == "true" or cause in continue_on_fail.split(","):
                return False
        elif cause in ("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"):
            return False
        on_fail = call.variables.get("transfer_on_fail", "").split(" ")
        if len(on_fail) == 4 and cause in on_fail[0].split(","):
            extension = cause if on_fail[1] == "auto_cause" else on_fail[1]
            sim.steps.append(f"transfer_on_fail: {cause} -> {extension} in {on_fail[3]}")
            return extension, on_fail[3]
        sim.hangup_cause = cause
        return True

    def _connected(self, sim, call, start, run) -> "bool | tuple[str, str]":
        """Talk until someone hangs up, or the callee transfers the caller (once per call)."""
        answered = start + run.at
        call.answered = call.answered or answered
        call.variables.update(originate_disposition="SUCCESS", DIALSTATUS="SUCCESS",
                              last_bridge_hangup_cause="NORMAL_CLEARING")
        winner, *others = run.legs
        self._post_legs(sim, call, start, others)
        callee_ends = answered + ringing.talk_seconds(self.script, run.winner)
        hangup_at = call.hangup_moment(self.script)
        transfer = self.script.transfer if not call.transferred else None
        moments = [(answered + transfer.after if transfer else None, "transfer"), (hangup_at, "caller"),
                   (callee_ends, "callee")]  # in a tie, the first of these happens
        end, who = min((m for m in moments if m[0] is not None and m[0] >= answered), key=lambda m: m[0])
        call.elapsed = end
        call.recorder.bridged.append((answered, end))
        self._meta_keys(sim, call, answered, end, self.script.leg(run.winner.target))
        sim.hangup_cause = "NORMAL_CLEARING"
        if who == "transfer" and transfer.kind == "attended":
            return self._attended(sim, call, start, winner, end, transfer, callee_ends)
        b_uuid = self._post_leg(sim, call, start, winner, end, "send_bye" if who != "callee" else "recv_bye")
        if who == "transfer":
            call.transferred = True
            sim.steps.append(f"  {run.winner.target} transfers the caller to {transfer.extension} (blind)")
            return transfer.extension, call.caller.domain
        call.caller_hung_up = who == "caller"
        sim.steps.append(f"  {'the caller' if who == 'caller' else run.winner.target} hangs up")
        return True

    def _meta_keys(self, sim, call, answered, end, callee) -> None:
        """The keys pressed while bridged (the caller's scripted dtmf, the callee's Leg.dtmf) that
        run a bind_meta_app application: record_session, on the A leg."""
        if not call.meta_apps:
            return
        origin = call.origin or 0.0
        presses = [(origin + at, key, "a") for at, kind, key, *_ in self.script.timeline() if kind == "dtmf"]
        presses += [(answered + at + i * DTMF_GAP, key, "b") for at, keys in callee.dtmf for i, key in enumerate(keys)]
        for moment, binding in meta_runs([p for p in presses if answered <= p[0] < end], call.meta_apps):
            if binding.application == "record_session":
                step = call.recorder.start(binding.argument, call.variables, moment)
                sim.steps.append(f"  *{binding.key} at {moment - answered:.1f} s of the bridge: {step}")

    def _attended(self, sim, call, start, winner, consult_at, transfer, callee_ends) -> bool:
        """att_xfer (recorded: json_cdr_centralita i2): the callee's channel calls the target; when
        the callee hangs up, FreeSWITCH bridges the caller to the target (uuid_br on both legs)."""
        call.transferred = True
        target = f"user/{transfer.extension}@{call.caller.domain}"
        spec = self.script.leg(target)
        if spec.outcome != "answer":
            sim.steps.append(f"  attended transfer to {transfer.extension}: {spec.outcome}; the call goes on")
            call.elapsed = max(callee_ends, consult_at)
            call.recorder.bridged.append((consult_at, call.elapsed))
            self._post_leg(sim, call, start, winner, call.elapsed, "recv_bye")
            return True
        target_answers = consult_at + (ringing.DEFAULT_RING["answer"] if spec.ring is None else spec.ring)
        joined = max(callee_ends, target_answers)
        end = target_answers + (ringing.DEFAULT_TALK if spec.talk is None else spec.talk)
        end = max(end, joined)
        callee_uuid = str(uuidlib.uuid4())
        consult_uuid = str(uuidlib.uuid4())
        epoch = int(call.start + joined)
        self._post_leg(sim, call, start, winner, joined, "recv_bye", uuid=callee_uuid)
        consult = ringing.LegRun(target, consult_at - start, target_answers - start, "NORMAL_CLEARING",
                                 target_answers - start)
        self._post_leg(sim, call, start, consult, end, "recv_bye", uuid=consult_uuid, originator=callee_uuid,
                       extra={"transfer_history": f"{epoch}:{uuidlib.uuid4()}:uuid_br:{call.uuid}"})
        call.transfers.append(f"{epoch}:{uuidlib.uuid4()}:uuid_br:{consult_uuid}")
        call.variables["transfer_history"] = call.history()
        call.recorder.bridged.append((consult_at, end))  # the caller stays bridged: callee, then target
        call.elapsed = end
        sim.steps.append(f"  attended transfer: consults {transfer.extension}, then bridges the caller to them")
        return True

    def _post_legs(self, sim, call, start, legs):
        for leg in legs:
            self._post_leg(sim, call, start, leg, start + leg.end,
                           "recv_refuse" if leg.cause in ("USER_BUSY", "CALL_REJECTED") else "send_cancel")

    def _post_leg(self, sim, call, start, leg, end, disposition, uuid=None, originator=None, extra=None) -> str:
        """One B leg's CDR; `start` and `end` are the call's virtual seconds, the leg's own relative to start."""
        answered = call.start + start + leg.answered if leg.answered is not None else None
        b_uuid, body = b_leg_body(originator or call.uuid, leg.dial, leg.cause, call.start + start + leg.start,
                                  answered, call.start + end, call.caller.number,
                                  call.caller.name or call.caller.number, call.caller.domain or "public",
                                  sip_disposition=disposition, uuid=uuid, extra={**leg.variables, **(extra or {})})
        sim.b_legs.append((b_uuid, body))
        return b_uuid

    def _voicemail(self, sim, call, data) -> None:
        """mod_voicemail: greeting, beep, the caller speaks, then hangs up (the caller ends these calls).
        `check …` (a user listening to a box): the caller listens, then hangs up; no message is left."""
        call.answered = call.answered or call.start + call.elapsed
        hangup_at = call.hangup_moment(self.script)
        if data.startswith("check "):
            end = hangup_at if hangup_at is not None and hangup_at >= call.elapsed else call.elapsed + self.script.talk_seconds
            sim.steps.append(f"voicemail {data}: the caller listens to the box for {int(end - call.elapsed)} s and hangs up")
            call.elapsed, call.caller_hung_up, sim.hangup_cause = end, True, "NORMAL_CLEARING"
            return
        end = call.elapsed + GREETING_SECONDS + self.script.talk_seconds
        if hangup_at is not None and hangup_at >= call.elapsed:
            end = hangup_at
        recorded = max(0, int(end - call.elapsed - GREETING_SECONDS))
        sim.steps.append(f"voicemail {data}: the caller leaves {recorded} s and hangs up")
        call.variables["voicemail_message_len"] = f"00:00:{recorded:02d}" if recorded else ""
        call.elapsed = end
        call.caller_hung_up = True
        sim.hangup_cause = "NORMAL_CLEARING"

    def _socket(self, sim, call, data):
        sim.steps.append(f"socket {data} -> the ESL app (emulated call)")
        setup = CallSetup(caller_number=call.caller.number, caller_name=call.caller.name or call.caller.number,
                          domain=call.caller.domain or "public", destination=call.destination,
                          variables=dict(call.variables), uuid=call.uuid, socket_data=data)
        if call.origin is None:
            call.origin = call.elapsed  # the script's times count from when the call reaches a flow
        report = Emulator(self.esl_address, setup, self.script, idle_timeout=self.idle_timeout).run()
        sim.sessions.append(report)
        session_start = call.start + call.elapsed
        for leg in report.legs:
            answered = session_start + leg["answered"] if leg["answered"] is not None else None
            if answered is not None:  # the flow bridged the caller to this leg
                call.recorder.bridged.append((call.elapsed + leg["answered"], call.elapsed + leg["end"]))
            sim.b_legs.append(b_leg_body(call.uuid, leg["dial"], leg["cause"], session_start + leg["start"], answered,
                                         session_start + leg["end"], call.caller.number,
                                         call.caller.name or call.caller.number, call.caller.domain or "public",
                                         sip_disposition=leg["sip_disposition"]))
        call.caller_hung_up = call.caller_hung_up or report.caller_hung_up
        call.elapsed += report.steps[-1][0] if report.steps else 0.0
        call.variables.update(report.variables)
        if report.answered_at is not None and call.answered is None:
            call.answered = session_start + report.answered_at
        sim.steps += [f"  {at:7.2f} s  {text}" for at, text in report.steps]
        if report.transfer:
            return report.transfer
        if report.hangup_cause:
            sim.hangup_cause = report.hangup_cause
            return None
        return "continue"  # handed back: the fallback actions run


@dataclass
class _Call:
    caller: Caller
    uuid: str
    variables: dict
    destination: str = ""
    transfers: list = field(default_factory=list)
    start: float = field(default_factory=time.time)
    elapsed: float = 0.0  # virtual seconds since the call started
    answered: float | None = None
    app_log: list = field(default_factory=list)
    callflow: list = field(default_factory=list)
    origin: float | None = None  # virtual seconds when the call reached its first flow
    caller_hung_up: bool = False
    transferred: bool = False  # the script's transfer happened (it happens once)
    recorder: Recorder = field(default_factory=Recorder)  # record_session's media bugs on this channel
    meta_apps: dict = field(default_factory=dict)  # bind_meta_app bindings by key

    def hangup_moment(self, script: CallerScript) -> float | None:
        """When the caller hangs up, in the call's virtual seconds (the script counts from the
        first flow, or from the start of a call that reaches none)."""
        if script.hangup_at is None:
            return None
        return (self.origin or 0.0) + script.hangup_at

    def history(self) -> str:
        """transfer_history as FreeSWITCH writes it: one entry, or ARRAY:: joined by |:."""
        return "ARRAY::" + "|:".join(self.transfers) if len(self.transfers) > 1 else self.transfers[0]

    def form(self, context: str, destination: str) -> dict:
        self.destination = destination
        now = time.time()
        c = self.caller
        name = c.name or c.number
        channel = f"sofia/internal/{c.number}@{c.domain}" if c.domain else f"sofia/external/{c.number}@127.0.0.1"
        form = {"hostname": "vm", "section": "dialplan", "tag_name": "", "key_name": "", "key_value": "",
                "Event-Name": "REQUEST_PARAMS", "Core-UUID": "5e1a0000-0000-4000-8000-000000000001",
                "FreeSWITCH-Hostname": "vm", "FreeSWITCH-Switchname": "vm", "FreeSWITCH-IPv4": "192.0.2.2",
                "FreeSWITCH-IPv6": "fd00::2", "Event-Date-Timestamp": str(int(now * 1e6)),
                "Event-Calling-File": "mod_dialplan_xml.c", "Event-Calling-Function": "dialplan_xml_locate",
                "Channel-State": "CS_ROUTING", "Channel-Call-State": "RINGING", "Channel-Name": channel,
                "Unique-ID": self.uuid, "Call-Direction": "inbound", "Answer-State": "ringing"}
        for prefix in ("Caller-", "Hunt-"):
            form.update({f"{prefix}Direction": "inbound", f"{prefix}Username": c.number, f"{prefix}Dialplan": "XML",
                         f"{prefix}Caller-ID-Name": name, f"{prefix}Caller-ID-Number": c.number,
                         f"{prefix}ANI": c.number, f"{prefix}Destination-Number": destination,
                         f"{prefix}Unique-ID": self.uuid, f"{prefix}Source": "mod_sofia",
                         f"{prefix}Context": context, f"{prefix}Channel-Name": channel})
        if self.transfers:
            form["Hunt-RDNIS"] = self.variables.get("pbx_first_destination", destination)
            form["Hunt-Transfer-Source"] = self.transfers[-1]
            self.variables["transfer_history"] = self.history()
        variables = {"direction": "inbound", "uuid": self.uuid, "call_uuid": self.uuid, "channel_name": channel,
                     "sip_from_user": c.number, "sip_req_user": destination, **self.variables}
        form.update({f"variable_{k}": v for k, v in variables.items()})
        return form


def parse_actions(document: bytes, context: str) -> list[tuple[str, str]]:
    """The actions of the first extension of `context` in an xml_curl dialplan answer."""
    try:
        root = etree.fromstring(document)
    except etree.XMLSyntaxError:
        return [("hangup", "NO_ROUTE_DESTINATION")]  # FreeSWITCH would fall back to its static XML
    if root.find(".//result[@status='not found']") is not None:
        return [("hangup", "NO_ROUTE_DESTINATION")]
    return [(a.get("application"), a.get("data") or "") for a in root.iter("action")]


def bridge_outcome(dial: str, script: CallerScript) -> tuple[str, str]:
    """(originate_disposition, cause) of a dialplan bridge, from the script's legs."""
    last = "NO_ANSWER"
    for group in dialstring.parse(dial):
        outcomes = [script.leg(leg.target).outcome for leg in group]
        if "answer" in outcomes:
            return "SUCCESS", "NORMAL_CLEARING"
        kind = "no_answer" if "no_answer" in outcomes else outcomes[-1]
        last = FAILURES[kind][0]
    return last, last
