"""Waking a waiting caller when another node frees a member (issue 17 [14] item 3): which waiters
news wakes (pure), the LISTEN connection across two nodes, and a group call whose melody chunk
is cut short when the member it waits for is freed on the other node."""
from __future__ import annotations

import time

import gevent
import gevent.event
import pytest

from fs_plugins.channel import ANSWERED, BridgeOutcome, Collected, Played, SessionInfo
from fs_plugins.cluster import nodes
from fs_plugins.cluster.wakeups import (EVERYTHING, Waiter, Wakeups, group_news, member_news, sender_of, sent_by,
                                        to_wake)
from fs_plugins.groups.flow import GroupCall, GroupServices
from fs_plugins.groups.store import SharedQueues
from fs_plugins.sim.media import duration
from tests.fake_channel import FakeChannel
from tests.test_groups_flow import DOMAIN, U1, advanced, member


def waiter(group_id, seq, *members, listening=True):
    return Waiter(group_id, seq, frozenset(members), listening=listening)


def test_news_wakes_per_group_only_the_earliest_caller_it_concerns():
    a7, b7, c8, d9 = waiter(7, 3, "m1"), waiter(7, 1, "m1", "m2"), waiter(8, 2, "m2"), waiter(9, 4, "m3")
    everyone = [a7, b7, c8, d9]
    assert to_wake(everyone, member_news("m2")) == [b7, c8]  # group 7's first caller, group 8's
    assert to_wake(everyone, member_news("m1")) == [b7]
    assert to_wake(everyone, member_news("nobody's")) == []
    assert to_wake(everyone, group_news(9)) == [d9]
    assert to_wake(everyone, EVERYTHING) == [b7, c8, d9]
    assert to_wake(everyone, "someone else's payload") == [b7, c8, d9]  # not ours: assume the worst
    ringing = waiter(7, 0, "m1", listening=False)  # a caller whose members ring: the one behind it looks
    assert to_wake([ringing, a7], member_news("m1")) == [a7]


def test_a_callers_own_news_wakes_the_earliest_other_caller_never_itself():
    first, second, other_group = waiter(7, 1, "m1"), waiter(7, 2, "m1"), waiter(8, 3, "m1")
    everyone = [first, second, other_group]
    assert to_wake(everyone, member_news("m1"), sender=1) == [second, other_group]
    assert to_wake(everyone, group_news(7), sender=1) == [second]  # it was offered someone: the next looks
    assert to_wake([first], member_news("m1"), sender=1) == []
    assert to_wake(everyone, member_news("m1"), sender=3) == [first]


@pytest.mark.parametrize("payload,parsed", [
    (sent_by(42) + member_news("1001@acme.example"), (42, "m:1001@acme.example")),
    (sent_by(7) + group_news(3), (7, "g:3")),
    (member_news("a|b"), (None, "m:a|b")),  # no sender: the payload whole
    ("e|m:x", (None, "e|m:x")), (EVERYTHING, (None, EVERYTHING)),
])
def test_the_sender_is_read_off_the_front_of_the_payload(payload, parsed):
    assert sender_of(payload) == parsed


@pytest.fixture
def two_nodes(pg_db):
    nodes.beat("node-a", "127.0.0.4:18084", started=True)
    nodes.beat("node-b", "127.0.0.5:18084", started=True)
    wakeups = Wakeups.of(pg_db).start()
    assert wakeups.listening.wait(10)
    yield SharedQueues("node-a"), SharedQueues("node-b"), wakeups
    wakeups.stop()


@pytest.mark.postgres
def test_a_member_freed_on_one_node_wakes_the_caller_waiting_on_the_other(two_nodes):
    a, b, wakeups = two_nodes
    holder = a.of(7).join("holder", 0, 5)
    assert a.of(7).claim(holder, ["m1"], 1, lambda key: False) == ("m1",)
    waiting = b.of(7).join("waiting", 0, 5)
    gevent.sleep(0.3)  # the news of that claim (the line moved) is heard before the test listens
    with wakeups.watching(7, waiting.seq, {"m1"}) as news:
        assert b.of(7).claim(waiting, ["m1"], 1, lambda key: False) == ()
        assert not news.woken.wait(0.3)  # nothing happened yet
        a.of(7).leave(holder)  # the member hung up on node a
        began = time.monotonic()
        assert news.woken.wait(2), "not woken"
        woken_after = time.monotonic() - began
    assert woken_after < 0.5 and b.of(7).claim(waiting, ["m1"], 1, lambda key: False) == ("m1",)
    with wakeups.watching(8, 99, {"m2"}) as other_member:  # news of m1 means nothing to a group without it
        b.of(7).release(waiting)
        assert not other_member.woken.wait(0.3)


