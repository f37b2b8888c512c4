"""Advanced groups' lines shared by several nodes (issue 17 [14] item 3): today's rules, with the
in-process line (one node, SQLite) and the PostgreSQL store (groups/store.py) side by side, then
what only the shared store has to hold: two nodes' callers, one member offered once across groups,
a dead node's rows purged, and a randomized race of many callers on two nodes."""
from __future__ import annotations

import datetime as dt
import random
import threading
import time

import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.cluster import nodes
from fs_plugins.groups.queue import Queues
from fs_plugins.groups.store import SharedGroupQueue, SharedQueues
from fs_plugins.models.cluster import Node, QueueEntry, QueueOffer

FREE = lambda key: False  # noqa: E731


@pytest.fixture
def pg(pg_db):
    """Two nodes alive (a beat each), a and b."""
    nodes.beat("node-a", "127.0.0.4:18084", started=True)
    nodes.beat("node-b", "127.0.0.5:18084", started=True)
    return pg_db


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def queues(request):
    if request.param == "memory":
        yield Queues()
        return
    yield SharedQueues("node-a")


@pytest.fixture(autouse=True)
def _database_for_postgres(request):
    if "queues" in request.fixturenames and request.node.callspec.params.get("queues") == "postgres":
        request.getfixturevalue("pg")


# -- today's rules, on both stores ----------------------------------------------------------------
def test_the_longest_waiting_caller_is_served_first_and_a_member_is_offered_once(queues):
    queue = queues.of(7)
    first, second = queue.join("a", queues.next_seq(), 5), queue.join("b", queues.next_seq(), 5)
    assert queue.claim(second, ["m1", "m2"], 1, FREE) == ()  # "a" waits longer and is not served yet
    assert queue.claim(first, ["m1", "m2"], 1, FREE) == ("m1",)
    assert queue.claim(second, ["m1", "m2"], 1, FREE) == ("m2",)  # m1 is reserved for "a"
    queue.release(first)
    assert queue.claim(first, ["m2"], 1, FREE) == ()  # m2 rings for "b"
    assert queue.position(first) == 1 and queue.position(second) == 2
    queue.leave(first)
    assert queue.position(second) == 1 and "m1" not in queue.reserved and "m2" in queue.reserved


def test_busy_members_are_not_claimed_a_full_line_refuses_and_an_answered_caller_leaves_the_line(queues):
    queue = queues.of(7)
    entry = queue.join("a", queues.next_seq(), 1)
    assert queue.join("b", queues.next_seq(), 1) is None
    assert queue.claim(entry, ["m1", "m2", "m3"], None, lambda key: key == "m1") == ("m2", "m3")
    queue.connected(entry)  # a member answered: out of the line, still reserved
    assert queue.position(entry) == 0 and queue.join("c", queues.next_seq(), 1) is not None
    assert set(queue.reserved) == {"m2", "m3"}
    queue.leave(entry)
    assert queue.reserved == {} and queues.lengths()[7] == 1


# -- several nodes ----------------------------------------------------------------------------------
@pytest.mark.postgres
def test_a_later_caller_on_another_node_never_overtakes_and_a_member_rings_for_one_group(pg):
    a, b = SharedQueues("node-a"), SharedQueues("node-b")
    early = a.of(7).join("early", 0, 5)
    late = b.of(7).join("late", 0, 5)
    assert b.of(7).claim(late, ["m1"], 1, FREE) == ()  # "early" waits on node a, unserved
    assert a.of(7).claim(early, ["m1", "m2"], 1, FREE) == ("m1",)
    other_group = b.of(8).join("other", 0, 5)
    assert b.of(8).claim(other_group, ["m1", "m2"], None, FREE) == ("m2",)  # m1 rings for group 7
    assert b.of(7).position(late) == 2 and a.lengths() == {7: 2, 8: 1}


