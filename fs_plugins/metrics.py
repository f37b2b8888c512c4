"""What `centralita serve` counts, in Prometheus's terms (served at /metrics by fs_plugins.ops).

Counted at the edges, so no server carries metrics code of its own:
  * xml_curl: `instrument_xml_curl(app)` wraps mod_xml_curl's WSGI app; the section and action are
    read from the form (the body is handed on untouched), the result from the answer: `found`,
    `not_found` (FreeSWITCH falls back to its static XML), `unauthorized`, or what the app put in
    ``environ["centralita.result"]``: ``deadline`` (the database did not answer in time, or was
    lost) or ``error`` (a bug), both answered with FreeSWITCH's fallback or a hang-up;
  * the HTTP mounts (/cdr, /api/v1, the portal …): `instrument_mount(prefix, app)`; /cdr's status
    codes also say what became of a CDR post (fs_plugins.calllog.receiver's contract);
  * ESL: `counting_flows(registry)` counts sessions per flow and binds the call's log context
    (fs_plugins.logs) before the flow runs; `watch_esl(server)` lets a scrape read active/refused;
  * the CDR sweep: `count_sweep(result)`; group calls: `observe_group_call(record)`.
Gauges that are states, not events (sweep backlog, queue lengths, database and event-socket
reachability, pool use) are read when Prometheus scrapes, by `LiveCollector`.

Label values are bounded: sections, actions, flows and outcomes come from fixed sets ("other"
otherwise); the only tenant data is the tenant's domain, with groups named by their id.
"""
from __future__ import annotations

import functools
import logging
import re
import time
import weakref
from pathlib import Path
from typing import Any

import peewee
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from fs_plugins import logs
from fs_plugins.tally import RequestTally
from xml_curl.documents import NOT_FOUND

disable_created_metrics()  # `_created` series double every counter for what Prometheus works out itself
REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
WAIT_BUCKETS = (1, 5, 10, 20, 30, 60, 120, 300, 600, 1800)

# centralita_xml_curl_requests_total{section,action,result} and centralita_xml_curl_request_seconds
# {section,result}: plain sums read at scrape time (fs_plugins/tally.py: no lock per request).
XML_CURL = RequestTally(("centralita_xml_curl_requests", "mod_xml_curl requests answered"),
                        ("centralita_xml_curl_request_seconds", "time to answer a mod_xml_curl request"),
                        ["section", "action", "result"], LATENCY_BUCKETS)
REGISTRY.register(XML_CURL)
HTTP_REQUESTS = Counter("centralita_http_requests", "requests to the web server's mounts",
                        ["mount", "code"], registry=REGISTRY)
