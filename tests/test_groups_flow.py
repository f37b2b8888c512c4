"""The group flow over real TCP against the emulator: a simple call end to end, hang-ups at every
moment, and advanced queues with concurrent callers racing for the same members. The logic of simple
ringing and opening hours runs on an in-memory Channel in tests/test_groups_flow_logic.py."""
from __future__ import annotations


import gevent
import pytest

from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.esl.server import EslServer
from fs_plugins.groups.flow import GroupServices, group_flow
from fs_plugins.groups.queue import Queues
from fs_plugins.groups.records import Group, Member
from fs_plugins.sim.emulator import CallSetup, Emulator
from fs_plugins.sim.script import CallerScript, Leg
from tests.test_esl_channel import no_greenlet_left_behind  # noqa: F401  (autouse fixture)

DOMAIN = "acme.example"
U1, U2, U3 = (f"user/100{i}@{DOMAIN}" for i in (1, 2, 3))


def member(ext: str, **kw) -> Member:
    return Member(key=f"{ext}@{DOMAIN}", user_id=int(ext), extension=ext, **kw)


def group(**kw) -> Group:
    base = dict(id=7, tenant_id=1, domain=DOMAIN, country="ES", name="Sales", kind="simple",
                ring_mode="simultaneous", member_seconds=10, total_seconds=30,
                members=(member("1001"), member("1002"), member("1003")))
    base.update(kw)
    return Group(**base)


class Harness:
    def __init__(self, the_group: Group, queues: Queues | None = None, clock=None):
        self.records = []
        self.services = GroupServices(load=self.load, record=self.records.append, queues=queues or Queues(),
                                      poll_seconds=5)
        if clock:
            self.services.clock = clock
        self.group = the_group
        registry = FlowRegistry()
        registry.register("group", group_flow(self.services))
        self.server = EslServer(Config(esl_port=0), registry)

    def load(self, tenant, group_id):
        if tenant != DOMAIN or group_id != str(self.group.id):
            raise NotFound("group", "no such group")
        return self.group

    def call(self, script=None, group_id="7", uuid=None):
        setup = CallSetup(variables={"pbx_flow": "group", "pbx_flow_object": group_id, "pbx_tenant": DOMAIN},
                          caller_number="+34600123456")
        if uuid:
            setup.uuid = uuid
        # quiet: virtual time moves after 20 ms without a command (5 ms lets a busy machine's
        # scheduling gap look like the flow waiting, and a scripted hang-up would jump ahead)
        return Emulator(self.server.address, setup, script or CallerScript(), quiet=0.02, idle_timeout=3).run()

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        gevent.sleep(0.01)
        self.server.stop(timeout=1)


def run_one(the_group, script=None, **kw):
    with Harness(the_group, **kw) as harness:
        report = harness.call(script)
    return report, harness.records



def assert_never_offered_twice(history) -> None:
    """Replay a queue's offer/release history: a member is offered to one caller at a time."""
    reserved: dict[str, str] = {}
    for event, caller, key in history:
        if event == "offer":
            assert key not in reserved, f"{key} offered to {caller} while ringing for {reserved.get(key)}"
            reserved[key] = caller
        else:
            assert reserved.pop(key) == caller

def test_a_simultaneous_group_rings_every_member_at_once_and_the_answerer_takes_the_call():
    script = CallerScript(legs={U2: Leg("answer", 2, 5)})
    report, records = run_one(group(), script)
    assert report.bridges == [(U2, "SUCCESS")]
    assert report.hangup_cause == "NORMAL_CLEARING"
    assert [r.outcome for r in records] == ["answered"]


def test_an_unknown_group_is_handed_back_to_the_dialplan_before_answering():
    with Harness(group()) as harness:
        report = harness.call(group_id="99")
    assert report.handed_back and report.bridges == [] and harness.records == []


def test_a_caller_hanging_up_while_members_ring_is_recorded_as_abandoned():
    report, records = run_one(group(), CallerScript(hangup_at=4))
    # As recorded (json_cdr_centralita/f2): a CANCEL before the answer is ORIGINATOR_CANCEL, and
    # every ringing member's leg is cancelled with it.
    assert report.hangup_cause == "ORIGINATOR_CANCEL"
    assert {(leg["cause"], leg["sip_disposition"]) for leg in report.legs} == {("ORIGINATOR_CANCEL", "send_cancel")}
    assert [r.outcome for r in records] == ["abandoned"]


