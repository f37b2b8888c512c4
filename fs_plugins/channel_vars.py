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

CALL_TYPES = ("inbound", "outbound", "internal")
FORWARD_REASONS = ("always", "no_answer", "busy", "not_registered", "dnd")
BLOCK_REASONS = ("premium", "international", "national", "mobile", "special", "tenant", "user")

TRUE = "true"
