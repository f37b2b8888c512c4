"""/metrics, /healthz and /readyz as Prometheus, a load balancer and an operator use them."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode

import peewee
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fs_plugins import logs, metrics
from fs_plugins.calllog.receiver import make_cdr_app
from fs_plugins.channel import SessionInfo
from fs_plugins.config import Config
from fs_plugins.db import SchemaVersion
from fs_plugins.esl.flows import FlowRegistry
from fs_plugins.ops.http import make_healthz_app, make_metrics_app, make_readyz_app
from fs_plugins.sim.inbound import InboundEmulator
from tests import provision
from tests.wsgi import call
from xml_curl.app import make_app

TOKEN = "s3cret-scrape-token"
DASHBOARD = Path(__file__).parents[1] / "docs" / "grafana-dashboard.json"
NO_SOCKET = Config(fs_event_socket_port=0, metrics_token=TOKEN)


def value(name: str, **labels) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(app, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _headers, body = call(app, method="GET", path="/metrics", headers=headers)
    return status, body.decode()


def sip_auth(user: str, domain: str = "acme.example") -> bytes:
    return urlencode({"section": "directory", "action": "sip_auth", "user": user, "domain": domain,
                      "key_value": domain, "tag_name": "domain", "key_name": "name"}).encode()


@pytest.fixture
def acme(db):
    tenant = provision.tenant("Acme", "acme.example")
    provision.user(tenant, "1001", "Ana")
    return tenant


def test_xml_curl_requests_are_counted_by_section_action_and_result(db, acme):
    app = metrics.instrument_xml_curl(make_app(Config(), db))
    found = value("centralita_xml_curl_requests_total", section="directory", action="sip_auth", result="found")
    missed = value("centralita_xml_curl_requests_total", section="directory", action="sip_auth", result="not_found")
    timed = value("centralita_xml_curl_request_seconds_count", section="directory", result="found")

    status, _, body = call(app, sip_auth("1001"))
    assert status == 200 and b'<user id="1001"' in body  # the wrapped app still reads the whole form
    call(app, sip_auth("4040"))

    assert value("centralita_xml_curl_requests_total", section="directory", action="sip_auth",
                 result="found") == found + 1
    assert value("centralita_xml_curl_requests_total", section="directory", action="sip_auth",
                 result="not_found") == missed + 1
    assert value("centralita_xml_curl_request_seconds_count", section="directory", result="found") == timed + 1


def test_refused_credentials_are_counted_unauthorized_and_timed_with_their_section(db, acme):
    app = metrics.instrument_xml_curl(make_app(Config(xml_curl_user="freeswitch", xml_curl_password="pw"), db))
    refused = value("centralita_xml_curl_requests_total", section="directory", action="sip_auth",
                    result="unauthorized")
    timed = value("centralita_xml_curl_request_seconds_count", section="directory", result="unauthorized")

    status, _, _ = call(app, sip_auth("1001"), headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
    call(app, urlencode({"section": "directory", "action": "user_call", "user": "1001"}).encode())

    assert status == 401
    assert value("centralita_xml_curl_requests_total", section="directory", action="sip_auth",
                 result="unauthorized") == refused + 1
    # The histogram is by section and result: both actions' requests in one series.
    assert value("centralita_xml_curl_request_seconds_count", section="directory", result="unauthorized") == timed + 2


def test_label_values_a_caller_controls_are_folded_into_other(db, acme):
    app = metrics.instrument_xml_curl(make_app(Config(), db))
    before = value("centralita_xml_curl_requests_total", section="other", action="other", result="not_found")
    call(app, urlencode({"section": "x" * 30, "action": "evil-1"}).encode())
    assert value("centralita_xml_curl_requests_total", section="other", action="other",
                 result="not_found") == before + 1


@pytest.mark.parametrize("body,labels", [
    (b"section=direc\xfftory&action=sip_auth", ("other", "sip_auth")),
    (b"section=directory&action=sip\xff_auth", ("directory", "other")),
    (b"section=directory&purpose=gate\xffways", ("directory", "other")),
])
def test_a_label_that_is_not_utf8_is_other_and_the_request_is_answered(db, acme, body, labels):
    """The body is not checked whole (xml_curl/form.py): a field the labels read that is not UTF-8
    raises at that read, here outside the handler's error handling."""
    app = metrics.instrument_xml_curl(make_app(Config(), db))
    section, action = labels
    before = value("centralita_xml_curl_requests_total", section=section, action=action, result="not_found")
    status, _, answer = call(app, body)
    assert status == 200 and b'status="not found"' in answer
    assert value("centralita_xml_curl_requests_total", section=section, action=action,
                 result="not_found") == before + 1


