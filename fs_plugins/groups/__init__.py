"""Call groups ("grupos de llamadas").

Files: rules.py (the pure decisions and their state table), records.py (the frozen values),
loader.py (rows → records, members' DND/forwards via fs_plugins.callhandling), queue.py (the
in-process waiting line of advanced groups), busy.py (members on a call, from FreeSWITCH's
channel events on the inbound event socket), flow.py (the `group` ESL flow), callback.py (queue
callback), stats.py (per-call records and the statistics), service.py (validated changes),
cli.py (`centralita group …`), simulate.py (`centralita group try`),
wiring.py (the production flow the ESL server registers). Tables: fs_plugins/models/groups.py.

How a call reaches a group: a DID (core Number routed to ``group:<id>``) or the group's short
number (a core ShortNumber row kept in step by the service) makes the dialplan run the `socket`
action with pbx_flow=group; the flow hands calls on (no answer, closed, overflow) with
`transfer pbx-<kind>-<target> XML <tenant domain>`. A group is a destination anywhere as
``group:<name>`` (fs_plugins.references). The call log shows a group call once, with the member
who answered, from pbx_flow=group on the caller's leg (fs_plugins.calllog.classify).

One ESL process holds the queues: run one `centralita serve --only esl` per FreeSWITCH.
"""
