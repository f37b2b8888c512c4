"""The mod_json_cdr posts FreeSWITCH sends when the emulated call's legs end.

Shaped like tests/fixtures/freeswitch/json_cdr: `POST <path>?uuid=<uuid>` with exactly the headers
Host, User-Agent: freeswitch-json/1.0, Accept: */*, Content-Type: application/json,
Content-Length; a compact single-line JSON body with the keys core-uuid, switchname,
channel_data, callStats, variables (all strings), app_log and callflow (newest first).

B legs are made for every channel a bridge created, in the dialplan or by a flow over ESL, and for
the consultation call of an attended transfer (it names the callee's leg as its originator, as
recorded). Differences: RTP statistics are zeros; SIP variables are limited to those the
emulator tracks; B legs carry no SIP details.
"""
from __future__ import annotations

import base64
import io
import json
import time
import uuid as uuidlib

CORE_UUID = "5e1a0000-0000-4000-8000-000000000001"
Q850 = {"NORMAL_CLEARING": "16", "USER_BUSY": "17", "NO_ANSWER": "19", "CALL_REJECTED": "21",
        "UNALLOCATED_NUMBER": "1", "NO_ROUTE_DESTINATION": "3", "ORIGINATOR_CANCEL": "487",
        "OUTGOING_CALL_BARRED": "52", "DESTINATION_OUT_OF_ORDER": "27", "NORMAL_TEMPORARY_FAILURE": "41",
        "USER_NOT_REGISTERED": "606", "SUBSCRIBER_ABSENT": "20"}


def cdr_body(uuid: str, variables: dict, hangup_cause: str, start: float, answered: float | None, end: float,
             app_log: list, callflow: list, sip_disposition: str | None = None) -> dict:
    """`sip_disposition`: who ended the call (recv_bye/recv_cancel: the caller); by default FreeSWITCH did."""
    stamps = {"start": start, "answer": answered, "end": end}
    times = {}
    for name, moment in stamps.items():
        micros = int(moment * 1_000_000) if moment else 0
        times[f"{name}_stamp"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment)) if moment else ""
        times[f"{name}_epoch"], times[f"{name}_uepoch"] = str(micros // 1_000_000), str(micros)
    duration = int(end - start)
    billsec = int(end - answered) if answered else 0
    all_vars = {**{k: str(v) for k, v in variables.items()}, "uuid": uuid, "call_uuid": uuid,
                "hangup_cause": hangup_cause, "hangup_cause_q850": Q850.get(hangup_cause, "16"),
                "sip_hangup_disposition": sip_disposition or ("send_bye" if answered else "send_refuse"), **times,
                "duration": str(duration), "billsec": str(billsec),
                "answersec": str(int(answered - start)) if answered else "0",
                "last_app": app_log[-1]["app_name"] if app_log else "",
                "last_arg": app_log[-1]["app_data"] if app_log else ""}
    return {
        "core-uuid": CORE_UUID,
        "switchname": "vm",
        "channel_data": {"state": "CS_REPORTING", "direction": "inbound", "state_number": "11", "flags": "",
                         "caps": ""},
        "callStats": {"audio": {"inbound": {"raw_bytes": 0, "media_bytes": 0, "packet_count": 0, "mos": 4.5},
                                "outbound": {"raw_bytes": 0, "media_bytes": 0, "packet_count": 0}}},
        "variables": all_vars,
        "app_log": {"applications": app_log},
        "callflow": list(reversed(callflow)),
    }


def post(app, body: dict, uuid: str, path: str = "/cdr", host: str = "127.0.0.1:18082",
         credentials: tuple[str, str] | None = None) -> str:
    """POST one CDR to a WSGI app in-process, as mod_json_cdr does; returns the HTTP status."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": f"uuid={uuid}",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host, "HTTP_USER_AGENT": "freeswitch-json/1.0",
               "HTTP_ACCEPT": "*/*", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw)),
               "wsgi.input": io.BytesIO(raw), "REMOTE_ADDR": "127.0.0.1"}
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
    status = []
    b"".join(app(environ, lambda s, headers, exc=None: status.append(s)))
    return status[0] if status else ""


def b_leg_body(a_uuid: str, dial: str, hangup_cause: str, start: float, answered: float | None, end: float,
               caller_number: str, caller_name: str, context: str, sip_disposition: str | None = None,
               uuid: str | None = None, extra: dict | None = None) -> tuple[str, dict]:
    """(uuid, body) of a leg FreeSWITCH created for `bridge <dial>`: outbound, naming the leg that
    originated it (the A leg; for att_xfer the callee's leg) in originating_leg_uuid/originator,
    with dialed_user/dialed_domain for user/ endpoints. `sip_disposition` as recorded: send_cancel
    (rang out, lost the race, caller cancelled), recv_refuse (busy, declined), recv_bye (the callee
    hung up), send_bye (FreeSWITCH hung it up: the caller ended, or a transfer took the caller away)."""
    b_uuid = uuid or str(uuidlib.uuid4())
    target = dial.split("/", 1)[-1]
    user, _, domain = target.partition("@")
    variables = {"direction": "outbound", "is_outbound": "true", "uuid": b_uuid,
                 "channel_name": f"sofia/internal/{user}@127.0.0.1", "originating_leg_uuid": a_uuid,
                 "originator": a_uuid, "originate_endpoint": dial.split("/", 1)[0]}
    if dial.startswith("user/"):
        variables.update(dialed_user=user, dialed_domain=domain)
    variables.update(extra or {})
    body = cdr_body(b_uuid, variables, hangup_cause, start, answered, end, [], [{
        "dialplan": "XML", "profile_index": "1",
        "caller_profile": {"username": caller_number, "caller_id_name": caller_name, "caller_id_number": caller_number,
                           "destination_number": user, "uuid": b_uuid, "context": context,
                           "chan_name": variables["channel_name"], "originator": {"originator_caller_profiles": []}}}])
    body["channel_data"]["direction"] = "outbound"
    del body["app_log"]  # recorded: B legs run no dialplan applications
    body["variables"]["sip_hangup_disposition"] = sip_disposition or ("recv_bye" if answered else "send_cancel")
    if hangup_cause in ("ORIGINATOR_CANCEL",):  # recorded (f1): the cancelled leg names the cause it ended with
        body["variables"]["last_bridge_hangup_cause"] = hangup_cause
    return b_uuid, body