def test_cdr_posts_are_counted_by_what_became_of_them(db):
    app = metrics.instrument_mount("/cdr", make_cdr_app(Config(), db))
    rejected, refused = value("centralita_cdr_posts_total", outcome="rejected"), value(
        "centralita_cdr_posts_total", outcome="refused")
    call(app, b"{not json", path="/cdr", content_type="application/json")
    call(app, b"{}", path="/cdr/elsewhere", content_type="application/json")  # 404: not filed
    assert value("centralita_cdr_posts_total", outcome="rejected") == rejected + 1
    assert value("centralita_cdr_posts_total", outcome="refused") == refused + 1
    assert value("centralita_http_requests_total", mount="/cdr", code="400") >= 1


def test_a_mount_looks_each_series_up_once_and_counts_every_request(db, monkeypatch):
    app = metrics.instrument_mount("/cdr", make_cdr_app(Config(), db))
    rejected = value("centralita_cdr_posts_total", outcome="rejected")
    requests = value("centralita_http_requests_total", mount="/cdr", code="400")
    timed = value("centralita_http_request_seconds_count", mount="/cdr")
    looked_up = []
    for family in (metrics.HTTP_REQUESTS, metrics.CDR_POSTS, metrics.HTTP_SECONDS):
        monkeypatch.setattr(family, "labels", lambda *values, _labels=family.labels: looked_up.append(values)
                            or _labels(*values))
    for _ in range(3):
        call(app, b"{not json", path="/cdr", content_type="application/json")
    assert len(looked_up) == 3  # each series at the first request only, not three times a request
    assert value("centralita_cdr_posts_total", outcome="rejected") == rejected + 3
    assert value("centralita_http_requests_total", mount="/cdr", code="400") == requests + 3
    assert value("centralita_http_request_seconds_count", mount="/cdr") == timed + 3


def test_a_request_that_is_no_post_makes_no_cdr_series(db, monkeypatch):
    """A GET of /cdr is no CDR: no outcome series appears (at 0) in /metrics because of it."""
    app = metrics.instrument_mount("/cdr", make_cdr_app(Config(), db))
    looked_up = []
    monkeypatch.setattr(metrics.CDR_POSTS, "labels", lambda *values, _labels=metrics.CDR_POSTS.labels:
                        looked_up.append(values) or _labels(*values))
    status, _, _ = call(app, method="GET", path="/cdr")
    assert status != 200 and looked_up == []
    call(app, b"{not json", path="/cdr", content_type="application/json")  # a POST answered with that status
    assert looked_up == [("rejected",)]


def test_metrics_are_off_without_a_token_and_refuse_a_wrong_one(db):
    assert scrape(make_metrics_app(Config(fs_event_socket_port=0)))[0] == 404
    app = make_metrics_app(NO_SOCKET)
    assert scrape(app, token=None)[0] == 401
    assert scrape(app, token="guess")[0] == 401


def test_a_scrape_has_every_listed_metric_and_nothing_else(db, tmp_path):
    (tmp_path / "a.cdr.json").write_text("{}")
    status, text = scrape(make_metrics_app(NO_SOCKET.replace(cdr_sweep_dir=str(tmp_path))))
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    exposed = {name + "_total" if family.type == "counter" else name for name, family in families.items()}
    pool_only = {"centralita_database_connections_in_use", "centralita_database_connections_max"}
    assert exposed == set(metrics.METRIC_NAMES) - pool_only
    assert families["centralita_cdr_sweep_backlog"].samples[0].value == 1
    checks = {s.labels["check"]: s.value for s in families["centralita_check_ok"].samples}
    assert checks == {"database": 1, "schema": 1, "freeswitch_event_socket": 1}


