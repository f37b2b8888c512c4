"""A change made through the API tells FreeSWITCH to drop its cached copy only once the change has
committed: told earlier, a REGISTER arriving in between would fetch the old entry and FreeSWITCH would
keep it for directory_cache_ms (with the old password). Holds for a write under If-Match too, which
runs inside one outer transaction holding its tenant's lock (api/etags.py)."""
from __future__ import annotations

import warnings

import pytest

from fs_plugins.api import common
from fs_plugins.api.app import make_api_app
from fs_plugins.config import Config
from fs_plugins.fsapi import FlushReport
from fs_plugins.models import database
from tests.api_world import DATA_DIR, cheap_argon2, world  # noqa: F401 (fixtures)

URL = "/api/v1/tenants/acme.example.com/users/1001"


class RecordingFreeswitch:
    """Stands for fsapi.FreeswitchDirectory: notes what it was asked and whether a transaction was open."""
    flushed: list[tuple[list, bool]] = []

    def __init__(self, config):
        pass

    def flush_users(self, users):
        RecordingFreeswitch.flushed.append((list(users), database.in_transaction()))
        return FlushReport(tuple(f"{extension}@{domain}" for extension, domain in users))


@pytest.fixture
def client(world, monkeypatch):
    RecordingFreeswitch.flushed = []
    monkeypatch.setattr(common.fsapi, "FreeswitchDirectory", RecordingFreeswitch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # apispec's duplicate-schema notice
        app = make_api_app(Config().replace(fs_event_socket_port=8021, data_dir=DATA_DIR))
    return app.test_client()


@pytest.mark.parametrize("if_match", ["etag", "*"])
def test_a_password_changed_under_if_match_is_flushed_once_committed(world, client, if_match):
    admin = world.headers("tenant-admin")
    tag = client.get(URL, headers=admin).headers["ETag"] if if_match == "etag" else "*"
    answer = client.patch(URL, json={"password": "n3w-Secret-pass"}, headers={**admin, "If-Match": tag})
    assert answer.status_code == 200, answer.get_json()
    assert RecordingFreeswitch.flushed == [([("1001", "acme.example.com")], False)]


def test_a_refused_write_tells_freeswitch_nothing(world, client):
    admin = world.headers("tenant-admin")
    answer = client.patch(URL, json={"password": "n3w-Secret-pass"}, headers={**admin, "If-Match": '"stale"'})
    assert answer.status_code == 412
    assert RecordingFreeswitch.flushed == []
