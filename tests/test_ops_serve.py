"""`centralita serve` as an operator runs it: health, metrics and JSON logs over real sockets."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request


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
        assert "SQLite checkpoints: in a thread of their own" in output  # its writers' commits never run one
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


def test_a_server_running_only_xml_curl_answers_health_and_metrics_on_its_own_port(tmp_path):
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path), "CENTRALITA_XML_CURL_PORT": "0",
           "CENTRALITA_FS_EVENT_SOCKET_PORT": "0", "CENTRALITA_METRICS_TOKEN": "tok",
           "CENTRALITA_XML_CURL_USER": "fs", "CENTRALITA_XML_CURL_PASSWORD": "pw"}
    process = subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", "serve", "--no-demo", "--only", "xml_curl"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        output = ""
        deadline = time.time() + 30
        while time.time() < deadline and "point FreeSWITCH at it" not in output:
            output += process.stdout.readline()
        port = int(re.search(r"xml_curl handler: http://127\.0\.0\.1:(\d+)/xml_curl", output).group(1))
        assert "SQLite checkpoints" not in output  # it never writes: the processes that write checkpoint
        assert json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()) == {
            "status": "alive"}
        form = b"section=directory&action=sip_auth&user=1001&domain=nowhere.example"
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/xml_curl", data=form, headers={
            "Authorization": "Basic " + base64.b64encode(b"fs:pw").decode()}), timeout=5)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer tok"})
        scraped = urllib.request.urlopen(request, timeout=5).read().decode()
        assert ('centralita_xml_curl_requests_total{action="sip_auth",result="not_found",section="directory"} 1.0'
                in scraped)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
