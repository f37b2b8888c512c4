"""Call recording's words: the policies a user or a call group has, and the tenant's defaults."""

NEVER, INBOUND, OUTBOUND, ALL, ON_DEMAND = "never", "inbound", "outbound", "all", "on_demand"
# inbound: the calls the user (or group) receives; outbound: the calls the user makes (a group
# makes none); on_demand: not recorded until the user presses *2 during the call.
MODES = (NEVER, INBOUND, OUTBOUND, ALL, ON_DEMAND)
GROUP_MODES = (NEVER, INBOUND, ON_DEMAND)
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650
# FreeSWITCH's meta key (`bind_meta_key`, `*` unless changed) then this digit toggles recording
# (bind_meta_app; RECORD_TOGGLE_ON_REPEAT makes the second press stop it): *2 during the call.
ON_DEMAND_DIGIT = "2"
