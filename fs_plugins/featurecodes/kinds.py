"""The words of feature codes: each feature, the code it has unless the tenant changes it, and what
may follow the code. In a module of their own so the model, the rules and the front ends share
them without importing each other.

The defaults are those most hosted PBXs ship (FreePBX, FusionPBX), so a user who has had a desk
phone before finds them where they expect.
"""
from __future__ import annotations

from dataclasses import dataclass

NONE, NUMBER, EXTENSION = "none", "number", "extension"  # what follows the code


@dataclass(frozen=True)
class Feature:
    name: str
    default: str
    argument: str  # NONE, NUMBER (an extension or an external number) or EXTENSION
    description: str


FEATURES = (
    Feature("forward_always_on", "*72", NUMBER, "forward every call to the number dialled after the code"),
    Feature("forward_always_off", "*73", NONE, "stop forwarding every call"),
    Feature("forward_no_answer_on", "*52", NUMBER, "forward unanswered calls to the number dialled after the code"),
    Feature("forward_no_answer_off", "*53", NONE, "stop forwarding unanswered calls"),
    Feature("forward_busy_on", "*90", NUMBER, "forward calls while busy to the number dialled after the code"),
    Feature("forward_busy_off", "*91", NONE, "stop forwarding calls while busy"),
    Feature("dnd_on", "*78", NONE, "do not disturb on"),
    Feature("dnd_off", "*79", NONE, "do not disturb off"),
    Feature("dnd_toggle", "*76", NONE, "do not disturb on if off, off if on"),
    Feature("voicemail", "*97", NONE, "your own voicemail box (asks for its PIN)"),
    Feature("voicemail_any", "*98", NONE, "any voicemail box of the tenant (asks for the box and its PIN)"),
    Feature("queue_login", "*50", NONE, "take the calls of your call groups again (log in)"),
    Feature("queue_logout", "*51", NONE, "stop taking the calls of your call groups (log out, pause)"),
    Feature("pickup_group", "*8", NONE, "answer a call ringing a colleague of your pickup group"),
    Feature("pickup_direct", "**", EXTENSION, "answer the call ringing the extension dialled after the code"),
    Feature("intercom", "*80", EXTENSION, "talk through the speaker of the extension dialled after the code"),
    Feature("paging", "*81", EXTENSION, "talk through the speakers of every member of the call group whose "
                                        "short number is dialled after the code"),
)
BY_NAME = {feature.name: feature for feature in FEATURES}
# The features that change a user's settings: the `featurecode` ESL flow makes the change through
# the application layer and answers with a prompt. The others are routed by the dialplan itself.
CHANGES = frozenset({"forward_always_on", "forward_always_off", "forward_no_answer_on", "forward_no_answer_off",
                     "forward_busy_on", "forward_busy_off", "dnd_on", "dnd_off", "dnd_toggle",
                     "queue_login", "queue_logout"})
FLOW = "featurecode"  # the ESL flow's name, and the pbx_flow of every code's call (in no call log)
PICKUP_FLOW = "pickup"  # the ESL flow that takes a ringing call (*8, **EXT)
GROUP_PICKUP = "group"  # its object for *8 (for **EXT: the extension)
