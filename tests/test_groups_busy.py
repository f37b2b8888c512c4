"""Member busy state from FreeSWITCH's channel events over a real inbound event socket (the
emulator's), and an advanced group that therefore does not ring a member already on a call."""
from __future__ import annotations

import gevent
import pytest

from fs_plugins.config import Config
from fs_plugins.groups.busy import BusyTracker, EventFeed
from fs_plugins.groups.queue import Queues
from fs_plugins.sim.channel_events import PhoneCalls
from fs_plugins.sim.inbound import InboundEmulator
from fs_plugins.sim.script import CallerScript, Leg
from tests.test_groups_flow import DOMAIN, U2, U3, Harness, advanced
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)


def wait_until(condition, seconds=3.0):
    with gevent.Timeout(seconds, AssertionError("condition not reached")):
        while not condition():
            gevent.sleep(0.01)


@pytest.fixture
def switch():
    emulator = InboundEmulator(password="s3cret")
    emulator.start()
    tracker = BusyTracker()
    feed = EventFeed(Config(fs_event_socket_port=emulator.address[1], fs_event_socket_password="s3cret"), tracker,
                     retry_seconds=0.05)
    feed.start()
    wait_until(lambda: emulator._subscribers)
    yield emulator, tracker
    feed.stop()
    emulator.stop(timeout=1)


def test_the_feed_subscribes_to_channel_events_and_tracks_calls(switch):
    emulator, tracker = switch
    assert any(c.startswith("event plain CHANNEL_CREATE") for c in emulator.report.commands)
    phones = PhoneCalls(emulator)
    call = phones.starts("1001", DOMAIN)
    wait_until(lambda: tracker.busy(f"1001@{DOMAIN}"))
    ringing = phones.starts("1002", DOMAIN, ringing_them=True, answered=False)
    wait_until(lambda: tracker.busy(f"1002@{DOMAIN}"))
    phones.ends(call)
    phones.ends(ringing)
    wait_until(lambda: not tracker.busy(f"1001@{DOMAIN}") and not tracker.busy(f"1002@{DOMAIN}"))


def test_an_advanced_group_does_not_ring_a_member_who_is_on_another_call(switch):
    emulator, tracker = switch
    PhoneCalls(emulator).starts("1001", DOMAIN)
    wait_until(lambda: tracker.busy(f"1001@{DOMAIN}"))
    harness = Harness(advanced(ring_mode="consecutive"), queues=Queues())
    harness.services.busy = tracker
    with harness:
        report = harness.call(CallerScript(legs={U2: Leg("no_answer"), U3: Leg("answer", 1, 1)}))
    dialled = [dial for dial, _ in report.bridges]
    assert not any("1001@" in dial for dial in dialled) and dialled[-1] == U3
    assert harness.records[0].outcome == "answered"


def test_without_an_event_socket_the_feed_retries_and_everyone_counts_as_free():
    tracker = BusyTracker()
    feed = EventFeed(Config(fs_event_socket_port=1), tracker, retry_seconds=0.05)
    feed.start()
    gevent.sleep(0.15)
    feed.stop()
    assert not tracker.busy(f"1001@{DOMAIN}")
