"""The `featurecode` flow: a user dialled a code that changes their settings (*78, *72 number …).

The dialplan hands the call over with the feature as the flow's object and what followed the code
in pbx_feature_argument; the caller is the user our directory authenticated (pbx_user_id), which
must be of the call's tenant. The flow answers, makes the change through the application layer as
that user (the injected `dial`), and says what happened with FreeSWITCH's stock prompts in the
tenant's voice (the dialplan set sound_prefix), then hangs up. A refused change (a number the
user may not call, a malformed one) plays the invalid-entry prompt and stores nothing.
"""
from __future__ import annotations

import logging
from typing import Callable

from fs_plugins import channel_vars
from fs_plugins.channel import Channel, SessionInfo
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.featurecodes.kinds import CHANGES
from fs_plugins.featurecodes.rules import pickup_choice

log = logging.getLogger(__name__)

# (tenant domain, extension, feature, argument) -> what it did (featurecodes.app: FORWARD_SET, …)
Dial = Callable[[str, str, str, str], str]

# FreeSWITCH's stock sounds (freeswitch-sounds-en-us-callie, -es-ar-mario), relative to sound_prefix.
PROMPTS = {
    "forward_set": "ivr/ivr-call_forwarding_has_been_set.wav",
    "forward_cleared": "ivr/ivr-call_forwarding_has_been_cancelled.wav",
    "dnd_on": "ivr/ivr-dnd_activated.wav",
    "dnd_off": "ivr/ivr-dnd_cancelled.wav",
    "logged_in": "ivr/ivr-you_are_now_logged_in.wav",
    "logged_out": "ivr/ivr-you_are_now_logged_out.wav",
}
REFUSED = "ivr/ivr-that_was_an_invalid_entry.wav"
PAUSE = "silence_stream://500"  # a phone's audio path takes a moment to open after the answer


def featurecode_flow(dial: Dial):
    def run(channel: Channel, info: SessionInfo) -> None:
        extension, _, domain = info.variables.get(channel_vars.USER_ID, "").partition("@")
        if not extension or domain != info.tenant or info.flow_object not in CHANGES:
            raise NotFound("feature", f"feature code {info.flow_object!r} from {extension!r}@{domain!r} "
                                      f"in {info.tenant!r}: not one of ours")
        argument = info.variables.get(channel_vars.FEATURE_ARGUMENT, "")
        channel.answer()
        channel.play(PAUSE)
        try:
            done = dial(info.tenant, extension, info.flow_object, argument)
        except InvalidInput as exc:
            log.info("feature code %s of %s@%s refused: %s", info.flow_object, extension, domain, exc.message)
            channel.play(REFUSED)
        else:
            channel.play(PROMPTS[done])
        channel.hangup("NORMAL_CLEARING")

    return run


# (tenant domain, picker's extension, kinds.GROUP_PICKUP or the extension dialled) -> "ext@domain"
# of every user whose ringing calls the picker may take
Allowed = Callable[[str, str, str], frozenset]
NOTHING_TO_PICK_UP = REFUSED


def pickup_flow(allowed: Allowed):
    """*8 and **EXT: take the call ringing longest for a user the caller may pick up from, with
    FreeSWITCH's `intercept` (inside one FreeSWITCH: `show channels` lists this server's legs)."""
    def run(channel: Channel, info: SessionInfo) -> None:
        extension, _, domain = info.variables.get(channel_vars.USER_ID, "").partition("@")
        if not extension or domain != info.tenant:
            raise NotFound("user", f"call pickup from {extension!r}@{domain!r} in {info.tenant!r}: not one of ours")
        leg = pickup_choice(channel.ringing(), allowed(info.tenant, extension, info.flow_object),
                            f"{extension}@{domain}")
        if leg is not None:
            log.info("%s@%s picks up the call ringing %s (leg %s)", extension, domain, leg.presence_id, leg.uuid)
        if leg is None or not channel.intercept(leg.uuid, f"{extension}@{domain}"):
            channel.answer()
            channel.play(PAUSE)
            channel.play(NOTHING_TO_PICK_UP)
        channel.hangup("NORMAL_CLEARING")

    return run
