"""A killed node's queued callers are purged and the other node's callers are served (issue 17 [14]
item 7, the queue side; the event feeds' side: tests/test_cluster_busy.py).

Two real `centralita serve --only esl` nodes on one PostgreSQL, two emulated FreeSWITCH servers
registered as media servers, an advanced group whose one member talks on FreeSWITCH 1. Callers
queue through node A's and node B's outbound ESL sessions (A's first: ahead in line). Node A is
SIGKILLed, then the member's call ends: A's callers stay in queue_entry, ahead of B's, until a
node purges the rows of a node not heard from within nodes.DEAD_AFTER (at most every
store.PURGE_SECONDS, at its next claim); then B's callers are offered the member and bridged.

The callers' emulators run with `quiet` of a second: each melody chunk of the wait costs a real
second, so the callers outlast the heartbeat timeout without reaching max-wait."""
from __future__ import annotations

import socket
import time

import gevent
import pytest

from fs_plugins.cluster import nodes
from fs_plugins.groups import store
from fs_plugins.groups.busy import TableBusy
from fs_plugins.models.cluster import QueueEntry, QueueOffer
from fs_plugins.sim.call import CallSetup
from fs_plugins.sim.channel_events import PhoneCalls
from fs_plugins.sim.emulator import Emulator
from fs_plugins.sim.script import CallerScript, Leg
from tests import provision
from tests.serve_process import ServeProcess
from tests.test_cluster_busy import DOMAIN, pg, servers, wait_until  # noqa: F401  (fixtures)
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)

MEMBER = f"1002@{DOMAIN}"
QUIET = 1.0  # real seconds of the flow's silence per step of virtual time: one per melody chunk


def caller(node: ServeProcess, group_id: int, number: str) -> gevent.Greenlet:
    """A caller of the group whose call FreeSWITCH hands to `node`'s ESL app; the member answers."""
    setup = CallSetup(variables={"pbx_flow": "group", "pbx_flow_object": str(group_id), "pbx_tenant": DOMAIN},
                      caller_number=number)
    script = CallerScript(default_leg=Leg("answer", 1, 2))
    return gevent.spawn(Emulator(("127.0.0.1", node.esl_port), setup, script, quiet=QUIET, idle_timeout=30).run)


def waiting(node: ServeProcess) -> list[QueueEntry]:
    """The node's rows in the lines (its name: nodes.default_name of a process whose ESL port is 0)."""
    return list(QueueEntry.select().where(QueueEntry.node == f"{socket.gethostname()}:pid{node.process.pid}"))


@pytest.mark.postgres
def test_a_killed_nodes_callers_are_purged_and_the_other_nodes_callers_are_bridged(tmp_path, servers, pg_url):
    acme = provision.tenant("Acme", DOMAIN)
    provision.user(acme, "1002", "Bruno")
    group = provision.group(acme, "Sales", ("1002",), kind="advanced", ring_mode="consecutive", max_wait=600,
                            queue_size=10, announce_every=0)
    phones = PhoneCalls(servers["fs1"])
    talking = phones.starts("1002", DOMAIN)  # the member is busy: every caller waits in line
    with ServeProcess(tmp_path / "a", only=("esl",), database_url=pg_url) as a, \
            ServeProcess(tmp_path / "b", only=("esl",), database_url=pg_url) as b:
        # The nodes write the member's call into member_channel once they hold fs1's events: a caller
        # queued before that would be offered the member (CI saw a's caller holding an offer when killed).
        wait_until(lambda: TableBusy().busy(MEMBER), seconds=15, what="the member busy for every node")
        on_a = [caller(a, group.id, "+34600000001")]
        wait_until(lambda: len(waiting(a)) == 1, seconds=15, what="a's caller queued")
        on_b = [caller(b, group.id, f"+3460000001{n}") for n in (1, 2)]
        wait_until(lambda: len(waiting(b)) == 2, seconds=15, what="b's callers queued behind")
        assert QueueOffer.select().count() == 0, "nobody is offered a member who is on a call"
        a.process.kill()  # SIGKILL: its callers' rows stay behind, ahead of b's
        killed = time.monotonic()
        phones.ends(talking)  # the member is free: only a's dead callers stand in b's way
        wait_until(lambda: not TableBusy().busy(MEMBER), seconds=8, what="the member free for every node")
        gevent.sleep(2 * QUIET)  # b's callers look at the line again (a is dead for 10 s at the earliest)
        offers, behind, ahead = QueueOffer.select().count(), len(waiting(b)), waiting(a)
        assert ahead and (offers, behind) == (0, 2), "b's callers must wait behind a's until a is found dead"
        limit = nodes.DEAD_AFTER.total_seconds() + store.PURGE_SECONDS + 5 * QUIET
        wait_until(lambda: waiting(a) == [], seconds=limit, what="a's callers purged")
        purged = time.monotonic() - killed
        reports = [greenlet.get(timeout=30) for greenlet in on_b]
        gevent.joinall(on_a, timeout=5)
        for report in reports:  # none lost: each of b's callers was bridged to the member
            assert [result for dial, result in report.bridges if "1002@" in dial][-1:] == ["SUCCESS"], report.steps
        assert QueueEntry.select().count() == 0 and QueueOffer.select().count() == 0
        assert purged < limit
        print(f"a killed: its callers purged after {purged:.1f} s (limit {limit:.0f} s)")
