"""Frames shaped like FreeSWITCH 1.11's, header for header (checked against the recordings in
tests/fixtures/freeswitch/esl_outbound by tests/test_sim_replay.py).

Event bodies list headers in FreeSWITCH's order: the event's own header block, the channel
block, the caller profile (and the other leg's once bridged), the channel variables, then the
event's specific headers. Values are URL-encoded like switch_url_encode does (letters, digits
and `( ) , - . / _` stay as they are).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import quote

PROFILE_FIELDS = (
    "Direction", "Logical-Direction", "Username", "Dialplan", "Caller-ID-Name", "Caller-ID-Number",
    "Orig-Caller-ID-Name", "Orig-Caller-ID-Number", "Callee-ID-Name", "Callee-ID-Number", "Network-Addr",
    "ANI", "Destination-Number", "Unique-ID", "Source", "Context", "Channel-Name", "Profile-Index",
    "Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time", "Channel-Progress-Time",
    "Channel-Progress-Media-Time", "Channel-Hangup-Time", "Channel-Transfer-Time", "Channel-Resurrect-Time",
    "Channel-Bridged-Time", "Channel-Last-Hold", "Channel-Hold-Accum", "Screen-Bit", "Privacy-Hide-Name",
    "Privacy-Hide-Number",
)
STATE_NUMBERS = {"CS_EXECUTE": "4", "CS_HANGUP": "10", "CS_REPORTING": "11"}
CODEC = (("Read-Codec-Name", "PCMU"), ("Read-Codec-Rate", "8000"), ("Read-Codec-Bit-Rate", "64000"),
         ("Write-Codec-Name", "PCMU"), ("Write-Codec-Rate", "8000"), ("Write-Codec-Bit-Rate", "64000"))
CALLING = {  # where FreeSWITCH raises each event (Event-Calling-File/Function/Line-Number)
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", "2029"),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", "1002"),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", "1213"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2949"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2972"),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", "3507"),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", "3562"),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3848"),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", "3447"),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2409"),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", "943"),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", "678"),
}
NO_VARIABLES = ("CHANNEL_STATE", "DTMF")
DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def encode(text: str) -> str:
    return quote(str(text), safe="(),/")


@dataclass
class ChannelView:
    """The state of the emulated channel that events report."""

    uuid: str
    core_uuid: str
    profile: dict
    variables: dict
    channel_name: str
    state: str = "CS_EXECUTE"
    call_state: str = "RINGING"
    answer_state: str = "ringing"
    hangup_cause: str = ""
    media: bool = False
    other_leg: dict | None = None
    base_epoch: float = field(default_factory=time.time)
    sequence: int = 500


def _common(view: ChannelView, name: str, now: float) -> list[tuple[str, str]]:
    stamp = view.base_epoch + now
    view.sequence += 1
    calling = CALLING.get(name, ("switch_channel.c", "switch_channel_event_set_data", "1"))
    return [
        ("Event-Name", name), ("Core-UUID", view.core_uuid), ("FreeSWITCH-Hostname", "vm"),
        ("FreeSWITCH-Switchname", "vm"), ("FreeSWITCH-IPv4", "192.0.2.2"), ("FreeSWITCH-IPv6", "fd00::2"),
        ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))),
        ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(stamp))),
        ("Event-Date-Timestamp", str(int(stamp * 1_000_000))), ("Event-Calling-File", calling[0]),
        ("Event-Calling-Function", calling[1]), ("Event-Calling-Line-Number", calling[2]),
        ("Event-Sequence", str(view.sequence)),
    ]


def _profile(prefix: str, profile: dict, skip=()) -> list[tuple[str, str]]:
    return [(prefix + f, profile[f]) for f in PROFILE_FIELDS if f in profile and f not in skip]


def _channel_block(view: ChannelView) -> list[tuple[str, str]]:
    headers = [
        ("Channel-State", view.state), ("Channel-Call-State", view.call_state),
        ("Channel-State-Number", STATE_NUMBERS.get(view.state, "4")), ("Channel-Name", view.channel_name),
        ("Unique-ID", view.uuid), ("Call-Direction", "inbound"), ("Presence-Call-Direction", "inbound"),
        ("Channel-HIT-Dialplan", "true"), ("Channel-Presence-ID", view.variables.get("presence_id")),
        ("Channel-Call-UUID", view.uuid), ("Answer-State", view.answer_state),
    ]
    headers = [(k, v) for k, v in headers if v is not None]
    if view.hangup_cause:
        headers.append(("Hangup-Cause", view.hangup_cause))
    if view.media:
        headers += [("Channel-" + k, v) for k, v in CODEC]
    return headers


def event_headers(view: ChannelView, name: str, now: float, tail=(), top=()) -> list[tuple[str, str]]:
    headers = _common(view, name, now) + list(top)
    if name == "CHANNEL_HANGUP_COMPLETE":
        headers.append(("Hangup-Cause", view.hangup_cause))
    headers += _channel_block(view)
    headers += _profile("Caller-", view.profile)
    if view.other_leg is not None:
        headers.append(("Other-Type", "originatee"))
        headers += _profile("Other-Leg-", view.other_leg, skip=("Profile-Index",))
    if name not in NO_VARIABLES:
        headers += [("variable_" + k, v) for k, v in view.variables.items()]
    return headers + list(tail)


def connect_reply(view: ChannelView, now: float) -> bytes:
    """The reply to `connect`: CHANNEL_DATA and the command reply in one block, all encoded."""
    headers = _common(view, "CHANNEL_DATA", now)
    headers += _profile("Channel-", view.profile)
    headers += _channel_block(view) + _profile("Caller-", view.profile)
    headers += [("variable_" + k, v) for k, v in view.variables.items()]
    headers += [("Content-Type", "command/reply"), ("Reply-Text", "+OK\n"), ("Socket-Mode", "async"),
                ("Control", "full")]
    return "".join(f"{k}: {encode(v)}\n" for k, v in headers).encode() + b"\n"


def event_frame(headers: list[tuple[str, str]], as_json: bool = False) -> bytes:
    if as_json:
        body = json.dumps(dict(headers)).encode()
        kind = "text/event-json"
    else:
        body = ("".join(f"{k}: {encode(v)}\n" for k, v in headers) + "\n").encode()
        kind = "text/event-plain"
    return f"Content-Length: {len(body)}\nContent-Type: {kind}\n\n".encode() + body


def reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return f"Content-Type: api/response\nContent-Length: {len(data)}\n\n".encode() + data


def disconnect_notice(view: ChannelView, linger: float | None = None) -> bytes:
    if linger is not None:
        return (f"Content-Type: text/disconnect-notice\nControlled-Session-UUID: {view.uuid}\n"
                f"Content-Disposition: linger\nChannel-Name: {view.channel_name}\n"
                f"Linger-Time: {int(linger) if linger >= 0 else -1}\nContent-Length: 0\n\n").encode()
    return (f"Content-Type: text/disconnect-notice\nControlled-Session-UUID: {view.uuid}\n"
            f"Content-Disposition: disconnect\nContent-Length: {len(DISCONNECT_BODY)}\n\n{DISCONNECT_BODY}").encode()