@pytest.mark.postgres
def test_a_dead_nodes_callers_and_offers_are_purged_and_the_others_served(pg):
    a, b = SharedQueues("node-a"), SharedQueues("node-b")
    gone = b.of(7).join("gone", 0, 5)
    assert b.of(7).claim(gone, ["m1"], 1, FREE) == ("m1",)
    waiting = a.of(7).join("waiting", 0, 5)
    assert a.of(7).claim(waiting, ["m1"], 1, FREE) == ()
    Node.update(heartbeat_at=nodes.now() - nodes.DEAD_AFTER - dt.timedelta(seconds=1)).where(
        Node.name == "node-b").execute()
    a._purged = float("-inf")  # the next look purges (at most every PURGE_SECONDS otherwise)
    assert a.of(7).claim(waiting, ["m1"], 1, FREE) == ("m1",)
    assert [row.uuid for row in QueueEntry.select()] == ["waiting"]
    assert [(row.member, row.node) for row in QueueOffer.select()] == [("m1", "node-a")]


@pytest.mark.postgres
def test_a_live_nodes_forgotten_caller_and_offer_expire_and_its_current_ones_stay(pg):
    """A flow that died without leaving the line (on a node still beating) would hold its member and
    its place for as long as that node runs; past ROW_MAX_AGE they are purged, fresh ones are not."""
    from fs_plugins.groups.store import ROW_MAX_AGE

    a = SharedQueues("node-a")
    forgotten = a.of(7).join("forgotten", 0, 5)
    assert a.of(7).claim(forgotten, ["m1"], 1, FREE) == ("m1",)
    current = a.of(8).join("current", 0, 5)
    assert a.of(8).claim(current, ["m2"], 1, FREE) == ("m2",)
    long_ago = nodes.now() - ROW_MAX_AGE - dt.timedelta(minutes=1)
    QueueEntry.update(joined_at=long_ago).where(QueueEntry.uuid == "forgotten").execute()
    QueueOffer.update(offered_at=long_ago).where(QueueOffer.member == "m1").execute()
    waiting = a.of(9).join("waiting", 0, 5)
    assert a.of(9).claim(waiting, ["m1", "m2"], None, FREE) == ()  # before the purge: both reserved
    a._purged = float("-inf")  # the next look purges (at most every PURGE_SECONDS otherwise)
    assert a.of(9).claim(waiting, ["m1", "m2"], None, FREE) == ("m1",)
    assert sorted(row.uuid for row in QueueEntry.select()) == ["current", "waiting"]