HTTP_SECONDS = Histogram("centralita_http_request_seconds", "time to answer a request to a mount",
                         ["mount"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
CDR_POSTS = Counter("centralita_cdr_posts", "mod_json_cdr posts by what became of them "
                    "(stored, rejected: not a CDR, refused: auth/size/method, failed: not stored, retried)",
                    ["outcome"], registry=REGISTRY)
CDR_SWEPT = Counter("centralita_cdr_swept_files", "err-log-dir files handled by the CDR sweep",
                    ["outcome"], registry=REGISTRY)
ESL_SESSIONS = Counter("centralita_esl_sessions", "outbound ESL sessions started, by flow",
                       ["flow"], registry=REGISTRY)
GROUP_CALLS = Histogram("centralita_group_wait_seconds", "how long group callers waited, by outcome",
                        ["domain", "group", "outcome"], buckets=WAIT_BUCKETS, registry=REGISTRY)
DATABASE_ERRORS = Counter("centralita_database_errors", "failures on the database that were logged, by module",
                          ["where"], registry=REGISTRY)
SQLITE_CHECKPOINTS = Histogram("centralita_sqlite_checkpoint_seconds", "SQLite checkpoints serve's thread ran "
                               "(WAL pages copied into the database file and synced), how long each took",
                               buckets=LATENCY_BUCKETS, registry=REGISTRY)
LOG_EVENTS = Counter("centralita_log_events", "warnings and errors logged, by level and module",
                     ["level", "where"], registry=REGISTRY)

SECTIONS = frozenset({"directory", "dialplan", "configuration", "phrases", "languages", "chatplan"})
ACTIONS = frozenset({"sip_auth", "user_call", "message-count", "voicemail-lookup", "reverse-auth-lookup",
                     "group_call", "gateways", "none"})
_VALUE = re.compile(rb"[A-Za-z0-9_\-]{1,40}\Z")
CDR_OUTCOMES = {200: "stored", 400: "rejected", 500: "failed", 503: "failed"}  # other codes: refused


def bounded(value: str, allowed: frozenset) -> str:
    return value if value in allowed else "other"


def _unread_labels(environ) -> tuple[str, str]:
    """(section, action) of an xml_curl request the handler did not decode (refused before: unauthorized,
    or not a form), from the raw body; a decoded one's are read in `instrument_xml_curl`'s `counted`."""
    body = environ.get(XML_CURL_BODY)
    if body is None:  # refused unread
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if 0 < length <= 256 * 1024 else b""
    section = _form_value(body, "section")
    action = _form_value(body, "action") or _form_value(body, "purpose") or "none"
    return bounded(section, SECTIONS), bounded(action, ACTIONS)


def _field(fields, name: str) -> str:
    """A field the handler did not read: a field that is not UTF-8 raises there (xml_curl/form.py:
    a ValueError, the request answered as malformed) and is labelled here as any unknown value."""
    try:
        return fields.get(name, "")
    except ValueError:
        return "other"


def _form_value(body: bytes, name: str) -> str:
    """A form field's raw value, found with bytes.find (a regex scanning 8 KB of form three times
    doubled the cost of a dialplan request); values that are not plain tokens read as ""."""
    key = name.encode() + b"="
    if body.startswith(key):
        start = len(key)
    else:
        at = body.find(b"&" + key)
        if at < 0:
            return ""
        start = at + 1 + len(key)
    end = body.find(b"&", start)
    value = body[start:end if end >= 0 else len(body)]
    return value.decode() if _VALUE.match(value) else ""


# What xml_curl.app leaves in the environ for the labels: the body it read, the fields it decoded.
XML_CURL_BODY, XML_CURL_FIELDS = "centralita.xml_curl_body", "centralita.xml_curl_fields"


def instrument_xml_curl(app):
    """mod_xml_curl's app, counted: requests and latency by section, action and result. The result
    is what the app put in ``environ["centralita.result"]`` (xml_curl.app: ``unauthorized`` too),
    else read from the answer. No start_response of its own: a wrapper per request cost more
    than the count itself."""
    def counted(environ, start_response):
        started = time.perf_counter()
        answer = b"".join(app(environ, start_response))
        result = environ.get("centralita.result") or ("not_found" if answer == NOT_FOUND else "found")
        # (section, action): from the fields the handler decoded (xml_curl.app leaves them in the
        # environ, so a body is decoded once), read here without a call of their own (this runs
        # for every request); else from the raw body (_unread_labels).
        fields = environ.get(XML_CURL_FIELDS)
        if fields is None:
            section, action = _unread_labels(environ)
        else:
            # What the handler read already (Form.known: name -> value or ABSENT, never a str when
            # absent), looked up without a Python call of Form.get per label; a name it did not read
            # is searched for as before. The handler reads `section` first, and a directory request's
            # `action` (its `purpose` only without a user's action: xml_curl/directory.py).
            known = fields.known
            section = known.get("section")
            if section.__class__ is not str:
                section = _field(fields, "section")
            # A dialplan fetch (the channel's variables) has neither: not searched for in its ~6 KB on
            # every call (xml_curl/form.py reads a field by searching the body).
            if section == "dialplan":
                action = "none"
            else:
                action = known.get("action")
                if action.__class__ is not str:
                    action = _field(fields, "action")
                action = action or _field(fields, "purpose") or "none"
                # bounded(), inlined
                section = section if section in SECTIONS else "other"
                action = action if action in ACTIONS else "other"
        XML_CURL.observe((section, action, result), time.perf_counter() - started)
        return [answer]

    return counted


def instrument_mount(prefix: str, app):
    """A web-server mount, counted by status code (and, for /cdr, by what became of the CDR). Each
    series is looked up once, at its first request: prometheus_client's `labels()` (a lock, the
    values checked and joined into a key) cost more than the count itself, three times a request
    (a CDR post at 16 at once, benches/cdr_instructions.py --callgrind: 1,060,726 -> 1,019,586
    instructions a leg)."""
    cdr = prefix == "/cdr"
    requests: dict[str, Any] = {}  # a status line's first word -> its request counter
    posts: dict[str, Any] = {}  # the same -> its CDR outcome's (looked up at the first POST: a GET is no CDR)
    seconds = []  # the mount's latency histogram, once looked up

    def counted(environ, start_response):
        started = time.perf_counter()

        def remember(status, headers, exc_info=None):
            word = status.partition(" ")[0]
            counter = requests.get(word)
            if counter is None:
                counter = requests[word] = HTTP_REQUESTS.labels(prefix, str(int(word)))
            counter.inc()
            if cdr and environ.get("REQUEST_METHOD") == "POST":
                outcome = posts.get(word)
                if outcome is None:
                    outcome = posts[word] = CDR_POSTS.labels(CDR_OUTCOMES.get(int(word), "refused"))
                outcome.inc()
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return app(environ, remember)
        finally:
            if not seconds:
                seconds.append(HTTP_SECONDS.labels(prefix))
            seconds[0].observe(time.perf_counter() - started)

    return counted


def instrument_mounts(mounts):
    """`{prefix: factory}` whose apps are counted by `instrument_mount`."""
    return {prefix: functools.partial(_counted_mount, prefix, factory) for prefix, factory in mounts.items()}


def _counted_mount(prefix, factory, config):
    return instrument_mount(prefix, factory(config))


class _CountingFlows:
    """A FlowRegistry whose flows count their sessions and bind the call's log context first."""

    def __init__(self, registry):
        self._registry = registry

    def get(self, name: str):
        flow = self._registry.get(name)  # NotFound passes through: the server hands the call back
        label = name if name in self._registry.names() else "other"

        @functools.wraps(flow)  # keeps what the flow exposes (the group flow's queues, for the gauges)
        def run(channel, info):
            logs.bind_call(uuid=info.uuid, tenant=info.tenant, flow=info.flow)
            ESL_SESSIONS.labels(label).inc()
            return flow(channel, info)

        return run

    def __getattr__(self, name):
        return getattr(self._registry, name)


def counting_flows(registry):
    return _CountingFlows(registry)


def count_sweep(result) -> None:
    for outcome in ("imported", "duplicates", "rejected", "waiting", "skipped"):
        count = getattr(result, outcome, 0)
        if count:
            CDR_SWEPT.labels(outcome).inc(count)


def observe_group_call(record) -> None:
    """A finished group call: its wait, labelled with the tenant of the call being handled."""
    domain = logs.current_call().get("tenant", "") or "unknown"
    GROUP_CALLS.labels(domain, str(record.group_id), record.outcome).observe(record.wait_seconds)


class LogEvents(logging.Handler):
    """Counts the warnings and errors every module logs, and among them the database's failures
    (a peewee.DatabaseError or InterfaceError logged with its exception, as every server does
    when a request or a session fails): errors are counted where they are already handled,
    without a try in each server. `where` is the module's package (xml_curl, fs_plugins.esl …)."""

    def __init__(self):
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        parts = record.name.split(".")
        where = ".".join(parts[:2] if parts[0] == "fs_plugins" else parts[:1])  # bounded: one per package
        LOG_EVENTS.labels(record.levelname, where).inc()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (peewee.DatabaseError, peewee.InterfaceError)):
            DATABASE_ERRORS.labels(where).inc()


def count_log_events() -> None:
    """Install the LogEvents handler on the root logger (once per process)."""
    root = logging.getLogger()
    if not any(isinstance(handler, LogEvents) for handler in root.handlers):
        root.addHandler(LogEvents())


_esl_servers: "weakref.WeakSet" = weakref.WeakSet()


def watch_esl(server) -> None:
    """Report this ESL server's active and refused sessions (and its group queues) on each scrape."""
    _esl_servers.add(server)


class LiveCollector:
    """Gauges read at scrape time. `probes` are the readiness checks (fs_plugins.ops.health)."""

    def __init__(self, config, probes):
        self.config = config
        self.probes = probes

    def collect(self):
        active = GaugeMetricFamily("centralita_esl_sessions_active", "outbound ESL sessions running now")
        refused = CounterMetricFamily("centralita_esl_sessions_refused", "sessions refused at esl_max_sessions")
        queued = GaugeMetricFamily("centralita_group_queue_callers", "callers waiting in a group's queue",
                                   labels=["domain", "group"])
        servers = list(_esl_servers)
        active.add_metric([], sum(server.active for server in servers))
        refused.add_metric([], sum(server.refused for server in servers))
        for (domain, group), count in self.probes.queue_lengths(servers).items():
            queued.add_metric([domain, str(group)], count)
        yield from (active, refused, queued)
        if self.config.cdr_sweep_dir:
            backlog = GaugeMetricFamily("centralita_cdr_sweep_backlog", "CDR files waiting in the err-log-dir")
            folder = Path(self.config.cdr_sweep_dir)
            backlog.add_metric([], sum(1 for _ in folder.glob("*.cdr.json")) if folder.is_dir() else 0)
            yield backlog
        checks = GaugeMetricFamily("centralita_check_ok", "1 when a readiness check passes (/readyz): "
                                   "database, schema, freeswitch_event_socket", labels=["check"])
        for name, ok in self.probes.up().items():
            checks.add_metric([name], 1 if ok else 0)
        yield checks
        pool = self.probes.pool()
        if pool is not None:
            in_use = GaugeMetricFamily("centralita_database_connections_in_use", "pooled connections in use")
            limit = GaugeMetricFamily("centralita_database_connections_max", "the pool's limit")
            in_use.add_metric([], pool[0])
            limit.add_metric([], pool[1])
            yield from (in_use, limit)


METRIC_NAMES = (
    # Every series /metrics can carry (counters with _total; histograms with _bucket, _sum, _count):
    # docs/grafana-dashboard.json may use these only (tests/test_ops_metrics.py checks).
    "centralita_xml_curl_requests_total", "centralita_xml_curl_request_seconds",
    "centralita_http_requests_total", "centralita_http_request_seconds", "centralita_cdr_posts_total",
    "centralita_cdr_swept_files_total", "centralita_esl_sessions_total", "centralita_group_wait_seconds",
    "centralita_database_errors_total", "centralita_log_events_total", "centralita_esl_sessions_active", "centralita_esl_sessions_refused_total",
    "centralita_group_queue_callers", "centralita_cdr_sweep_backlog", "centralita_check_ok",
    "centralita_database_connections_in_use", "centralita_database_connections_max",
    "centralita_sqlite_checkpoint_seconds",
)
