"""Which FreeSWITCH originates what Centralita calls (fs_plugins/cluster/originate.py): a chosen
media server, else where the phone is registered, else the first enabled server answering, else
the configured FreeSWITCH; and only a real sofia_contact contact counts as registered."""
from __future__ import annotations

import pytest

from fs_plugins.cluster import originate
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.fsapi import EventSocket, FreeswitchUnavailable
from fs_plugins.models.cluster import MediaServer
from tests.fake_event_socket import FakeEventSocket

FS1, FS2, FS3 = (EventSocket(f"127.0.0.{n}", 8021, "pw", f"fs{n}") for n in (1, 2, 3))
PHONE = "user/1001@acme.example"
CONTACT = "sofia/internal/sip:1001@192.0.2.7:5060"


def asker(replies: dict[str, str], asked: list | None = None):
    """`ask` over servers that reply as given (a server missing: unreachable)."""

    def ask(server, command):
        if asked is not None:
            asked.append((server.name, command))
        if server.name not in replies:
            raise FreeswitchUnavailable(f"{server.name}: connection refused")
        return replies[server.name]

    return ask


def test_a_chosen_media_server_is_used_without_asking_anyone():
    asked = []
    assert originate.route(PHONE, [FS1, FS2], asker({"fs1": CONTACT}, asked), chosen=FS3) is FS3
    assert asked == []


def test_the_server_holding_the_phones_contact_comes_before_the_first_answering():
    asked = []
    replies = {"fs1": "error/user_not_registered", "fs2": CONTACT}
    assert originate.route(PHONE, [FS3, FS2, FS1], asker(replies, asked)) is FS2
    assert asked[0] == ("fs1", "sofia_contact */1001@acme.example")


@pytest.mark.parametrize("reply", ["error/user_not_registered", "", "-ERR no reply",
                                   "-ERR sofia_contact Command not found!\n", "+OK"])
def test_a_reply_that_is_no_contact_does_not_count_as_registered_there(reply):
    replies = {"fs1": reply, "fs2": CONTACT}
    assert originate.route(PHONE, [FS1, FS2], asker(replies)) is FS2
    assert originate.route(PHONE, [FS1], asker(replies)) is FS1  # it answered: the first answering


def test_several_contacts_joined_by_commas_count_as_registered():
    assert originate.route(PHONE, [FS1], asker({"fs1": f"{CONTACT},sofia/internal/sip:1001@192.0.2.8"})) is FS1
    assert originate.is_contact(CONTACT + "\n") and not originate.is_contact("-ERR " + CONTACT)


def test_registered_nowhere_goes_to_the_first_server_answering_in_name_order():
    replies = {"fs2": "error/user_not_registered", "fs3": "error/user_not_registered"}
    assert originate.route(PHONE, [FS3, FS2, FS1], asker(replies)) is FS2  # fs1 does not answer


def test_a_number_goes_to_the_first_server_answering_after_one_status():
    asked = []
    assert originate.route("sofia/gateway/carrier/+34910000000", [FS2, FS1], asker({"fs1": "UP", "fs2": "UP"},
                                                                                    asked)) is FS1
    assert asked == [("fs1", "status")]


def test_no_server_answering_or_none_registered_means_the_configured_freeswitch():
    assert originate.route(PHONE, [FS1, FS2], asker({})) is None
    assert originate.route(PHONE, [], asker({})) is None


def test_a_media_server_chosen_by_name_must_exist_and_be_enabled(db):
    MediaServer.create(name="fs1", esl_host="127.0.0.1", esl_port=8021, esl_password="pw")
    MediaServer.create(name="fs2", esl_host="127.0.0.2", esl_port=8021, esl_password="pw", enabled=False)
    assert originate.named_server(" FS1 ") == EventSocket("127.0.0.1", 8021, "pw", "fs1")
    assert originate.named_server("") is None and originate.named_server(None) is None
    for name, why in (("fs9", "no media server 'fs9'"), ("fs2", "'fs2' is disabled"),
                      ("fs\x001", "no media server"), ("f" * 300, "no media server"), ("${x}", "no media server")):
        with pytest.raises(InvalidInput) as caught:
            originate.named_server(name)
        assert caught.value.field == "media_server" and why in str(caught.value)


def test_api_for_asks_the_enabled_servers_and_falls_back_on_the_configured_one(db):
    servers = [FakeEventSocket(password="pw", host=f"127.0.0.{n}") for n in (2, 3)]
    ports = [server.start() for server in servers]
    try:
        for n, port in zip((2, 3), ports):
            MediaServer.create(name=f"fs{n}", esl_host=f"127.0.0.{n}", esl_port=port, esl_password="pw")
        servers[0].answers["sofia_contact"] = "-ERR no reply"
        servers[1].answers["sofia_contact"] = CONTACT
        config = Config(fs_event_socket_port=1)
        assert originate.api_for(config, PHONE, 5.0).server.name == "fs3"
        servers[1].answers["sofia_contact"] = "error/user_not_registered"
        assert originate.api_for(config, PHONE, 5.0).server.name == "fs2"
        chosen = originate.named_server("fs3")
        before = len(servers[0].commands)
        assert originate.api_for(config, PHONE, 5.0, chosen).server.name == "fs3"
        assert len(servers[0].commands) == before  # a chosen server: nobody asked
        MediaServer.update(enabled=False).execute()
        assert originate.api_for(config, PHONE, 5.0).server.port == 1  # none enabled: the configured one
    finally:
        for server in servers:
            server.stop()


def test_the_socket_contact_is_the_servers_own_address_else_the_configured_one():
    config = Config(esl_host="0.0.0.0", esl_port=18084, esl_advertise_host="10.0.0.4")
    plain, own, v6 = (EventSocket("h", 8021, "pw", "fs1"), EventSocket("h", 8021, "pw", "fs2", "10.1.0.4:18085"),
                      EventSocket("h", 8021, "pw", "fs3", "[fd00::4]:18084"))
    assert originate.socket_contact(config, plain) == "10.0.0.4:18084"
    assert originate.socket_contact(config, plain, 40000) == "10.0.0.4:40000"
    assert originate.socket_contact(config, own) == "10.1.0.4:18085"
    assert originate.socket_contact(config, own, 40000) == "10.1.0.4:40000"  # a short-lived server's own port
    assert originate.socket_contact(config, v6, 40000) == "[fd00::4]:40000"
