"""The emulator's dialplan side: post mod_xml_curl dialplan fetches to a WSGI app in-process and
run the actions it answers, the `socket` action through a real ESL server.

Requests are shaped like the recorded ones (tests/fixtures/freeswitch/xml_curl/04_*.json): the
same HTTP headers, the common event fields, Caller-*, Hunt-* and the channel's variables
(`variable_*`, including those set by earlier actions). A `transfer` fetches again in the new
context with Hunt-RDNIS / Hunt-Transfer-Source like FreeSWITCH.

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

from fs_plugins.sim.cdr import b_leg_body, cdr_body
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import FAILURES, CallerScript

log = logging.getLogger(__name__)
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
    def __init__(self, wsgi_app, esl_address, script: CallerScript | None = None, idle_timeout: float = 5.0):
        self.app, self.esl_address = wsgi_app, esl_address
        self.script = script or CallerScript()
        self.idle_timeout = idle_timeout

    def call(self, caller: Caller, destination: str, context: str | None = None) -> Simulation:
        """`context`: the caller's (its tenant) by default; "public" for a call from the carrier."""
        sim = Simulation()
        call = _Call(caller, str(uuidlib.uuid4()), dict(caller.variables))
        sim.uuid = call.uuid
        context = context or caller.domain or "public"
        for _ in range(MAX_FETCHES):
            actions = self._fetch(sim, call, context, destination)
            sim.steps.append(f"dialplan {context}/{destination}: " + "; ".join(f"{a} {d}".strip() for a, d in actions))
            outcome = self._run(sim, call, actions)
            if outcome is None:
                break
            destination, context = outcome
            call.transfers.append(f"{int(time.time())}:{call.uuid}:bl_xfer:{destination}/{context}/XML")
        else:
            sim.steps.append(f"stopped after {MAX_FETCHES} dialplan fetches (routing loop?)")
            sim.hangup_cause = "EXCHANGE_ROUTING_ERROR"
        if sim.hangup_cause is None:
            sim.hangup_cause = "NORMAL_CLEARING"
            sim.steps.append("dialplan ended: FreeSWITCH hangs up (NORMAL_CLEARING)")
        end = call.start + call.elapsed
        sim.cdr = cdr_body(call.uuid, call.variables, sim.hangup_cause, call.start, call.answered, end,
                           call.app_log, call.callflow)
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
                                                 "rdnis": form.get("Hunt-RDNIS", "")}})
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
            elif application == "bridge":
                ended = self._bridge(sim, call, data)
                if isinstance(ended, tuple):
                    return ended
                if ended:
                    return None
            elif application == "socket":
                outcome = self._socket(sim, call, data)
                if outcome != "continue":
                    return outcome
            else:
                sim.steps.append(f"{application} {data}".strip())
        return None

    def _bridge(self, sim, call, data) -> "bool | tuple[str, str]":
        """True when the call ended (answered, or failed for good), False to run the next action,
        or (extension, context) when `transfer_on_fail` takes the failed call elsewhere — the order
        of switch_channel_handle_cause: continue_on_fail (true or a list of causes), then the causes
        that never hang the A leg up, then transfer_on_fail, else hang up with the cause."""
        status, cause = bridge_outcome(data, self.script)
        sim.steps.append(f"bridge {data}: {status}")
        self._b_legs(sim, call, data, status)
        if status == "SUCCESS":
            talk = self.script.leg(data).talk or 5.0
            call.answered = call.answered or call.start + call.elapsed + 1.0
            call.elapsed += 1.0 + talk
            call.variables.update(originate_disposition="SUCCESS", DIALSTATUS="SUCCESS")
            sim.hangup_cause = "NORMAL_CLEARING"
            return True
        call.variables.update(originate_disposition=cause, last_bridge_hangup_cause=cause)
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

    def _b_legs(self, sim, call, data, status):
        """One B leg CDR per leg tried; the answering one talks, the others ring out or fail."""
        start = call.start + call.elapsed
        legs = [leg.split("]", 1)[-1] for group in data.split("|")
                for leg in (group.split("}", 1)[-1]).split(",")]
        winner = next((leg for leg in legs if self.script.leg(leg).outcome == "answer"), None) \
            if status == "SUCCESS" else None
        for leg in legs:
            outcome = self.script.leg(leg).outcome
            if outcome in ("not_registered", "not_found"):
                continue  # no channel is created
            if leg == winner:
                answered, end, cause = start + 1.0, start + 1.0 + (self.script.leg(leg).talk or 5.0), "NORMAL_CLEARING"
            else:
                answered, end = None, start + 1.0
                cause = "LOSE_RACE" if winner else FAILURES.get(outcome, ("NO_ANSWER",))[0]
            sim.b_legs.append(b_leg_body(call.uuid, leg, cause, start, answered, end, call.caller.number,
                                         call.caller.name or call.caller.number, call.caller.domain or "public"))

    def _socket(self, sim, call, data):
        sim.steps.append(f"socket {data} -> the ESL app (emulated call)")
        setup = CallSetup(caller_number=call.caller.number, caller_name=call.caller.name or call.caller.number,
                          domain=call.caller.domain or "public", destination=call.destination,
                          variables=dict(call.variables), uuid=call.uuid, socket_data=data)
        report = Emulator(self.esl_address, setup, self.script, idle_timeout=self.idle_timeout).run()
        sim.sessions.append(report)
        session_start = call.start + call.elapsed
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
            self.variables["transfer_history"] = "ARRAY::" + "|:".join(self.transfers) if len(self.transfers) > 1 \
                else self.transfers[0]
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
    for group in dial.split("|"):
        group = group.split("}", 1)[1] if group.startswith("{") else group
        outcomes = []
        for leg in group.split(","):
            leg = leg.split("]", 1)[1] if leg.startswith("[") else leg
            outcomes.append(script.leg(leg).outcome)
        if "answer" in outcomes:
            return "SUCCESS", "NORMAL_CLEARING"
        kind = "no_answer" if "no_answer" in outcomes else outcomes[-1]
        last = FAILURES[kind][0]
    return last, last
