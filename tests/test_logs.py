"""Log lines: one per event on stderr, text or JSON, naming the call they are about."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import gevent
import pytest

from fs_plugins import logs
from fs_plugins.cli import main


@pytest.fixture
def captured():
    stream = io.StringIO()
    yield stream
    logs.configure("WARNING", "text")  # back to what the other tests expect


def during_a_call(log, uuid: str, tenant: str, flow: str):
    logs.bind_call(uuid=uuid, tenant=tenant, flow=flow)
    gevent.sleep(0)  # the other call runs meanwhile: each keeps its own context
    log.warning("caller pressed %s", "1")


def test_json_lines_carry_the_call_uuid_tenant_and_flow_of_each_concurrent_call(captured):
    logs.configure("INFO", "json", stream=captured)
    log = logging.getLogger("fs_plugins.ivr.flow")
    gevent.joinall([gevent.spawn(during_a_call, log, "uuid-a", "acme.example", "ivr"),
                    gevent.spawn(during_a_call, log, "uuid-b", "globex.example", "group")])
    log.warning("not about a call")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [(line["call_uuid"], line["tenant"], line["flow"]) for line in lines] == [
        ("uuid-a", "acme.example", "ivr"), ("uuid-b", "globex.example", "group"), ("", "", "")]
    assert lines[0]["message"] == "caller pressed 1" and lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "fs_plugins.ivr.flow" and "asctime" in lines[0]


def test_a_traceback_or_a_forged_line_break_stays_on_one_text_line(captured):
    logs.configure("INFO", "text", stream=captured)
    log = logging.getLogger("fs_plugins.esl.server")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("flow failed for caller %s", "1001\n2026-12-03 00:00:00 INFO fake: admin logged in")
    output = captured.getvalue()
    assert output.count("\n") == 1 and "Traceback" in output and "RuntimeError: boom" in output


def test_text_lines_say_which_call_they_are_about(captured):
    logs.configure("INFO", "text", stream=captured)
    gevent.spawn(during_a_call, logging.getLogger("x"), "uuid-c", "acme.example", "ivr").get()
    assert captured.getvalue().rstrip().endswith("caller pressed 1 [call=uuid-c tenant=acme.example flow=ivr]")


def test_an_unknown_log_format_is_refused_naming_the_setting(tmp_path, capsys):
    config = tmp_path / "centralita.toml"
    config.write_text('log_format = "xml"\n')
    assert main(["--config", str(config), "--data-dir", str(tmp_path), "db", "status"]) == 2
    assert "log_format: must be one of text, json" in capsys.readouterr().err


def test_serve_logs_json_on_stderr_and_keeps_stdout_for_what_it_tells_the_operator(tmp_path):
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path), "CENTRALITA_XML_CURL_PORT": "0",
           "CENTRALITA_WEB_PORT": "0", "CENTRALITA_ESL_PORT": "0", "CENTRALITA_LOG_FORMAT": "json",
           "CENTRALITA_FS_EVENT_SOCKET_PORT": "0", "CENTRALITA_METRICS_TOKEN": "tok"}
    process = subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", "serve", "--no-demo"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        output = ""
        deadline = time.time() + 30
        while time.time() < deadline and "point FreeSWITCH at it" not in output:
            output += process.stdout.readline()
        port = int(re.search(r"CDR receiver: http://127\.0\.0\.1:(\d+)/cdr", output).group(1))
        ready = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).read())
        assert ready["ready"] is True
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer tok"})
        scraped = urllib.request.urlopen(request, timeout=5).read().decode()
        assert 'centralita_http_requests_total{code="200",mount="/readyz"} 1.0' in scraped
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    errors = process.stderr.read().splitlines()
    assert errors and all(json.loads(line)["level"] for line in errors)
    assert not any(line.startswith("{") for line in output.splitlines())
