"""Channel events of phones' calls, published on the emulated inbound event socket.

Call groups learn which members are on a call from FreeSWITCH's CHANNEL_CREATE / CHANNEL_ANSWER /
CHANNEL_HANGUP_COMPLETE events (fs_plugins.groups.busy). `PhoneCalls` makes those events for calls
the tests or `centralita simulate` invent ("1002 is on the phone from 3 s to 40 s"), with the
variables the real events carry for a user's own call (`variable_pbx_user_id`, a directory
variable of ours) or a call ringing the user (`variable_dialed_user`, `variable_dialed_domain` set
by the user/ endpoint, and `variable_pbx_leg_user`, which Centralita puts on every leg it dials to a
user; a leg reaching the phone through a proxy carries only ours). While a call lasts it is also a
row of the emulator's `show channels as json`, with the presence_id the user's dial string sets.
"""
from __future__ import annotations

import time
import uuid as uuidlib

from fs_plugins import channel_vars
from fs_plugins.sim.inbound import InboundEmulator


class PhoneCalls:
    def __init__(self, emulator: InboundEmulator):
        self.emulator = emulator

    def starts(self, extension: str, domain: str, *, ringing_them: bool = False, answered: bool = True,
               via_proxy: bool = False) -> str:
        """A call of this user begins (their own call, or one ringing them); returns its uuid."""
        uuid, user = str(uuidlib.uuid4()), f"{extension}@{domain}"
        if ringing_them:
            variables = [(f"variable_{channel_vars.LEG_USER}", user)]
            if not via_proxy:
                variables += [("variable_dialed_user", extension), ("variable_dialed_domain", domain)]
        else:
            variables = [(f"variable_{channel_vars.USER_ID}", user)]
        now = time.time()
        headers = [("Unique-ID", uuid), ("Caller-Username", extension),
                   ("Event-Date-Timestamp", str(int(now * 1_000_000))), *variables]
        self.emulator.channels[uuid] = {
            "uuid": uuid, "direction": "outbound" if ringing_them else "inbound", "created_epoch": int(now),
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)), "state": "CS_EXECUTE",
            "name": f"sofia/internal/{user}", "cid_num": extension, "presence_id": user, "hostname": "vm",
            "callstate": "ACTIVE" if answered else "RINGING", "call_uuid": uuid}
        self.emulator.publish("CHANNEL_CREATE", headers)
        if answered:
            self.emulator.publish("CHANNEL_ANSWER", headers)
        return uuid

    def ends(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.emulator.channels.pop(uuid, None)
        self.emulator.publish("CHANNEL_HANGUP_COMPLETE", [("Unique-ID", uuid), ("Hangup-Cause", cause)])
