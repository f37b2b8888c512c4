"""Two admins saving the same object at the same moment with the same ETag: one wins, the other gets
412 — never both 200, which would be the silent overwrite If-Match exists to prevent. Each request
runs in its own thread with its own database connection, on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
import time

from fs_plugins.core import app as core
from fs_plugins.models import User, database
from tests.api_world import api_client, cheap_argon2, world  # noqa: F401 (fixtures)
from tests.provision import find_tenant

URL = "/api/v1/tenants/acme.example.com/users/1001"


def _race(world, monkeypatch, first_body: dict, second_body: dict, if_match: str | None = None) -> list[int]:
    """Send both updates with the ETag read before either; the first one pauses between its If-Match
    check and its write (holding its transaction), and the second is sent during that pause."""
    app, client = api_client()
    admin = world.headers("tenant-admin")
    etag = if_match or client.get(URL, headers=admin).headers["ETag"]
    checked, real = threading.Event(), core.set_user

    def slow_set_user(*args, **kwargs):
        if not checked.is_set():
            checked.set()
            time.sleep(0.6)
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "set_user", slow_set_user)
    statuses: dict[str, int] = {}

    def send(name: str, body: dict) -> None:
        try:
            with app.test_client() as own:
                statuses[name] = own.patch(URL, json=body, headers={**admin, "If-Match": etag}).status_code
        finally:
            database.close()  # this thread's connection

    first = threading.Thread(target=send, args=("first", first_body))
    first.start()
    assert checked.wait(10)
    second = threading.Thread(target=send, args=("second", second_body))
    second.start()
    first.join(20)
    second.join(20)
    return [statuses.get("first"), statuses.get("second")]


def test_two_updates_with_the_same_etag_cannot_both_succeed(world, monkeypatch):
    assert _race(world, monkeypatch, {"name": "Ana (first admin)"}, {"name": "Ana (second admin)"}) == [200, 412]
    assert User.get(User.extension == "1001", User.tenant == find_tenant(world.own.domain)).display_name \
        == "Ana (first admin)"


def test_if_match_star_still_overwrites_on_purpose(world, monkeypatch):
    # On SQLite each write's transaction takes the write lock at its BEGIN (fs_plugins/db.py
    # SQLITE_BEGIN) and the second waits for it: before, it found its snapshot stale and failed at
    # once ("database is locked", a 500).
    assert _race(world, monkeypatch, {"name": "Ana 1"}, {"name": "Ana 2"}, if_match="*") == [200, 200]