def test_esl_sessions_are_counted_by_flow_and_log_lines_name_the_call(caplog):
    seen = []
    registry = metrics.counting_flows(FlowRegistry({"ivr": lambda channel, info: seen.append(logs.current_call())}))
    before = value("centralita_esl_sessions_total", flow="ivr")
    info = SessionInfo(uuid="c0ffee", tenant="acme.example", flow="ivr", flow_object="3", caller_number="1001",
                       caller_name="", destination="500", variables={})
    import gevent
    gevent.spawn(registry.get("ivr"), None, info).get()
    assert value("centralita_esl_sessions_total", flow="ivr") == before + 1
    assert seen == [{"call_uuid": "c0ffee", "tenant": "acme.example", "flow": "ivr"}]
    assert logs.current_call() == {}  # the session's greenlet had its own context


def test_the_dashboard_uses_only_metrics_that_exist():
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(expressions) >= 8
    known = set(metrics.METRIC_NAMES)
    for expr in expressions:
        names = set(re.findall(r"\bcentralita_[a-z_]+", expr))
        assert names, expr
        usable = {n for n in names if n in known or re.sub(r"_(bucket|sum|count)$", "", n) in known}
        assert usable == names, f"{expr}: {names - usable} is not a metric Centralita exposes"


def test_healthz_says_alive_whatever_else_is_down():
    status, headers, body = call(make_healthz_app(Config()), method="GET", path="/healthz")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "alive"}


def readyz(config) -> tuple[int, dict]:
    status, _headers, body = call(make_readyz_app(config), method="GET", path="/readyz")
    return status, json.loads(body)


