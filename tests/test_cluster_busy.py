"""Members' busy state across several FreeSWITCH servers and Centralita nodes (issue 17 [14] item 2).

Two emulated FreeSWITCH event sockets on 127.0.0.2 and 127.0.0.3 are the media servers; two
`Keeper`s, each with its own PostgreSQL sessions, are two nodes. Exactly one node follows each
server; when it stops, the other takes the server over within seconds and rebuilds its rows from
`show channels as json`; a member busy on one server is not offered a call running on the other."""
from __future__ import annotations

import json
import time

import gevent
import pytest

from fs_plugins import db as dbmod
from fs_plugins.cluster import feeds
from fs_plugins.cluster.wakeups import Wakeups
from fs_plugins.groups.busy import Busy, BusyTracker, TableBusy, existing_channels
from fs_plugins.groups.queue import Queues
from fs_plugins.models.cluster import MediaServer, MemberChannel
from fs_plugins.sim.channel_events import PhoneCalls
from fs_plugins.sim.inbound import CHANNEL_COLUMNS, InboundEmulator
from fs_plugins.sim.script import CallerScript, Leg
from tests.serve_process import ServeProcess
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)
from tests.test_groups_flow import DOMAIN, U2, U3, Harness, advanced

ANA, BRUNO = f"1001@{DOMAIN}", f"1002@{DOMAIN}"


def wait_until(condition, seconds=5.0, what="condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {seconds} s")
        gevent.sleep(0.02)


# -- what an event or a snapshot says (pure) ----------------------------------------------------
def test_a_leg_dialled_through_a_proxy_is_recognised_by_centralitas_own_variable():
    through_proxy = {"Event-Name": "CHANNEL_CREATE", "Unique-ID": "u1", "variable_pbx_leg_user": BRUNO}
    assert feeds.change_of(through_proxy) == feeds.Change("u1", BRUNO)
    own_call = {"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "u2", "variable_pbx_user_id": ANA,
                "Event-Date-Timestamp": "1764770000500000"}
    assert feeds.change_of(own_call) == feeds.Change("u2", ANA, 1764770000.5)
    assert feeds.change_of({"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": "u1"}) == feeds.Change("u1")
    carrier_leg = {"Event-Name": "CHANNEL_CREATE", "Unique-ID": "u3", "Caller-Username": "+34600123456"}
    assert feeds.change_of(carrier_leg) is None
    assert feeds.change_of({"Event-Name": "CHANNEL_STATE", "Unique-ID": "u1", "variable_pbx_user_id": ANA}) is None


def test_the_emulated_show_channels_answers_in_freeswitchs_format():
    emulator = InboundEmulator()
    from fs_plugins.sim.inbound import show_channels_json
    assert emulator.api("show channels as json") == '{"row_count": 0}\n'  # mod_commands with no row
    uuid = PhoneCalls(emulator).starts("1002", DOMAIN, ringing_them=True, via_proxy=True)
    reply = json.loads(emulator.api("show channels as json"))
    assert reply["row_count"] == 1 and list(reply["rows"][0]) == list(CHANNEL_COLUMNS)
    assert all(isinstance(value, str) for value in reply["rows"][0].values())
    assert existing_channels(show_channels_json(list(emulator.channels.values()))) == {uuid: BRUNO}


def test_on_sqlite_the_process_tracker_answers_even_with_media_servers_registered(db):
    if not isinstance(db, dbmod.peewee.SqliteDatabase):
        pytest.skip("SQLite only: one node")
    MediaServer.create(name="fs1", esl_host="127.0.0.2", esl_password="pw")
    MemberChannel.create(server="fs1", uuid="stale", member=ANA)  # never read on one node
    local = BusyTracker()
    busy = Busy(local)
    assert not busy.shared_now() and not busy.busy(ANA)
    local.on_event({"Event-Name": "CHANNEL_CREATE", "Unique-ID": "u1", "variable_pbx_user_id": BRUNO})
    assert busy.busy_among([ANA, BRUNO]) == {BRUNO}


# -- two servers, two nodes, one PostgreSQL -------------------------------------------------------
@pytest.fixture
def pg(pg_db):
    return pg_db


@pytest.fixture
def servers(pg):
    """fs1 on 127.0.0.2 and fs2 on 127.0.0.3, registered as media servers."""
    emulators = {}
    for name, host in (("fs1", "127.0.0.2"), ("fs2", "127.0.0.3")):
        emulator = InboundEmulator(password=f"pw-{name}", host=host)
        emulator.start()
        MediaServer.create(name=name, esl_host=host, esl_port=emulator.address[1], esl_password=f"pw-{name}")
        emulators[name] = emulator
    yield emulators
    for emulator in emulators.values():
        emulator.stop(timeout=1)