@pytest.mark.postgres
def test_a_callers_own_release_does_not_wake_it_while_another_callers_does(two_nodes):
    a, b, wakeups = two_nodes
    holder = a.of(7).join("holder", 0, 5)  # on node a
    waiting = b.of(7).join("waiting", 0, 5)  # on node b, the one listening here
    assert a.of(7).claim(holder, ["m1"], 1, lambda key: False) == ("m1",)  # m1 talks to the holder
    assert b.of(7).claim(waiting, ["m2"], 1, lambda key: False) == ("m2",)  # m2 rings for the waiting caller ...
    gevent.sleep(0.3)  # the news so far is heard before the test listens
    with wakeups.watching(7, waiting.seq, {"m1", "m2"}) as news:
        b.of(7).release(waiting)  # ... and does not answer: its own news (m2 free again) is not for it
        assert not news.woken.wait(0.5), "woken by its own release"
    with wakeups.watching(7, waiting.seq, {"m1", "m2"}) as news:
        b.of(7).leave(b.of(7).join("third", 0, 5))  # another caller of this node leaves: the line moved
        assert news.woken.wait(2), "not woken by another caller's news on its own node"
    with wakeups.watching(7, waiting.seq, {"m1", "m2"}) as news:
        a.of(7).leave(holder)  # node a's caller leaves
        assert news.woken.wait(2), "not woken by the other node's news"


class MelodyChannel(FakeChannel):
    """Plays the melody in real time (a chunk lasts its seconds) until break_playback."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._break = gevent.event.Event()
        self.bridged_at: float | None = None

    def play(self, path):
        self._command("play", path)
        if not path.startswith("tone_stream://"):
            return Played(True, 0.0)  # the position prompt: heard whole, in no time here
        began = time.monotonic()
        self._break.wait(duration(path))
        self._break.clear()
        return Played(True, time.monotonic() - began)

    def collect(self, prompt, **kw):
        self.play(prompt)
        return Collected("", "timeout")

    def break_playback(self):
        super().break_playback()
        self._break.set()

    def bridge(self, targets, **kw):
        self.bridged_at = time.monotonic()
        return super().bridge(targets, **kw)


@pytest.mark.postgres
@pytest.mark.parametrize("listening", [True, False], ids=["woken", "melody-chunk"])
@pytest.mark.parametrize("callback_key", ["", "5"], ids=["melody", "melody-with-callback-key"])
def test_a_group_caller_is_offered_the_member_freed_on_the_other_node_at_once(two_nodes, listening, callback_key):
    a, b, wakeups = two_nodes
    the_group = advanced(members=(member("1001"),), max_wait=60, callback_key=callback_key)
    holder = a.of(7).join("holder", 0, 5)
    assert a.of(7).claim(holder, [f"1001@{DOMAIN}"], 1, lambda key: False)
    records = []
    services = GroupServices(load=lambda tenant, group_id: the_group, record=records.append, queues=b,
                             poll_seconds=5, wakeups=wakeups if listening else None,
                             originate=lambda *args: False)  # a callback key is heard (never pressed here)
    channel = MelodyChannel(SessionInfo(uuid="caller-on-b", tenant=DOMAIN, flow="group", flow_object="7"),
                            bridges={U1: BridgeOutcome(ANSWERED, "SUCCESS", "NORMAL_CLEARING", "member-leg")})
    call = gevent.spawn(GroupCall(services, channel, channel.info, the_group).run)
    gevent.sleep(0.5)  # the caller on node b hears the melody: its member rings for node a's caller
    assert channel.bridged_at is None
    a.of(7).leave(holder)
    freed = time.monotonic()
    call.join(8)
    assert call.dead and channel.bridged_at is not None
    if listening:
        assert channel.bridged_at - freed < 1.0 and ("break", "") in channel.commands
        assert records[0].wait_seconds < 2  # what it heard of the chunk, not the whole chunk
    else:  # without the wake-up the caller looks again only after its 5 s chunk
        assert channel.bridged_at - freed > 3.0
    call.kill()


@pytest.mark.postgres
@pytest.mark.parametrize("listening", [True, False], ids=["woken", "polling"])
def test_a_queue_callback_calls_the_member_freed_on_the_other_node_at_once(two_nodes, listening):
    from fs_plugins.groups import callback

    a, b, wakeups = two_nodes
    the_group = advanced(members=(member("1001"),), max_wait=60)
    holder = a.of(7).join("holder", 0, 5)
    assert a.of(7).claim(holder, [f"1001@{DOMAIN}"], 1, lambda key: False)
    waiting = b.of(7).join("called-back", 0, 5)
    waiting.callback = "user/1002@acme.example"
    originated, done = [], []

    def originate(member_dial, caller_dial, group, seconds):
        originated.append((time.monotonic(), member_dial))
        return True

    runner = gevent.spawn(callback.run, the_group, b.of(7), waiting, originate, lambda key: False, "{e164}",
                          5.0, lambda answered, waited: done.append(answered), time.monotonic,
                          wakeups if listening else None)
    gevent.sleep(0.5)  # the callback looked once: its member rings for node a's caller
    assert originated == []
    a.of(7).leave(holder)
    freed = time.monotonic()
    runner.join(8)
    assert done == [True] and originated[0][1] == U1
    if listening:
        assert originated[0][0] - freed < 1.0
    else:  # without the wake-up: the next look, poll_seconds (5 s) after the first
        assert originated[0][0] - freed > 3.0
