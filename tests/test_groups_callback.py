"""A queue callback waits on the group flow's clock (the services' timer), like a caller on the line."""
from __future__ import annotations

from fs_plugins.groups import callback
from fs_plugins.groups.queue import GroupQueue
from tests.test_groups_flow import advanced


def test_a_callback_nobody_answers_ends_after_max_wait_on_the_flows_clock():
    queue, ticks, done = GroupQueue(), iter(range(0, 1000, 25)), []
    entry = queue.join("caller-1", 1, limit=5)
    entry.callback = "sofia/gateway/carrier/+34600123456"
    callback.run(advanced(max_wait=60), queue, entry, lambda *call: False, lambda member: True,
                 "sofia/gateway/carrier/{e164}", 0, lambda answered, waited: done.append((answered, waited)),
                 timer=lambda: next(ticks))
    # Every member busy: the flow's clock reads 0 (start), 25, 50, 75 (past max_wait: given up), and 100
    # when the wait is reported; on the wall clock this test lasts a few milliseconds.
    assert done == [(False, 100)] and queue.entries == []
