"""fs_plugins/tally.py: the xml_curl counts a scrape shows are what prometheus_client's own Counter
and Histogram would show for the same requests."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from fs_plugins.tally import RequestTally

BUCKETS = (0.001, 0.0025, 0.005, 0.01)
# On a bound, just past it, beyond the last, and a repeat: a bucket holds what is <= its bound.
SECONDS = (0.0002, 0.001, 0.0010001, 0.0025, 0.004, 0.01, 0.3, 0.0002)
REQUESTS = [(("directory", "sip_auth", "found"), s) for s in SECONDS] + [
    (("dialplan", "none", "found"), 0.002), (("directory", "user_call", "not_found"), 0.02),
    (("directory", "sip_auth", "not_found"), 0.001)]


def _stock() -> bytes:
    registry = CollectorRegistry()
    counter = Counter("x_requests", "requests", ["section", "action", "result"], registry=registry)
    histogram = Histogram("x_seconds", "seconds", ["section", "result"], buckets=BUCKETS, registry=registry)
    for (section, action, result), seconds in REQUESTS:
        counter.labels(section, action, result).inc()
        histogram.labels(section, result).observe(seconds)
    return generate_latest(registry)


def _tallied() -> bytes:
    registry = CollectorRegistry()
    tally = RequestTally(("x_requests", "requests"), ("x_seconds", "seconds"), ["section", "action", "result"],
                         BUCKETS)
    registry.register(tally)
    for values, seconds in REQUESTS:
        tally.observe(values, seconds)
    return generate_latest(registry)


def _without_created(text: bytes) -> list[str]:
    return sorted(line for line in text.decode().splitlines() if "_created" not in line)


def test_a_scrape_of_the_tally_equals_prometheus_clients_counter_and_histogram():
    assert _without_created(_tallied()) == _without_created(_stock())


def test_nothing_is_shown_before_the_first_request():
    registry = CollectorRegistry()
    registry.register(RequestTally(("x_requests", "r"), ("x_seconds", "s"), ["section", "action", "result"], BUCKETS))
    assert registry.get_sample_value("x_requests_total", {"section": "directory", "action": "sip_auth",
                                                          "result": "found"}) is None
