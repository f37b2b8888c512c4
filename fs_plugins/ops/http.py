"""/metrics, /healthz and /readyz on the web server (FreeSWITCH's side: `serve --only web`).

* /healthz: the process answers HTTP. Always 200 ``{"status": "alive"}``: a supervisor restarts
  the process when this stops answering, so it must not depend on anything else.
* /readyz: 200 ``{"ready": true, "checks": {...}}`` when the database answers, its schema is what
  this code expects and FreeSWITCH's event socket answers (or is explicitly not configured:
  fs_event_socket_port = 0); otherwise 503 with the same body saying which check failed. Details
  fit for anyone: the reasons (addresses, error texts) go to the log.
* /metrics: Prometheus's text format, only for ``Authorization: Bearer <metrics_token>``. With no
  token set, /metrics is off (404) rather than open: the web server also faces phones and, behind
  a proxy, the internet, and a loopback check would pass every proxied request.
"""
from __future__ import annotations

import hmac
import json

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from fs_plugins import metrics
from fs_plugins.ops.health import Probes


def _answer(start_response, status: str, body: bytes, content_type: str, headers=()):
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *headers])
    return [body]


def _json(start_response, status: str, value) -> list:
    return _answer(start_response, status, json.dumps(value, indent=1).encode() + b"\n", "application/json")


def make_healthz_app(config):
    def app(environ, start_response):
        return _json(start_response, "200 OK", {"status": "alive"})

    return app


def make_readyz_app(config, probes: Probes | None = None):
    probes = probes or Probes(config)

    def app(environ, start_response):
        checks = probes.checks()
        ready = all(check.ok for check in checks)
        body = {"ready": ready, "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
        return _json(start_response, "200 OK" if ready else "503 Service Unavailable", body)

    return app


class _Everything:
    """The registry of counted events and the gauges read now, as one collector for a scrape."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def make_metrics_app(config, probes: Probes | None = None):
    expected = f"Bearer {config.metrics_token}".encode() if config.metrics_token else None
    everything = _Everything(metrics.REGISTRY, metrics.LiveCollector(config, probes or Probes(config)))

    def app(environ, start_response):
        if expected is None:
            return _answer(start_response, "404 Not Found", b"metrics are off: set metrics_token\n", "text/plain")
        given = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, expected):
            return _answer(start_response, "401 Unauthorized", b"a bearer token is required\n", "text/plain",
                           [("WWW-Authenticate", 'Bearer realm="metrics"')])
        return _answer(start_response, "200 OK", generate_latest(everything), CONTENT_TYPE_LATEST)

    return app
