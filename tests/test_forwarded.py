"""X-Forwarded-For is believed only from configured proxies: the rate limit counts the client's own
address behind them, the audit records it, and a client that is not a proxy cannot choose its address."""
from __future__ import annotations

import warnings

import pytest

from fs_plugins.api.app import make_api_app
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.forwarded import client_address, parse_networks
from fs_plugins.models.audit import AuditEntry
from fs_plugins.web import make_web_app
from tests.api_world import cheap_argon2, world  # noqa: F401 (fixtures)

PROXIES = parse_networks("10.0.0.0/8, 2001:db8::1")


@pytest.mark.parametrize("peer, header, expected", [
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header is ignored
    ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
    ("10.0.0.2", "198.51.100.1, 10.1.1.1", "198.51.100.1"),  # two proxies of ours in a row
    ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client wrote itself stays unbelieved
    ("10.0.0.2", "10.9.9.9, 10.1.1.1", "10.9.9.9"),  # only proxies: the leftmost
    ("10.0.0.2", None, "10.0.0.2"),
    ("10.0.0.2", "nonsense", "10.0.0.2"),
    ("10.0.0.2", "198.51.100.1:5060", "198.51.100.1"),
    ("2001:db8::1", "[2001:db8::77]:443", "2001:db8::77"),
])
def test_the_client_is_the_first_hop_from_the_right_that_is_not_a_trusted_proxy(peer, header, expected):
    assert client_address(peer, header, PROXIES) == expected


def test_without_proxies_the_header_is_ignored_and_a_bad_setting_names_itself():
    assert client_address("10.0.0.2", "198.51.100.1", ()) == "10.0.0.2"
    with pytest.raises(InvalidInput) as refused:
        parse_networks("10.0.0.1, proxy.example.com")
    assert refused.value.field == "trusted_proxies"


def _web(proxies: str):
    config = Config().replace(fs_event_socket_port=0, trusted_proxies=proxies)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = make_web_app(config, {"/api/v1": make_api_app})
    from werkzeug.test import Client

    return Client(app)


def test_the_audit_records_the_client_behind_a_trusted_proxy_and_the_peer_otherwise(world):
    url = "/api/v1/tenants/acme.example.com/users/1001"
    for proxies, peer, expected in (("10.0.0.0/8", "10.0.0.2", "198.51.100.1"), ("", "10.0.0.2", "10.0.0.2"),
                                    ("10.0.0.0/8", "203.0.113.9", "203.0.113.9")):
        answer = _web(proxies).patch(url, json={"name": f"Ana {peer}"}, environ_base={"REMOTE_ADDR": peer},
                                     headers={**world.headers("tenant-admin"), "If-Match": "*",
                                              "X-Forwarded-For": "198.51.100.1"})
        assert answer.status_code == 200
        entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
        assert entry.source == expected, (proxies, peer)


def test_the_rate_limit_counts_each_client_behind_the_proxy_not_the_proxy(world):
    web = _web("10.0.0.0/8")

    def attempt(client: str) -> int:
        return web.get("/api/v1/me", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                       headers={"Authorization": "Bearer ck_0000000000_forged", "X-Forwarded-For": client}).status_code

    statuses = [attempt("198.51.100.1") for _ in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    assert attempt("198.51.100.2") == 401  # another client through the same proxy is not locked out