def test_a_caller_hanging_up_after_answer_ends_the_call_as_answered():
    report, records = run_one(group(), CallerScript(hangup_at=6, legs={U1: Leg("answer", 1)}))
    assert report.bridges == [(U1, "SUCCESS")]
    assert [r.outcome for r in records] == ["answered"]


# -- advanced groups ------------------------------------------------------------------------

def advanced(**kw):
    return group(**{"kind": "advanced", "max_wait": 60, "queue_size": 5, "announce_every": 0, **kw})


def test_an_advanced_caller_waits_hearing_its_position_then_gets_a_member():
    script = CallerScript(legs={U1: Leg("answer", 1, 3)})
    report, records = run_one(advanced(ring_mode="consecutive", members=(member("1001"),)), script)
    assert report.bridges[-1] == (f"[leg_timeout=10]{U1}", "SUCCESS") or report.bridges[-1][1] == "SUCCESS"
    assert records[0].outcome == "answered"


def test_an_advanced_caller_overflows_after_the_maximum_wait():
    the_group = advanced(members=(), overflow=Destination("number", "+34911234567"))
    report, records = run_one(the_group)
    assert report.transfer == ("pbx-number-+34911234567", DOMAIN)
    assert records[0].outcome == "overflowed" and records[0].wait_seconds >= 60
    said = report.played.index("say en number pronounced 1")  # no default_language: FreeSWITCH's "en"
    assert report.played[said - 1] == "ivr/ivr-you_are_number.wav"


def test_consecutive_rounds_overflow_after_every_member_was_tried_n_times():
    the_group = advanced(ring_mode="consecutive", rounds=2, members=(member("1001"), member("1002")),
                         overflow=Destination("ivr", "3"))
    report, records = run_one(the_group)
    assert len(report.bridges) == 4 and report.transfer == ("pbx-ivr-3", DOMAIN)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def line_store(request):
    """Makes a group's line store: this process's (one node), or PostgreSQL's shared by nodes."""
    if request.param == "memory":
        yield Queues
        return
    from fs_plugins import db as dbmod
    from fs_plugins.cluster import nodes
    from fs_plugins.groups.store import SharedQueues
    from tests.conftest import pg_schema_url

    with pg_schema_url("line_") as url:
        database = dbmod.connect(url)
        nodes.beat("node-a", "127.0.0.4:18084", started=True)
        yield lambda keep_history=False: SharedQueues("node-a", keep_history=keep_history)
        database.close()


def test_a_full_queue_overflows_at_once(line_store):
    queues = line_store()
    queue = queues.of(7)
    queue.join("someone", 0, 1)
    report, records = run_one(advanced(queue_size=1, overflow=Destination("user", "5")), queues=queues)
    assert report.transfer == ("pbx-user-5", DOMAIN) and report.bridges == []


def test_a_caller_hanging_up_while_waiting_leaves_the_queue(line_store):
    queues = line_store()
    report, records = run_one(advanced(members=()), CallerScript(hangup_at=12), queues=queues)
    assert records[0].outcome == "abandoned" and queues.of(7).entries == []


@pytest.mark.parametrize("mode", ["consecutive", "simultaneous"])
def test_two_callers_and_three_members_racing_are_never_double_offered_nor_lost(mode, line_store):
    queues = line_store(keep_history=True)
    legs = {U1: Leg("answer", 1, 2), U2: Leg("no_answer"), U3: Leg("answer", 2, 2)}
    with Harness(advanced(ring_mode=mode), queues=queues) as harness:
        calls = [gevent.spawn(harness.call, CallerScript(legs=dict(legs)), uuid=f"caller-{i}") for i in range(2)]
        gevent.joinall(calls, raise_error=True)
    assert_never_offered_twice(queues.of(7).history)
    assert sorted(r.outcome for r in harness.records) == ["answered", "answered"]
    assert queues.of(7).entries == [] and queues.of(7).reserved == {}


