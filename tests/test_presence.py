"""Busy lamps: a user's do-not-disturb shown to the colleagues watching them, as a PRESENCE_IN
event fired inside FreeSWITCH (fs_plugins/presence.py builds it, fsapi sends it with `sendevent`
over the event socket), whoever changes the DND: the portal's and API's application layer or the
phone's *78/*79. Checked against the emulated event socket."""
from __future__ import annotations

import gevent
import pytest

from fs_plugins import presence
from fs_plugins.application import AppContext
from fs_plugins.callhandling import app as callhandling
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.fsapi import FreeswitchDirectory
from fs_plugins.models.callhandling import CallHandling
from tests import provision
from tests.provision import OPERATOR
from tests.test_audio_phone import fs  # noqa: F401 (fixture)

A = "acme.example"


def test_dnd_on_is_a_confirmed_pseudo_dialog_of_the_user_and_off_ends_that_same_dialog():
    on, off = presence.dnd("1002", A, True), presence.dnd("1002", A, False)
    assert on.name == off.name == "PRESENCE_IN"
    for event in (on, off):
        assert event.header("proto") == "sip"
        assert event.header("from") == event.header("login") == "1002@acme.example"
        assert event.header("event_type") == "presence" and event.header("alt_event_type") == "dialog"
    assert (on.header("answer-state"), on.header("rpid"), on.header("status")) == ("confirmed", "busy", "DND")
    assert (off.header("answer-state"), off.header("status")) == ("terminated", "Available")
    assert on.header("unique-id") == off.header("unique-id") != presence.dnd("1002", "globex.example", True).header(
        "unique-id")


@pytest.mark.parametrize("extension, domain", [("1002\nproto: x", A), ("1002", "acme.example\r\nrpid: busy"),
                                               ("", A), ("1002", "")])
def test_a_user_address_that_could_forge_a_header_is_never_sent(extension, domain):
    with pytest.raises(ValueError):
        presence.sendevent_command(presence.dnd(extension, domain, True))


@pytest.mark.parametrize("headers, probe", [
    ({"proto": "sip", "from": "1001@acme.example", "to": "1002@Acme.Example"},
     presence.Probe("1001@acme.example", "1002", "acme.example")),
    ({"proto": "sip", "from": "1001@globex.example", "to": "1002@acme.example"}, None),  # another tenant's phone
    ({"proto": "conf", "from": "1001@acme.example", "to": "conf+3000@acme.example"}, None),
    ({"proto": "sip", "from": "1001@acme.example", "to": "${x}@acme.example"}, None),
    ({"proto": "sip", "from": "1001@acme.example"}, None),
])
def test_a_probe_is_answered_only_for_a_user_watched_from_their_own_domain(headers, probe):
    assert presence.probe_of(headers) == probe


def test_the_answer_to_a_probe_is_dnd_before_a_call_before_idle():
    probe = presence.Probe("1001@acme.example", "1002", "acme.example")
    assert presence.probe_answer(probe, True, True) == presence.dnd("1002", "acme.example", True)
    assert presence.probe_answer(probe, False, True).header("rpid") == "on-the-phone"
    assert presence.probe_answer(probe, False, False) == presence.dnd("1002", "acme.example", False)


def test_the_command_is_sendevent_with_one_header_a_line():
    command = presence.sendevent_command(presence.dnd("1002", A, True))
    lines = command.split("\n")
    assert lines[0] == "sendevent PRESENCE_IN" and "from: 1002@acme.example" in lines
    assert "answer-state: confirmed" in lines and all(": " in line for line in lines[1:])
    with pytest.raises(ValueError):
        presence.sendevent_command(presence.FsEvent("PRESENCE_IN", (("status", "a\nb"),)))


@pytest.fixture
def freeswitch(fs):
    return fs  # the emulated event socket, password s3cret


@pytest.fixture
def acme(db):
    acme = provision.tenant("Acme", A, country="ES")
    globex = provision.tenant("Globex", "globex.example", country="ES")
    for extension in ("1001", "1002"):
        provision.user(acme, extension, f"User {extension}", password="password-" + extension)
    provision.user(globex, "1002", "Gina", password="password-g")
    return acme


def _config(emulator) -> Config:
    host, port = emulator.address
    return Config().replace(fs_event_socket_host=host, fs_event_socket_port=port, fs_event_socket_password="s3cret")


def _operator(emulator) -> AppContext:
    """The operator's context, telling the emulated FreeSWITCH of each change."""
    config = _config(emulator)
    return AppContext(OPERATOR.principal, config, freeswitch=FreeswitchDirectory(config))


def _failing(times: int, error: Exception, then):
    """A callable that raises `error` on its first `times` calls, then answers `then()`."""
    left = [times]

    def call():
        if left[0]:
            left[0] -= 1
            raise error
        return then()
    return call


def _lamps(emulator) -> list[tuple[str, str, str]]:
    return [(name, dict(headers)["from"], dict(headers)["answer-state"]) for name, headers in emulator.report.events]