def node(pg, **kw) -> feeds.Keeper:
    return feeds.Keeper(pg, release=lambda: None, try_seconds=0.1, retry_seconds=0.1, **kw).start()


def subscriptions(emulator) -> int:
    """Subscriptions to channel events (a node's lamp keeper subscribes to PRESENCE_PROBE too)."""
    return sum(1 for command in emulator.report.commands if command.startswith("event plain CHANNEL_"))


@pytest.fixture
def follower(pg, servers):
    """Node a, following both servers (subscribed to their events)."""
    a = node(pg)
    wait_until(lambda: a.held() == ["fs1", "fs2"], what="a follows both")
    wait_until(lambda: all(subscriptions(e) == 1 for e in servers.values()), what="subscribed")
    yield a
    a.stop()


@pytest.mark.postgres
def test_each_server_is_followed_by_exactly_one_node(pg, servers):
    a, b = node(pg), node(pg)
    try:
        wait_until(lambda: len(a.held()) + len(b.held()) == 2, what="both servers followed")
        gevent.sleep(0.5)  # many rounds of both nodes: nobody takes a held server
        assert sorted(a.held() + b.held()) == ["fs1", "fs2"]
        assert {name: subscriptions(emulator) for name, emulator in servers.items()} == {"fs1": 1, "fs2": 1}
    finally:
        a.stop()
        b.stop()


@pytest.mark.postgres
def test_a_member_on_a_call_is_busy_for_every_node_and_free_once_it_ends(servers, follower):
    phones = PhoneCalls(servers["fs2"])
    call = phones.starts("1002", DOMAIN, ringing_them=True, via_proxy=True)  # dialled through Kamailio
    shared = TableBusy()
    wait_until(lambda: shared.busy(BRUNO), what="busy")
    assert not shared.busy(ANA) and shared.owner(call) == BRUNO
    assert [(row.server, row.uuid) for row in MemberChannel.select()] == [("fs2", call)]
    wakeups = Wakeups.of(follower.db).start()
    try:
        assert wakeups.listening.wait(10)
        gevent.sleep(0.3)  # earlier news (the rows rebuilt) heard before the caller waits
        with wakeups.watching(7, 1, {BRUNO}) as caller:  # a caller of a group waiting for Bruno, any node
            phones.ends(call)
            wait_until(lambda: not shared.busy(BRUNO), what="free again")
            assert caller.woken.wait(2), "the end of the member's call woke nobody"
    finally:
        wakeups.stop()


@pytest.mark.postgres
def test_when_the_following_node_stops_the_other_takes_over_and_rebuilds_the_rows(pg, servers, follower):
    a, b = follower, node(pg)
    try:
        phones = PhoneCalls(servers["fs1"])
        ending = phones.starts("1001", DOMAIN)
        shared = TableBusy()
        wait_until(lambda: shared.busy(ANA), what="ana busy")
        gevent.sleep(0.3)
        assert b.held() == []  # a holds both: b only tries
        a.stop()  # node a is gone: its rows stay behind, its PostgreSQL sessions (and locks) end
        # While nobody follows fs1, Ana's call ends and Bruno's starts: no node hears either event.
        phones.ends(ending)
        missed = phones.starts("1002", DOMAIN, ringing_them=True)
        assert shared.busy(ANA) and not shared.busy(BRUNO)
        stopped = time.monotonic()
        wait_until(lambda: b.held() == ["fs1", "fs2"], seconds=3, what="b takes over")
        took = time.monotonic() - stopped
        wait_until(lambda: shared.busy(BRUNO) and not shared.busy(ANA), seconds=3, what="rows rebuilt")
        assert took < 2.0
        assert [(row.server, row.uuid, row.member) for row in MemberChannel.select()] == [("fs1", missed, BRUNO)]
        assert subscriptions(servers["fs1"]) == 2  # a's, then b's: never two at once (a's was closed)
    finally:
        b.stop()


@pytest.mark.postgres
def test_a_removed_server_is_let_go_and_its_rows_deleted(servers, follower):
    PhoneCalls(servers["fs1"]).starts("1001", DOMAIN)
    wait_until(lambda: TableBusy().busy(ANA), what="busy")
    MediaServer.delete().where(MediaServer.name == "fs1").execute()
    wait_until(lambda: follower.held() == ["fs2"] and not TableBusy().busy(ANA), what="fs1 let go")