def test_a_caller_pressing_the_callback_key_hangs_up_keeps_their_place_and_is_called_back():
    originated = []

    def originate(member_dial, caller_dial, the_group, seconds):
        originated.append((member_dial, caller_dial, seconds))
        return len(originated) == 2  # the first member does not answer, the second does

    queues = Queues()
    with Harness(advanced(callback_key="5", ring_mode="consecutive", members=(member("1001"), member("1002"))),
                 queues=queues) as harness:
        harness.services.originate = originate
        harness.services.callback_poll_seconds = 0.01
        on_a_call = {"everyone": True}  # while the caller waits; then the members become free
        harness.services.busy.busy = lambda key: on_a_call["everyone"]
        report = harness.call(CallerScript(dtmf=[(7, "5")]))
        assert queues.of(7).entries[0].callback == "sofia/gateway/carrier/+34600123456"
        on_a_call["everyone"] = False
        gevent.joinall(harness.services.callbacks, timeout=3)
    assert report.hangup_cause == "NORMAL_CLEARING" and report.bridges == []
    caller = "sofia/gateway/carrier/+34600123456"
    assert originated == [(U1, caller, 10), (U2, caller, 10)]
    assert [r.outcome for r in harness.records] == ["answered"] and queues.of(7).entries == []


def test_an_uploaded_melody_is_the_ringback_of_a_simple_group_and_the_music_of_a_queue():
    report, _ = run_one(group(melody="audio", melody_path="/var/lib/centralita/audio/1/hold.wav", members=()))
    assert report.hangup_cause == "NORMAL_CLEARING"
    the_group = advanced(members=(), melody="audio", melody_path="/audio/hold.wav", melody_seconds=20)
    report, records = run_one(the_group)
    # 4 s of "you are number 1" (the emulator's 2 s prompt and 2 s say), 2 × 20 s of the melody, and
    # the last 16 s before max-wait in the tone (an uploaded melody is never cut)
    assert report.played.count("/audio/hold.wav") == 2 and records[0].wait_seconds == 60


def test_many_callers_coming_and_going_keep_the_queue_consistent(line_store):
    queues = line_store(keep_history=True)
    legs = {U1: Leg("answer", 2, 3), U2: Leg("busy"), U3: Leg("no_answer")}
    scripts = [CallerScript(legs=dict(legs), hangup_at=hangup) for hangup in (None, 4, None, 13, None, 30)]
    with Harness(advanced(ring_mode="consecutive", queue_size=4, overflow=Destination("voicemail", "")),
                 queues=queues) as harness:
        calls = [gevent.spawn(harness.call, script, uuid=f"caller-{i}") for i, script in enumerate(scripts)]
        gevent.joinall(calls, raise_error=True)
    assert_never_offered_twice(queues.of(7).history)
    assert sorted(r.uuid for r in harness.records) == [f"caller-{i}" for i in range(6)]  # nobody lost
    assert queues.of(7).entries == [] and queues.of(7).reserved == {}
    assert {r.outcome for r in harness.records} <= {"answered", "abandoned", "overflowed"}


def test_a_waiting_caller_sees_members_change_their_dnd():
    loads = []

    class Changing(Harness):
        def load(self, tenant, group_id):
            loads.append(group_id)
            dnd = len(loads) < 3  # in DND for the first load and the first reload
            return advanced(members=(member("1001", dnd=dnd),), max_wait=120)

    with Changing(advanced()) as harness:
        report = harness.call(CallerScript(legs={U1: Leg("answer", 1, 1)}))
    assert len(loads) == 3 and report.bridges[-1][1] == "SUCCESS" and harness.records[0].outcome == "answered"
    assert harness.records[0].wait_seconds >= 60


def test_with_channel_events_the_answerers_ring_counts_as_wait_and_the_rest_as_talk():
    moments = iter([100.0, 130.0])  # bridge starts; bridge ends (the conversation is over)
    with Harness(group(members=(member("1001"), member("1002")))) as harness:
        harness.services.timer = lambda: next(moments)  # the flow's clock is injected
        harness.services.busy.owner = lambda uuid: f"1002@{DOMAIN}"
        harness.services.busy.answered_at = lambda uuid: 104.0  # CHANNEL_ANSWER of the B leg
        harness.call(CallerScript(legs={U2: Leg("answer", 4, 26)}))
    record = harness.records[0]
    assert (record.member, record.wait_seconds, record.talk_seconds) == (f"1002@{DOMAIN}", 4.0, 26.0)


