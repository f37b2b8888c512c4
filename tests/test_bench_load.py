"""B6's and B7's background load (benches/paced_load.py): requests on a fixed schedule by four
keep-alive clients, open loop; a load the server could not take is reported short, a failed request
counted. And B6's grown tenant is analysed on PostgreSQL, so the planner knows its 10,000 users."""
from __future__ import annotations

import threading
import time

import pytest

from benches import b6_api, b7_portal, datasets, paced_load


def _run(steps, rate: float, seconds: float, clients=4) -> paced_load.Reached:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    return paced_load.open_loop(list(range(clients)), steps, rate, stop)


def test_a_slow_answer_does_not_slow_the_schedule_the_other_clients_keep_it():
    """Each answer takes 60 ms, so one client one request at a time reaches ~16 a second: the old
    closed loop offered 40 only when the server answered within 25 ms."""
    reached = _run([lambda client: time.sleep(0.06)], rate=40, seconds=2)
    assert reached.failed == 0 and 30 <= reached.rate <= 42, reached  # one client at a time: ~16


def test_requests_start_when_they_are_due_not_in_bursts_after_a_stall():
    starts: list[float] = []
    began = time.perf_counter()

    def step(client):
        starts.append(time.perf_counter() - began)
        if len(starts) == 5:
            time.sleep(0.5)  # one page stalls: its client is held, the other three go on

    reached = _run([step], rate=20, seconds=1.5)
    due = [n / 20 for n in range(len(starts))]
    late = [start - at for start, at in zip(sorted(starts), due)]
    assert reached.answered >= 25 and max(late) < 0.15, late  # a closed loop: 0.5 s late, then a burst


def test_a_server_too_slow_for_the_rate_shows_as_a_rate_reached_short_of_it():
    reached = _run([lambda client: time.sleep(0.2)], rate=50, seconds=1.5)  # four clients: 20 a second at most
    assert reached.rate <= 21 and reached.rate < b6_api.MIN_LOAD_SHARE * 50


def test_failed_requests_are_counted_and_not_in_the_rate():
    def step(client):
        if client == 0:
            raise RuntimeError("GET /me/calls: HTTP 503")

    reached = _run([step], rate=40, seconds=1)
    assert reached.failed > 0 and "HTTP 503" in reached.failures[0]
    assert reached.rate < 0.9 * 40


def test_each_client_uses_its_own_connection_object():
    seen: set[int] = set()
    _run([lambda client: seen.add(client)], rate=40, seconds=0.5)
    assert seen == {0, 1, 2, 3}


def test_the_portal_load_signs_in_before_the_measurement_and_its_steps_are_page_views(monkeypatch):
    signed: list[str] = []

    class FakeBrowser:
        def __init__(self, port):
            self.port = port

        def sign_in(self, username):
            signed.append(username)

    monkeypatch.setattr(b7_portal, "Browser", FakeBrowser)
    browsers = b7_portal.signed_in(8080)
    assert len(browsers) == paced_load.CLIENTS and signed == ["bench-user"] * paced_load.CLIENTS
    assert len(b7_portal.PORTAL_STEPS) == 6 and len(b6_api.API_STEPS) == 6


@pytest.mark.postgres
def test_the_grown_tenant_is_analysed_on_postgresql(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner statistics")
    from fs_plugins import db as dbmod
    from fs_plugins.models import Tenant

    db = dbmod.connect(db_url)
    Tenant.create(id=1, name="One", domain="t1.example")
    b6_api.grow_tenant(db_url, datasets.Scale("test", 1, 0, 0, 0))
    rows = db.execute_sql("SELECT reltuples FROM pg_class WHERE oid = 'user'::regclass").fetchone()[0]
    db.close()
    assert rows >= 0.9 * b6_api.BIG_TENANT_USERS