@pytest.mark.postgres
def test_a_member_busy_on_one_server_is_not_offered_a_call_queued_on_the_other(servers, follower):
    PhoneCalls(servers["fs1"]).starts("1001", DOMAIN)  # Ana talks on FreeSWITCH 1
    wait_until(lambda: TableBusy().busy(ANA), what="busy")
    # The group's call runs on FreeSWITCH 2's socket action, on another node's process.
    harness = Harness(advanced(ring_mode="consecutive"), queues=Queues())
    harness.services.busy = Busy(BusyTracker())
    assert harness.services.busy.shared_now()
    with harness:
        report = harness.call(CallerScript(legs={U2: Leg("no_answer"), U3: Leg("answer", 1, 1)}))
    dialled = [dial for dial, _ in report.bridges]
    assert dialled and not any("1001@" in dial for dial in dialled) and dialled[-1] == U3
    assert harness.records[0].outcome == "answered"


@pytest.mark.postgres
def test_a_server_whose_event_socket_is_down_counts_nobody_busy_and_is_followed_again(pg, servers):
    MediaServer.create(name="fs3", esl_host="127.0.0.4", esl_port=1, esl_password="pw")
    MemberChannel.create(server="fs3", uuid="left-behind", member=ANA)  # by a node that died
    a = node(pg)
    try:
        wait_until(lambda: "fs3" in a.held(), what="fs3 held")
        wait_until(lambda: not TableBusy().busy(ANA), what="stale rows dropped")
    finally:
        a.stop()



@pytest.mark.postgres
def test_a_killed_serve_process_s_servers_are_taken_over_by_the_other_node(tmp_path, servers, pg_url):
    """Two real `centralita serve --only esl` nodes: SIGKILL the one following, the other follows."""
    with ServeProcess(tmp_path / "a", only=("esl",), database_url=pg_url) as a:
        wait_until(lambda: all(subscriptions(e) == 1 for e in servers.values()), seconds=20, what="a follows both")
        with ServeProcess(tmp_path / "b", only=("esl",), database_url=pg_url) as b:
            phones = PhoneCalls(servers["fs2"])
            ending = phones.starts("1001", DOMAIN)
            wait_until(lambda: TableBusy().busy(ANA), what="ana busy")
            gevent.sleep(1.5)
            assert all(subscriptions(e) == 1 for e in servers.values())  # b only tries while a lives
            a.process.kill()  # SIGKILL: no clean-up of any kind
            killed = time.monotonic()
            phones.ends(ending)  # nobody hears it
            missed = phones.starts("1002", DOMAIN, ringing_them=True)
            wait_until(lambda: all(subscriptions(e) == 2 for e in servers.values()), seconds=10, what="b follows")
            took = time.monotonic() - killed
            wait_until(lambda: TableBusy().busy(BRUNO) and not TableBusy().busy(ANA), what="rows rebuilt")
            assert [row.uuid for row in MemberChannel.select()] == [missed]
            assert took < 5.0, f"took over after {took:.1f} s"
            assert "follows its channel events" in b.log()


@pytest.mark.postgres
def test_each_servers_dnd_lamps_are_fired_by_the_one_node_following_it(pg, servers):
    """Two nodes, each with its feed keeper and its lamp keeper (as `serve` wires them): each
    server gets the lamps once, from the node holding its feed; subscribers are answered there only."""
    from fs_plugins.callhandling.lamps import LampKeeper
    from fs_plugins.config import Config
    from fs_plugins.fsapi import event_sockets
    from fs_plugins.models.callhandling import CallHandling
    from tests import provision

    acme = provision.tenant("Acme", DOMAIN)
    CallHandling.create(user=provision.user(acme, "1002", "Bruno"), dnd=True)
    nodes = [node(pg), node(pg)]
    lamps = [LampKeeper(lambda: event_sockets(Config()), held=keeper.held, retry_seconds=0.1, settle_seconds=60,
                        refresh_seconds=0.1).start() for keeper in nodes]
    try:
        wait_until(lambda: len(nodes[0].held()) + len(nodes[1].held()) == 2, what="both servers followed")
        wait_until(lambda: all(emulator.report.events for emulator in servers.values()), what="lamps fired")
        for emulator in servers.values():
            emulator.subscribe(ANA, BRUNO)
        wait_until(lambda: all(len(emulator.report.events) >= 2 for emulator in servers.values()), what="answered")
        gevent.sleep(0.5)  # many rounds of both nodes: nobody else fires or answers
        for emulator in servers.values():
            assert [dict(headers)["from"] for _, headers in emulator.report.events] == [BRUNO, BRUNO]
            assert emulator.report.commands.count("event plain PRESENCE_PROBE") == 1
    finally:
        for keeper in lamps + nodes:
            keeper.stop()