def test_readyz_is_ready_with_the_database_current_and_the_event_socket_answering(db):
    emulator = InboundEmulator(password="pw")
    emulator.start()
    try:
        status, body = readyz(Config(fs_event_socket_port=emulator.address[1], fs_event_socket_password="pw"))
    finally:
        emulator.stop()
    assert status == 200 and body["ready"] is True
    assert set(body["checks"]) == {"database", "schema", "freeswitch_event_socket"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_not_ready_when_the_event_socket_is_stopped_and_says_so_without_its_address(db):
    emulator = InboundEmulator()
    emulator.start()
    port = emulator.address[1]
    emulator.stop()
    status, body = readyz(Config(fs_event_socket_port=port))
    assert status == 503 and body["ready"] is False
    socket_check = body["checks"]["freeswitch_event_socket"]
    assert socket_check["ok"] is False and str(port) not in socket_check["detail"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_is_ready_when_the_event_socket_is_explicitly_not_configured(db):
    status, body = readyz(Config(fs_event_socket_port=0))
    assert status == 200 and "not configured" in body["checks"]["freeswitch_event_socket"]["detail"]


def test_readyz_is_not_ready_while_the_schema_is_behind_the_code(db):
    with db.bind_ctx([SchemaVersion]):
        SchemaVersion.update(version=0).where(SchemaVersion.component == "calls").execute()
    status, body = readyz(Config(fs_event_socket_port=0))
    assert status == 503 and body["checks"]["schema"]["ok"] is False
    assert "calls" in body["checks"]["schema"]["detail"] and "centralita db" in body["checks"]["schema"]["detail"]


def test_database_failures_and_warnings_are_counted_where_the_servers_log_them():
    metrics.count_log_events()
    metrics.count_log_events()  # once per process, however often serve starts
    errors = value("centralita_database_errors_total", where="xml_curl")
    logged = value("centralita_log_events_total", level="ERROR", where="xml_curl")
    warned = value("centralita_log_events_total", level="WARNING", where="fs_plugins.calllog")
    try:
        raise peewee.OperationalError("server closed the connection unexpectedly")
    except peewee.OperationalError:
        logging.getLogger("xml_curl.app").exception("xml_curl dialplan request failed")
    logging.getLogger("fs_plugins.calllog.receiver").warning("CDR post refused")
    logging.getLogger("fs_plugins.calllog.receiver").info("not counted")
    assert value("centralita_database_errors_total", where="xml_curl") == errors + 1
    assert value("centralita_log_events_total", level="ERROR", where="xml_curl") == logged + 1
    assert value("centralita_log_events_total", level="WARNING", where="fs_plugins.calllog") == warned + 1


class _EslServer:
    """What the scrape reads of a running EslServer."""

    def __init__(self, registry, active: int, refused: int):
        self.registry, self.active, self.refused = registry, active, refused


def test_a_scrape_shows_callers_waiting_per_group_labelled_by_domain_and_id_and_the_esl_sessions(db, acme):
    from types import SimpleNamespace

    from fs_plugins.groups.queue import Queues
    from fs_plugins.models.groups import CallGroup

    sales = CallGroup.create(tenant=acme, name="Ventas confidencial", kind="advanced")
    queues = Queues()
    queues.of(sales.id).join("caller-1", queues.next_seq(), limit=10)
    queues.of(sales.id).join("caller-2", queues.next_seq(), limit=10)

    def group_flow(channel, info):
        pass

    group_flow.services = SimpleNamespace(queues=queues)
    server = _EslServer(metrics.counting_flows(FlowRegistry({"group": group_flow})), active=3, refused=1)
    metrics.watch_esl(server)
    families = {f.name: f for f in text_string_to_metric_families(scrape(make_metrics_app(NO_SOCKET))[1])}
    waiting = [(s.labels, s.value) for s in families["centralita_group_queue_callers"].samples]
    assert ({"domain": "acme.example", "group": str(sales.id)}, 2) in waiting
    assert "Ventas" not in scrape(make_metrics_app(NO_SOCKET))[1]  # a group's name is the tenant's, not a label
    assert families["centralita_esl_sessions_active"].samples[0].value >= 3
    del server


class _FailingRouter:
    def __init__(self, error: Exception):
        self.error = error

    def route(self, request):
        raise self.error


@pytest.mark.parametrize("error, result", [(peewee.OperationalError("statement timeout"), "deadline"),
                                           (RuntimeError("a bug"), "error")])
def test_a_dialplan_answered_without_a_route_is_counted_as_deadline_or_error(db, error, result):
    app = metrics.instrument_xml_curl(make_app(Config(), db, router=_FailingRouter(error)))
    before = value("centralita_xml_curl_requests_total", section="dialplan", action="none", result=result)
    form = urlencode({"section": "dialplan", "Hunt-Context": "acme.example", "Hunt-Destination-Number": "1002"})
    status, _, body = call(app, form.encode())
    assert status == 200 and b"NORMAL_TEMPORARY_FAILURE" in body
    assert value("centralita_xml_curl_requests_total", section="dialplan", action="none", result=result) == before + 1


def test_a_routed_dialplan_fetch_is_counted_found_with_action_none_and_timed(db, acme):
    """The dialplan's labels are read without _labels' call (fs_plugins.metrics.counted): the same
    series as _labels gives, an `action` field in the fetch ignored, a kept answer counted as well."""
    app = metrics.instrument_xml_curl(make_app(Config(), db))
    before = value("centralita_xml_curl_requests_total", section="dialplan", action="none", result="found")
    timed = value("centralita_xml_curl_request_seconds_count", section="dialplan", result="found")
    form = urlencode({"section": "dialplan", "action": "sip_auth", "Hunt-Context": "acme.example",
                      "Hunt-Destination-Number": "1001", "Hunt-Caller-ID-Number": "1001",
                      "Hunt-Caller-ID-Name": "Ana"}).encode()
    for _ in range(2):  # the second answer is the kept one
        status, _, body = call(app, form)
        assert status == 200 and b'<section name="dialplan"' in body
    assert value("centralita_xml_curl_requests_total", section="dialplan", action="none", result="found") == before + 2
    assert value("centralita_xml_curl_requests_total", section="dialplan", action="sip_auth", result="found") == 0
    assert value("centralita_xml_curl_request_seconds_count", section="dialplan", result="found") == timed + 2
