"""`centralita serve --only api`: the REST API alone on the web server's port, over real HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


def _request(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_only_api_answers_the_api_and_nothing_else(tmp_path):
    env = {**os.environ, "CENTRALITA_DATA_DIR": str(tmp_path), "CENTRALITA_WEB_PORT": "0",
           "CENTRALITA_LOG_LEVEL": "WARNING", "CENTRALITA_FS_EVENT_SOCKET_PORT": "0",
           "CENTRALITA_API_SCHEDULING": "normal"}  # not starved by the suite's other processes (serve_process.py)
    database = ["--database", f"sqlite:///{tmp_path / 'centralita.db'}"]
    created = subprocess.run([sys.executable, "-m", "fs_plugins.cli", *database, "apikey", "create", "ops",
                              "--role", "operator"], env=env, capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1]
    process = subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", *database, "serve", "--only", "api"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines, deadline = [], time.time() + 30
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line or line.startswith("point FreeSWITCH at it"):
                break
            lines.append(line)
        output = "".join(lines)
        match = re.search(r"REST API: (http://127\.0\.0\.1:\d+)/api/v1/", output)
        assert match, output + process.stderr.read()
        assert "CDR receiver" not in output and "xml_curl handler" not in output and "outbound ESL" not in output
        base = match.group(1)
        status, headers, body = _request(f"{base}/api/v1/openapi.json")
        assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
        status, headers, body = _request(f"{base}/api/v1/tenants", headers={"Authorization": f"Bearer {key}"})
        assert status == 200 and "demo.centralita.test" in body.decode()
        status, headers, body = _request(f"{base}/api/v1/tenants")
        assert status == 401 and headers["Content-Type"] == "application/problem+json"
        assert _request(f"{base}/cdr", "POST", {})[0] == 404  # the CDR receiver is not mounted
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
