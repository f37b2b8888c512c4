"""Channel variables Centralita sets on calls, defined once.

The dialplan handler and the ESL flows write them; the CDR classifier reads them back from the
`variables` of each mod_json_cdr leg. The names are those carried by the real recordings in
tests/fixtures/freeswitch/json_cdr, so recorded calls classify as they are.
"""

TENANT = "pbx_tenant"  # the tenant's SIP domain (set on every leg we route; directory var too)
USER_ID = "pbx_user_id"  # "<extension>@<domain>", a directory variable of the user's channel
CALL_TYPE = "pbx_call_type"  # one of CALL_TYPES, set when the dialplan first routes the call
DND = "pbx_dnd"  # "true" when the callee was in do-not-disturb
FORWARDED = "pbx_forwarded"  # why the call followed a forward: one of FORWARD_REASONS
BLOCK_REASON = "pbx_block_reason"  # why an outbound call was barred: one of BLOCK_REASONS
# Added by Centralita beyond the recordings:
TARGET_USER = "pbx_target_user"  # "<extension>@<domain>" of the user an incoming call was for
FLOW = "pbx_flow"  # which ESL flow runs the call (ivr, group, message, …)
FLOW_OBJECT = "pbx_flow_object"  # the id of the menu / group / audio the flow runs
HOPS = "pbx_hops"  # how many routing hops (forwards, transfers) the call has taken so far
CALLER_NAME = "pbx_caller_name"  # the caller name presented to the callee (contacts lookup)
# Every user the call was offered to, in order, with why it moved on from them:
# "1002@acme.example:no_answer;1003@acme.example" (reasons: FORWARD_REASONS; "dnd" for any DND).
CHAIN = "pbx_chain"
RING_OF = "pbx_ring_of"  # on a simultaneous-ring leg to a number: the user whose ring set it belongs to
# On every leg Centralita dials to a user (the directory's dial-string, a forward to a number): that
# user, "<extension>@<domain>", so the busy state finds the member however the leg reaches the phone
# (FreeSWITCH's own dialed_user is not there when the leg goes through a proxy).
LEG_USER = "pbx_leg_user"
RECORDING = "pbx_recording"  # the call's recording, relative to recordings_dir ("<tenant id>/<uuid>.wav")
# On a ringing leg a colleague took with *8/**EXT: who took it, "<extension>@<domain>". Written by
# the pickup flow just before FreeSWITCH's intercept hangs that leg up (PICKED_OFF), so the leg's
# CDR says who answered the call (the picker's own channel is another call: the call log cannot
# join the two otherwise).
PICKED_UP_BY = "pbx_picked_up_by"
FEATURE_ARGUMENT = "pbx_feature_argument"  # the digits dialled after a feature code (*72 -> the number)
# The voice folder (sound_prefix) the dialplan set when the call entered its tenant: read back on the
# call's later fetches so the voice is not set again. A marker of ours, found in the one pass over the
# pbx_ variables: sound_prefix itself is absent from most fetches, and looking for an absent field
# searches the whole ~6 KB body (xml_curl/form.py).
VOICE = "pbx_voice"

CALL_TYPES = ("inbound", "outbound", "internal")
FORWARD_REASONS = ("always", "no_answer", "busy", "not_registered", "dnd")
BLOCK_REASONS = ("premium", "international", "national", "mobile", "special", "tenant", "user")

TRUE = "true"


def chain_items(value: str) -> list[tuple[str, str]]:
    """`pbx_chain` as [(user, reason)], reason "" while the call stayed with that user."""
    items = []
    for item in value.split(";") if value else ():
        user, _, reason = item.partition(":")
        if user:
            items.append((user, reason))
    return items


def chain_with(value: str, user: str) -> str:
    return f"{value};{user}" if value else user


def chain_reason(value: str, reason: str) -> str:
    """The chain with `reason` given to its last user (why the call left them)."""
    if not value:
        return value
    head, _, last = value.rpartition(";")
    last = f"{last.partition(':')[0]}:{reason}"
    return f"{head};{last}" if head else last
