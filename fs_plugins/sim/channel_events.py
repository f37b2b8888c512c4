"""Channel events of phones' calls, published on the emulated inbound event socket.

Call groups learn which members are on a call from FreeSWITCH's CHANNEL_CREATE / CHANNEL_ANSWER /
CHANNEL_HANGUP_COMPLETE events (fs_plugins.groups.busy). `PhoneCalls` makes those events for calls
the tests or `centralita simulate` invent ("1002 is on the phone from 3 s to 40 s"), with the
variables the real events carry for a user's own call (`variable_pbx_user_id`, a directory
variable of ours) or a call ringing the user (`variable_dialed_user`, `variable_dialed_domain`).
"""
from __future__ import annotations

import uuid as uuidlib

from fs_plugins import channel_vars
from fs_plugins.sim.inbound import InboundEmulator


class PhoneCalls:
    def __init__(self, emulator: InboundEmulator):
        self.emulator = emulator

    def starts(self, extension: str, domain: str, *, ringing_them: bool = False, answered: bool = True) -> str:
        """A call of this user begins (their own call, or one ringing them); returns its uuid."""
        uuid = str(uuidlib.uuid4())
        if ringing_them:
            variables = [("variable_dialed_user", extension), ("variable_dialed_domain", domain)]
        else:
            variables = [(f"variable_{channel_vars.USER_ID}", f"{extension}@{domain}")]
        headers = [("Unique-ID", uuid), ("Caller-Username", extension), *variables]
        self.emulator.publish("CHANNEL_CREATE", headers)
        if answered:
            self.emulator.publish("CHANNEL_ANSWER", headers)
        return uuid

    def ends(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.emulator.publish("CHANNEL_HANGUP_COMPLETE", [("Unique-ID", uuid), ("Hangup-Cause", cause)])
