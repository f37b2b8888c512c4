"""`centralita serve` as a user runs it: one process, every server, a demo tenant, a clean stop."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "xml_curl" / "02_register_sip_auth_ok.json"
CDRS = Path(__file__).parent / "fixtures" / "freeswitch" / "json_cdr"


def _post(port: int, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: {content_type}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


def test_serve_creates_the_demo_prints_where_it_listens_and_answers_freeswitch(tmp_path):
    failed_posts = tmp_path / "json_cdr_failed"  # mod_json_cdr's err-log-dir, swept by serve
    failed_posts.mkdir()
    recorded_cdr = json.loads((CDRS / "outgoing_answered.json").read_text())["legs"][0]["body"]
    failed_file = failed_posts / f"{recorded_cdr['variables']['uuid']}.cdr.json"
    failed_file.write_text(json.dumps(recorded_cdr))
    os.utime(failed_file, (time.time() - 60, time.time() - 60))  # written a minute ago: finished
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path), "CENTRALITA_XML_CURL_PORT": "0",
           "CENTRALITA_WEB_PORT": "0", "CENTRALITA_ESL_PORT": "0", "CENTRALITA_LOG_LEVEL": "WARNING",
           "CENTRALITA_CDR_SWEEP_DIR": str(failed_posts), "CENTRALITA_CDR_SWEEP_SECONDS": "0.2"}
    process = subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", "serve"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("point FreeSWITCH at it"):
                break
        output = "".join(lines)
        assert "demo tenant demo.centralita.test" in output, output + process.stderr.read()
        xml_curl_port = int(re.search(r"xml_curl handler: http://127\.0\.0\.1:(\d+)/xml_curl", output).group(1))
        web_port = int(re.search(r"CDR receiver: http://127\.0\.0\.1:(\d+)/cdr", output).group(1))
        esl_port = int(re.search(r"outbound ESL app: 127\.0\.0\.1:(\d+)", output).group(1))

        fields = json.loads(RECORDED.read_text())["exchanges"][0]["request"]["fields"]
        from urllib.parse import urlencode
        form = urlencode({**fields, "domain": "demo.centralita.test", "key_value": "demo.centralita.test"})
        status, body = _post(xml_curl_port, "/xml_curl", form.encode(), "application/x-www-form-urlencoded")
        assert status == 200 and b'<user id="1001"' in body and b"a1-hash" in body

        status, _ = _post(web_port, "/cdr", b"{not json", "application/json")
        assert 400 <= status < 500
        socket.create_connection(("127.0.0.1", esl_port), timeout=5).close()
        assert (tmp_path / "centralita.db").exists()
        assert f"CDR sweeper: {failed_posts} every 0.2 s" in output
        imported = failed_posts / "imported" / f"{recorded_cdr['variables']['uuid']}.cdr.json"
        deadline = time.time() + 10
        while not imported.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert imported.exists() and not list(failed_posts.glob("*.cdr.json"))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def _raw_exchange(port: int, request: bytes) -> bytes:
    from gevent import socket as gsocket  # cooperative: the server runs in this process

    with gsocket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and "close" not in request.decode():
                break  # a kept-alive connection stays open: the head is what we came for
    return data.partition(b"\r\n\r\n")[0].lower()


def test_the_http_servers_say_connection_close_when_they_close_and_only_then():
    from fs_plugins.commands.serve import http_server

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = http_server("127.0.0.1", 0, app, "tests.http")
    server.start()
    try:
        port = server.address[1]
        closing = _raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        kept = _raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        server.stop()
    assert b"\r\nconnection: close" in closing
    assert b"connection:" not in kept


def _serve_once(tmp_path, **settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path), "CENTRALITA_XML_CURL_PORT": "0",
           "CENTRALITA_WEB_PORT": "0", "CENTRALITA_ESL_PORT": "0",
           **{f"CENTRALITA_{name.upper()}": value for name, value in settings.items()}}
    return subprocess.run([sys.executable, "-m", "fs_plugins.cli", "serve"], env=env, capture_output=True,
                          text=True, timeout=60)


def test_a_port_already_taken_is_one_clear_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve_once(tmp_path, web_port=str(port))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"centralita: error: the web server cannot listen on 127.0.0.1:{port}: "
                                   "Address already in use (another program there? change web_port or web_host)")


def test_a_database_that_is_down_at_start_is_one_clear_line_without_its_password(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _serve_once(tmp_path, database_url=f"postgresql://centralita:s3cret@127.0.0.1:{port}/centralita")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"centralita: error: cannot open the database postgresql://centralita:***@127.0.0.1:{port}/centralita: ")
    assert "s3cret" not in done.stderr and "refused" in lines[0].lower()
