"""Changing a user tells FreeSWITCH to drop its cached directory entry at once."""
from __future__ import annotations

import pytest

from fs_plugins.cli import main
from fs_plugins.config import Config
from fs_plugins.fsapi import FreeswitchApi, FreeswitchUnavailable, flush_users
from tests.fake_event_socket import FakeEventSocket


@pytest.fixture
def event_socket():
    fake = FakeEventSocket()
    port = fake.start()
    yield fake, port
    fake.stop()


def test_flush_sends_xml_flush_cache_for_the_user(event_socket):
    fake, port = event_socket
    FreeswitchApi(Config(fs_event_socket_port=port)).flush_users([("1001", "acme.example")])
    assert fake.commands == ["xml_flush_cache id 1001 acme.example"]


def test_a_wrong_password_is_reported_not_hidden(event_socket):
    _, port = event_socket
    with pytest.raises(FreeswitchUnavailable, match="refused the password"):
        FreeswitchApi(Config(fs_event_socket_port=port, fs_event_socket_password="nope")).flush_users([("1", "a.b")])


def test_an_unreachable_freeswitch_gives_a_warning_naming_the_expiry():
    api = FreeswitchApi(Config(fs_event_socket_port=1), timeout=1)
    report = flush_users(api, [("1001", "acme.example")], cache_ms=300000)
    assert report.entries == ("1001@acme.example",) and [a.ok for a in report.answers] == [False]
    assert len(report.warnings) == 1 and "300 s" in report.warnings[0]


def test_values_that_are_not_plain_tokens_never_reach_the_event_socket(event_socket):
    fake, port = event_socket
    with pytest.raises(ValueError):
        FreeswitchApi(Config(fs_event_socket_port=port)).flush_users([("1001\nbgapi system", "acme.example")])
    assert fake.commands == []


@pytest.mark.parametrize("change", [
    ("user", "set", "--tenant", "acme.example", "1001", "--password", "another-pw-1"),
    ("user", "set", "--tenant", "acme.example", "1001", "--enabled", "no"),
    ("user", "remove", "--tenant", "acme.example", "1001"),
])
def test_every_user_change_from_the_cli_flushes_that_user(db_url, event_socket, monkeypatch, capsys, change):
    fake, port = event_socket
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", str(port))
    assert main(["--database", db_url, "tenant", "add", "acme.example", "--name", "Acme"]) == 0
    assert main(["--database", db_url, "user", "add", "--tenant", "acme.example", "1001", "--name", "Ana"]) == 0
    assert fake.commands == []
    assert main(["--database", db_url, *change]) == 0
    assert fake.commands == ["xml_flush_cache id 1001 acme.example"]


def test_removing_a_tenant_flushes_all_its_users(db_url, event_socket, monkeypatch):
    fake, port = event_socket
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", str(port))
    main(["--database", db_url, "tenant", "add", "acme.example", "--name", "Acme"])
    for ext in ("1001", "1002"):
        main(["--database", db_url, "user", "add", "--tenant", "acme.example", ext, "--name", "U"])
    assert main(["--database", db_url, "tenant", "remove", "acme.example", "--yes"]) == 0
    assert sorted(fake.commands) == ["xml_flush_cache id 1001 acme.example", "xml_flush_cache id 1002 acme.example"]