def test_without_channel_events_the_ring_and_talk_time_are_freeswitchs_timing_of_the_bridge():
    # The emulator's seconds are virtual: the flow's own clock hardly moves, FreeSWITCH's does.
    with Harness(group(members=(member("1001"),))) as harness:
        harness.call(CallerScript(legs={U1: Leg("answer", 4, 95)}))
    record = harness.records[0]
    assert (record.outcome, record.wait_seconds, record.talk_seconds) == ("answered", 4.0, 95.0)


@pytest.mark.parametrize("hangup_at, legs, outcome", [
    (3, {}, "abandoned"),  # while a member's phone rings for them
    (6, {U1: Leg("answer", 1)}, "answered"),  # during the conversation
])
def test_a_queued_caller_hanging_up_while_ringing_or_talking_frees_the_member(hangup_at, legs, outcome):
    queues = Queues()
    the_group = advanced(ring_mode="consecutive", members=(member("1001"),))
    report, records = run_one(the_group, CallerScript(hangup_at=hangup_at, legs=legs), queues=queues)
    assert [r.outcome for r in records] == [outcome]
    assert queues.of(7).entries == [] and queues.of(7).reserved == {}


# -- the queue: waiting callers only, overflow on time (issue 13 item 6) ----------------------

def test_the_overflow_comes_at_the_maximum_wait_not_a_melody_chunk_later():
    # The ringback cycle is 6 s and the queue looks every 5 s: an 8 s wait used to end at 12 s.
    the_group = advanced(members=(), max_wait=8, overflow=Destination("number", "+34911234567"))
    report, records = run_one(the_group)
    assert report.transfer == ("pbx-number-+34911234567", DOMAIN)
    assert records[0].outcome == "overflowed" and records[0].wait_seconds == 8
    # "You are number 1" lasts 4 s (the emulator's 2 s prompt and 2 s say) and counts as waiting;
    # the melody stops at 8 s of waiting (the last chunk cut short), then the call overflows at once.
    assert report.played[:2] == ["ivr/ivr-you_are_number.wav", "say en number pronounced 1"]
    assert sum(duration(path) for path in report.played if path.startswith("tone_stream://")) == 4.0
    assert report.played[-1].startswith("tone_stream://") and report.steps[-2][1].startswith("transferred")
    transferred_at = report.steps[-2][0]
    assert 8.0 <= transferred_at - report.answered_at < 8.5, report.steps  # virtual seconds (command delays)


from fs_plugins.sim.media import duration  # noqa: E402


class WatchedQueues(Queues):
    """Queues that note who was still waiting in line when each offer ended."""

    def __init__(self):
        super().__init__(keep_history=True)
        self.in_line_after_offer = []

    def of(self, group_id):
        queue = super().of(group_id)
        if not hasattr(queue, "watched"):
            original, queue.watched = queue.release, True

            def release(entry):
                self.in_line_after_offer.append([e.uuid for e in queue.entries])
                original(entry)
            queue.release = release
        return queue


def test_a_caller_talking_to_a_member_is_no_longer_in_the_queue():
    queues = WatchedQueues()
    script = CallerScript(legs={U1: Leg("answer", 1, 20)})
    report, records = run_one(advanced(members=(member("1001"),)), script, queues=queues)
    assert records[0].outcome == "answered"
    # Out of the line from the answer on: when the conversation (and so the offer) ended, nobody was waiting.
    assert queues.in_line_after_offer[0] == []


def test_positions_and_the_size_limit_count_only_callers_still_waiting():
    from fs_plugins.groups.queue import GroupQueue

    queue = GroupQueue()
    talking = queue.join("a", 1, limit=2)
    waiting = queue.join("b", 2, limit=2)
    assert queue.join("c", 3, limit=2) is None  # two waiting: full
    queue.claim(talking, [f"1001@{DOMAIN}"], None, busy=lambda key: False)
    queue.connected(talking)
    assert queue.position(waiting) == 1
    assert queue.join("c", 3, limit=2) is not None  # the caller in conversation no longer counts
    assert queue.claim(waiting, [f"1001@{DOMAIN}"], None, busy=lambda key: False) == ()  # still reserved
    queue.release(talking)
    assert queue.claim(waiting, [f"1001@{DOMAIN}"], None, busy=lambda key: False) == (f"1001@{DOMAIN}",)