@pytest.mark.postgres
def test_many_callers_on_two_nodes_are_never_offered_the_same_member_at_once(pg):
    """Threads are callers, each on its own PostgreSQL session, half on node a, half on node b, in two
    groups sharing members; every offer is logged with the moments it began and ended."""
    members = [f"m{i}" for i in range(6)]
    offers: list[tuple[str, float, float, str]] = []
    served, lock = [], threading.Lock()

    def caller(node: str, group_id: int, name: str, seed: int) -> None:
        rng = random.Random(seed)
        try:  # peewee's connection is per thread: each caller has its own PostgreSQL session
            queues = SharedQueues(node)
            queue = queues.of(group_id)
            entry = queue.join(name, 0, 100)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                candidates = rng.sample(members, 4)
                keys = queue.claim(entry, candidates, rng.choice([1, None]), lambda key: rng.random() < 0.1)
                if not keys:
                    time.sleep(0.002)
                    continue
                began = time.monotonic()
                time.sleep(rng.uniform(0.001, 0.01))  # ringing
                ended = time.monotonic()
                queue.release(entry)
                with lock:
                    offers.extend((key, began, ended, name) for key in keys)
                if rng.random() < 0.5:
                    break
            queue.leave(entry)
            with lock:
                served.append(name)
        finally:
            pg.close()  # this thread's connection

    threads = [threading.Thread(target=caller, args=("node-a" if i % 2 else "node-b", 7 + i % 3, f"c{i}", i))
               for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(served) == 24 and len(offers) >= 24
    for member in members:
        spans = sorted((began, ended, who) for key, began, ended, who in offers if key == member)
        for (_, end, who), (start, _, other) in zip(spans, spans[1:]):
            assert start >= end, f"{member} offered to {other} while ringing for {who}"
    assert QueueEntry.select().count() == 0 and QueueOffer.select().count() == 0


def test_a_nodes_first_group_call_shares_the_line_only_with_media_servers_on_postgresql(db):
    from fs_plugins.config import Config
    from fs_plugins.groups import wiring
    from fs_plugins.models.cluster import MediaServer

    made = []

    def chosen():
        config = Config(fs_event_socket_port=0)
        services = wiring.production_flow(config).services
        wiring._choose(config, services, services.busy, None)
        made.append(services)
        return type(services.queues)

    assert chosen() is Queues and made[-1].wakeups is None
    MediaServer.create(name="fs1", esl_host="127.0.0.2", esl_password="pw")
    on_postgresql = not isinstance(db, dbmod.peewee.SqliteDatabase)
    assert chosen() is (SharedQueues if on_postgresql else Queues)
    if on_postgresql:  # and it listens for news of members freed on other nodes
        assert made[-1].wakeups.listening.wait(10)
        made[-1].wakeups.stop()
    else:
        assert made[-1].wakeups is None


@pytest.mark.postgres
def test_a_claim_the_database_cannot_answer_leaves_the_caller_waiting(pg, monkeypatch):
    queue = SharedQueues("node-a").of(7)
    entry = queue.join("a", 0, 5)

    def lost(sql, params):
        raise peewee.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SharedGroupQueue, "_run", staticmethod(lost))
    assert queue.claim(entry, ["m1"], 1, FREE) == () and entry.offering == ()
    monkeypatch.undo()
    assert queue.claim(entry, ["m1"], 1, FREE) == ("m1",) and queue.position(entry) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_node_killed_mid_traffic_leaves_no_offer_behind_and_the_other_nodes_callers_are_all_served(
        pg, monkeypatch, seed):
    """Node b's callers stop dead at a random moment (SIGKILL: nothing released, rows left, no more
    beats), some waiting ahead of node a's in the same line, some holding members (b's offers ring
    until then). Once b counts as dead, node a's claims purge its rows: every caller of a is
    served, no member is ever offered twice at once, and nothing of b is left."""
    import fs_plugins.groups.store as store

    monkeypatch.setattr(store, "PURGE_SECONDS", 0.1)
    rng = random.Random(seed)
    members = [f"m{i}" for i in range(4)]
    offers: list[tuple[str, float, float, str]] = []
    served, lock = [], threading.Lock()
    killed = threading.Event()

    def caller(node: str, name: str, seed: int) -> None:
        pick = random.Random(seed)
        try:
            queue = SharedQueues(node).of(7)
            entry = queue.join(name, 0, 100)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if node == "node-b" and killed.is_set():
                    return  # killed: no release, no leave
                keys = queue.claim(entry, pick.sample(members, 3), 1, FREE)
                if not keys:
                    time.sleep(0.003)
                    continue
                began = time.monotonic()
                if node == "node-b":  # b's members ring until b is killed: the offer stays until purged
                    killed.wait(30)
                    return
                time.sleep(pick.uniform(0.001, 0.01))
                ended = time.monotonic()
                queue.release(entry)
                with lock:
                    offers.extend((key, began, ended, name) for key in keys)
                    served.append(name)
                break
            queue.leave(entry)
        finally:
            pg.close()

    names = [("node-a" if i % 2 else "node-b", f"c{i}") for i in range(16)]
    threads = [threading.Thread(target=caller, args=(node, name, seed * 100 + i))
               for i, (node, name) in enumerate(names)]
    for thread in threads:
        thread.start()
        time.sleep(0.002)  # arrivals interleaved: b's callers ahead of a's in the line
    time.sleep(rng.uniform(0.05, 0.2))  # b now holds members, and some of its callers wait ahead of a's
    assert QueueOffer.select().where(QueueOffer.node == "node-b").exists()
    killed.set()
    Node.update(heartbeat_at=nodes.now() - nodes.DEAD_AFTER - dt.timedelta(seconds=1)).where(
        Node.name == "node-b").execute()
    for thread in threads:
        thread.join(40)
    pg.close()
    assert set(name for node, name in names if node == "node-a") <= set(served)  # nobody of a lost
    for member in members:
        spans = sorted((began, ended, who) for key, began, ended, who in offers if key == member)
        for (_, end, who), (start, _, other) in zip(spans, spans[1:]):
            assert start >= end, f"{member} offered to {other} while ringing for {who}"
    late = SharedQueues("node-a").of(7)  # a's next caller: served, and nothing of b is left
    entry = late.join("late", 0, 100)
    assert late.claim(entry, members, 1, FREE) == ("m0",)
    late.leave(entry)
    assert QueueOffer.select().count() == 0 and QueueEntry.select().count() == 0