def test_dnd_set_in_the_portal_or_api_lights_the_users_lamp_and_clearing_it_puts_it_out(acme, freeswitch):
    ctx = _operator(freeswitch)
    done = callhandling.set_dnd(ctx, A, "1002", True)
    assert done.value.dnd and [answer.ok for answer in done.freeswitch.answers] == [True]
    callhandling.set_dnd(ctx, A, "1002", False)
    assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed"),
                                  ("PRESENCE_IN", "1002@acme.example", "terminated")]
    ids = {dict(headers)["unique-id"] for _, headers in freeswitch.report.events}
    assert len(ids) == 1  # the same pseudo-dialog, ended
    assert any(command.startswith("sendevent PRESENCE_IN\n") for command in freeswitch.report.commands)


def test_dnd_from_the_phone_lights_the_lamp_too(acme, freeswitch):
    config = _config(freeswitch)
    assert featurecodes.dial_from_phone(config, A, "1002", "dnd_toggle", freeswitch=FreeswitchDirectory(config)) \
        == "dnd_on"
    assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")]


def test_a_simulated_code_tells_freeswitch_nothing(acme, freeswitch):
    featurecodes.dial_from_phone(_config(freeswitch), A, "1002", "dnd_on", dry_run=True)
    assert freeswitch.report.events == []


def test_dnd_is_stored_when_freeswitch_cannot_be_told_and_the_report_says_so(acme):
    config = Config().replace(fs_event_socket_host="127.0.0.1", fs_event_socket_port=1)  # nobody listens
    ctx = AppContext(OPERATOR.principal, config, freeswitch=FreeswitchDirectory(config))
    done = callhandling.set_dnd(ctx, A, "1002", True)
    assert [answer.ok for answer in done.freeswitch.answers] == [False]
    assert CallHandling.get(CallHandling.user == provision.find_user(acme, "1002")).dnd


def test_a_refused_dnd_change_tells_freeswitch_nothing(acme, freeswitch):
    ctx = _operator(freeswitch)
    with pytest.raises(InvalidInput):
        callhandling.set_dnd(ctx, A, "1002", True, mode="nonsense")
    with pytest.raises(NotFound):
        callhandling.set_dnd(ctx, A, "1099", True)
    assert freeswitch.report.events == []


def test_after_freeswitch_restarts_or_is_added_every_dnd_users_lamp_is_fired_on_it(acme, freeswitch):
    from fs_plugins.callhandling.lamps import LampKeeper, dnd_events
    from fs_plugins.fsapi import event_sockets
    ctx = _operator(freeswitch)
    callhandling.set_dnd(ctx, A, "1002", True)
    callhandling.set_dnd(ctx, "globex.example", "1002", True)
    callhandling.set_dnd(ctx, A, "1001", True)
    callhandling.set_dnd(ctx, A, "1001", False)  # out of DND again: not lit after the restart
    freeswitch.report.events.clear()
    servers = []  # no media server yet: one registered while serve runs gets its lamps too
    keeper = LampKeeper(lambda: list(servers), retry_seconds=0.05, settle_seconds=0.2, refresh_seconds=0.05).start()
    gevent.sleep(0.2)
    assert freeswitch.report.events == []
    servers.extend(event_sockets(_config(freeswitch)))
    try:
        lit = [("PRESENCE_IN", "1002@acme.example", "confirmed"), ("PRESENCE_IN", "1002@globex.example", "confirmed")]
        _wait(lambda: len(freeswitch.report.events) >= 4)
        assert _lamps(freeswitch) == lit + lit  # when connected, and again once phones had time to re-subscribe
        freeswitch.stop(timeout=0.1)  # FreeSWITCH restarts: its presence state is gone
        freeswitch.report.events.clear()
        freeswitch.start(port=freeswitch.address[1])
        _wait(lambda: len(freeswitch.report.events) >= 2)
        assert _lamps(freeswitch)[:2] == lit
        servers.clear()  # removed: its connection is closed and nothing more is fired there
        _wait(lambda: not keeper._kept)
    finally:
        keeper.stop()
    assert [event.header("from") for event in dnd_events()] == ["1002@acme.example", "1002@globex.example"]


