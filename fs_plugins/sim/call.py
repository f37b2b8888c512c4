"""The emulated call: how the dialplan hands it over (CallSetup), what happened (CallReport), and
the channel it starts as (the caller profile and variables FreeSWITCH shows in the connect reply)."""
from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field

from fs_plugins.sim import events as ev


@dataclass
class CallSetup:
    """The call as the dialplan hands it to `socket`."""

    caller_number: str = "1001"
    caller_name: str = "1001"
    domain: str = "acme.example"
    destination: str = "9001"
    variables: dict = field(default_factory=dict)  # set by the dialplan before `socket`
    uuid: str = field(default_factory=lambda: str(uuidlib.uuid4()))
    socket_data: str = "127.0.0.1:18084 async full"
    endpoint: str = "sofia"  # "loopback": answers without early media, like mod_loopback


@dataclass
class CallReport:
    uuid: str
    steps: list = field(default_factory=list)  # (virtual seconds, text)
    played: list = field(default_factory=list)
    collected: list = field(default_factory=list)
    bridges: list = field(default_factory=list)  # (dial string, originate_disposition)
    transfer: tuple | None = None
    hangup_cause: str | None = None
    handed_back: bool = False  # the socket app returned with the call up: the fallback runs
    refused: bool = False  # the server closed before `connect`
    commands: list = field(default_factory=list)
    frames: list = field(default_factory=list)  # bytes sent, when record_frames
    variables: dict = field(default_factory=dict)  # the channel's variables when the session ended
    answered_at: float | None = None  # virtual seconds
    legs: list = field(default_factory=list)  # B legs bridges created (fs_plugins.sim.bridge._b_leg), for CDRs
    caller_hung_up: bool = False  # the caller ended the call (BYE, or CANCEL before an answer)

    def lines(self) -> list[str]:
        """What happened, a line per step with its virtual time (what `ivr try` and `flow try` print)."""
        lines = [f"{at:8.2f} s  {text}" for at, text in self.steps]
        if self.handed_back:
            lines.append("    (the ESL session handed the call back to the dialplan's fallback)")
        return lines


@dataclass
class Command:
    name: str
    headers: dict
    body: bytes = b""


def initial_view(setup: CallSetup, epoch: float | None) -> ev.ChannelView:
    user, domain = setup.caller_number, setup.domain
    channel_name = f"sofia/internal/{user}@{domain}"
    profile = {
        "Direction": "inbound", "Logical-Direction": "inbound", "Username": user, "Dialplan": "XML",
        "Caller-ID-Name": setup.caller_name, "Caller-ID-Number": user, "Orig-Caller-ID-Name": setup.caller_name,
        "Orig-Caller-ID-Number": user, "Network-Addr": "127.0.0.1", "ANI": user,
        "Destination-Number": setup.destination, "Unique-ID": setup.uuid, "Source": "mod_sofia",
        "Context": domain, "Channel-Name": channel_name, "Profile-Index": "1",
    }
    view = ev.ChannelView(setup.uuid, "5e1a0000-0000-4000-8000-000000000001", profile, {}, channel_name)
    if epoch is not None:
        view.base_epoch = epoch
    created = str(int(view.base_epoch * 1_000_000))
    for name in PROFILE_TIMES:
        profile[name] = created if name in ("Profile-Created-Time", "Channel-Created-Time") else "0"
    profile.update({"Screen-Bit": "true", "Privacy-Hide-Name": "false", "Privacy-Hide-Number": "false"})
    view.variables.update({
        "direction": "inbound", "uuid": setup.uuid, "session_id": "1", "sip_from_user": user,
        "sip_from_uri": f"{user}@{domain}", "sip_from_host": domain, "channel_name": channel_name,
        "sip_network_ip": "127.0.0.1", "sip_authorized": "true", "user_context": domain,
        "effective_caller_id_name": setup.caller_name, "effective_caller_id_number": user,
        "user_name": user, "domain_name": domain, "sip_req_user": setup.destination,
        "sip_to_user": setup.destination, "presence_id": f"{user}@{domain}", "call_uuid": setup.uuid,
    })
    if setup.endpoint == "loopback":  # as `originate loopback/<ext>/<context>` creates the -b leg
        for name in ("Username", "Caller-ID-Name", "Orig-Caller-ID-Name", "Network-Addr"):
            profile.pop(name)
        view.channel_name = profile["Channel-Name"] = f"loopback/{setup.destination}-b"
        profile.update({"Callee-ID-Name": "Outbound Call", "Callee-ID-Number": domain, "Source": "mod_loopback",
                        "Caller-ID-Number": "0000000000", "Orig-Caller-ID-Number": "0000000000",
                        "ANI": "0000000000", "Dialplan": "xml"})
        view.media = True
        del view.variables["presence_id"]
    view.variables.update(setup.variables)
    view.variables.update({"current_application_data": setup.socket_data, "current_application": "socket",
                           "socket_host": setup.socket_data.split(":")[0]})
    return view


PROFILE_TIMES = ("Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time", "Channel-Progress-Time",
                 "Channel-Progress-Media-Time", "Channel-Hangup-Time", "Channel-Transfer-Time",
                 "Channel-Resurrect-Time", "Channel-Bridged-Time", "Channel-Last-Hold", "Channel-Hold-Accum")