def _wait(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        gevent.sleep(0.05)
    raise AssertionError("not seen in time")


def _keeper(emulator, name: str = "", **kwargs):
    from fs_plugins.callhandling.lamps import LampKeeper
    from fs_plugins.fsapi import EventSocket
    host, port = emulator.address
    server = EventSocket(host, port, "s3cret", name)
    options = {"retry_seconds": 0.05, "settle_seconds": 60, "refresh_seconds": 0.05, **kwargs}
    return LampKeeper(lambda: [server], **options).start()


def _subscribed(emulator, count: int = 1) -> None:
    _wait(lambda: emulator.report.commands.count("event plain PRESENCE_PROBE") >= count)


def test_a_phone_that_subscribes_gets_the_watched_users_lamp_of_its_own_tenant_only(acme, freeswitch):
    ctx = _operator(freeswitch)
    callhandling.set_dnd(ctx, A, "1002", True)  # Acme's 1002 in DND; Globex's 1002 (Gina) is not
    keeper = _keeper(freeswitch)
    try:
        _subscribed(freeswitch)
        _wait(lambda: freeswitch.report.events)  # the lamps fired on connecting
        freeswitch.report.events.clear()
        freeswitch.subscribe("1001@acme.example", "1002@acme.example")
        _wait(lambda: freeswitch.report.events)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")]
        freeswitch.report.events.clear()
        freeswitch.subscribe("1002@globex.example", "1002@globex.example", event="presence")
        _wait(lambda: freeswitch.report.events)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@globex.example", "terminated")]  # idle, not Acme's DND
        freeswitch.report.events.clear()
        freeswitch.subscribe("1002@globex.example", "1002@acme.example")  # another tenant's phone: nothing
        freeswitch.subscribe("1001@acme.example", "1099@acme.example")  # nobody of that tenant
        freeswitch.subscribe("1001@acme.example", "1002@acme.example\nfrom: x")
        gevent.sleep(0.3)
        assert freeswitch.report.events == []
    finally:
        keeper.stop()


def test_a_subscriber_to_a_user_on_a_call_is_told_so_by_the_server_the_call_is_on(acme, freeswitch):
    freeswitch.channels["c0ffee"] = {"uuid": "c0ffee", "presence_id": "1001@acme.example", "state": "CS_EXECUTE"}
    keeper = _keeper(freeswitch)
    try:
        _subscribed(freeswitch)
        freeswitch.subscribe("1002@acme.example", "1001@acme.example", event="presence")
        _wait(lambda: freeswitch.report.events)
        (name, headers), = freeswitch.report.events
        assert (name, dict(headers)["from"], dict(headers)["rpid"]) == ("PRESENCE_IN", "1001@acme.example",
                                                                        "on-the-phone")
        assert "alt_event_type" not in dict(headers)  # the call's dialogs are FreeSWITCH's own to tell
        freeswitch.subscribe("1003@acme.example", "1001@acme.example")  # the next phone, within the second
        _wait(lambda: len(freeswitch.report.events) == 2)
        assert freeswitch.report.commands.count("api show channels as json") == 1  # asked once for both
    finally:
        keeper.stop()


def test_in_a_cluster_only_the_node_holding_a_servers_feed_fires_and_answers_its_lamps(acme, freeswitch):
    ctx = _operator(freeswitch)
    callhandling.set_dnd(ctx, A, "1002", True)
    freeswitch.report.events.clear()
    holder = {"node-a": {"fs1"}, "node-b": set()}
    keepers = [_keeper(freeswitch, "fs1", held=lambda node=node: holder[node]) for node in holder]
    try:
        _subscribed(freeswitch)
        _wait(lambda: freeswitch.report.events)
        freeswitch.subscribe("1001@acme.example", "1002@acme.example")
        _wait(lambda: len(freeswitch.report.events) >= 2)
        gevent.sleep(0.3)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")] * 2  # fired, answered: once
        assert freeswitch.report.commands.count("event plain PRESENCE_PROBE") == 1
        holder["node-a"], holder["node-b"] = set(), {"fs1"}  # node A lost the feed, node B took it
        freeswitch.report.events.clear()
        _subscribed(freeswitch, 2)
        _wait(lambda: freeswitch.report.events)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")]
        _wait(lambda: not keepers[0]._kept)
    finally:
        for keeper in keepers:
            keeper.stop()


def test_a_lamp_keeper_that_raises_is_started_again_and_logged_once_with_its_traceback(acme, freeswitch, caplog):
    from fs_plugins.callhandling.lamps import dnd_events
    ctx = _operator(freeswitch)
    callhandling.set_dnd(ctx, A, "1002", True)
    freeswitch.report.events.clear()
    caplog.set_level("INFO", logger="fs_plugins.callhandling.lamps")
    keeper = _keeper(freeswitch, events=_failing(3, RuntimeError("a bug in reading the lamps"), dnd_events),
                     retry_seconds=0.02)
    try:
        _wait(lambda: freeswitch.report.events)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")]
    finally:
        keeper.stop()
    failed = [record for record in caplog.records if "failed" in record.getMessage()]
    assert len(failed) == 3 and [bool(record.exc_info) for record in failed] == [True, False, False]
    assert "a bug in reading the lamps" in caplog.text


def test_the_watch_of_the_media_servers_is_started_again_when_it_raises(acme, freeswitch, caplog):
    from fs_plugins.callhandling.lamps import LampKeeper
    from fs_plugins.fsapi import event_sockets
    ctx = _operator(freeswitch)
    callhandling.set_dnd(ctx, A, "1002", True)
    freeswitch.report.events.clear()
    servers = _failing(2, KeyError("a bug in listing the media servers"), lambda: event_sockets(_config(freeswitch)))
    keeper = LampKeeper(servers, retry_seconds=0.02, settle_seconds=60, refresh_seconds=0.05).start()
    try:
        _wait(lambda: freeswitch.report.events)
        assert _lamps(freeswitch) == [("PRESENCE_IN", "1002@acme.example", "confirmed")]
    finally:
        keeper.stop()
    assert [bool(r.exc_info) for r in caplog.records if "media servers' watch failed" in r.getMessage()] == [True, False]
