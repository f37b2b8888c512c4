"""`centralita serve` in its own process, as an operator runs it, for the fault tests and B8.

    with ServeProcess(tmp_path, database_url=url) as serve:
        serve.directory("1001")            # (status, body, seconds) of a sip_auth fetch
        serve.dialplan("1002")             # a call from 1001 to 1002
        serve.post_cdr(cdr)                # (status, seconds)
        serve.log()                        # what it wrote on stderr so far
        serve.log(waiting_for="is back")   # ... once that text is there (or after 5 s)
"""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "freeswitch"
DOMAIN = "demo.centralita.test"  # the demo tenant serve creates in an empty database


def _fields(name: str) -> dict:
    return json.loads((FIXTURES / "xml_curl" / name).read_text())["exchanges"][0]["request"]["fields"]


SIP_AUTH = _fields("02_register_sip_auth_ok.json")


def _dialplan_fields() -> dict:
    for exchange in json.loads((FIXTURES / "xml_curl" / "04_invite_sip_auth_dialplan_user_call.json")
                               .read_text())["exchanges"]:
        if exchange["request"]["fields"].get("section") == "dialplan":
            return exchange["request"]["fields"]
    raise LookupError("no dialplan fetch in the fixture")


DIALPLAN = _dialplan_fields()
CDR = json.loads((FIXTURES / "json_cdr" / "outgoing_answered.json").read_text())["legs"][0]["body"]


class ServeProcess:
    """`only`: the servers to run (`serve --only …`, one role per process as centralita@.service
    does); default all. A port of a server not run is None."""

    def __init__(self, data_dir: Path, only: tuple[str, ...] = (), **settings: str):
        self.data_dir = Path(data_dir)
        self.only = only
        env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
        env["PYTHONPATH"] = str(ROOT)
        env.update({"CENTRALITA_DATA_DIR": str(data_dir), "CENTRALITA_XML_CURL_PORT": "0",
                    "CENTRALITA_WEB_PORT": "0", "CENTRALITA_ESL_PORT": "0", "CENTRALITA_LOG_LEVEL": "INFO",
                    "CENTRALITA_XML_CURL_USER": FS_USER, "CENTRALITA_XML_CURL_PASSWORD": FS_PASSWORD,
                    "CENTRALITA_CDR_USER": FS_USER, "CENTRALITA_CDR_PASSWORD": FS_PASSWORD,
                    # SCHED_IDLE (the default for `--only api`) would starve the server on a machine
                    # running the suite's other processes; tests/test_api_deadline.py tests the policy.
                    "CENTRALITA_API_SCHEDULING": "normal"})
        env.update({f"CENTRALITA_{k.upper()}": str(v) for k, v in settings.items()})
        self.env = env
        self.process: subprocess.Popen | None = None
        self._stderr: list[str] = []

    def __enter__(self) -> "ServeProcess":
        roles = [word for name in self.only for word in ("--only", name)]
        self.process = subprocess.Popen([sys.executable, "-m", "fs_plugins.cli", "serve", *roles], env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("point FreeSWITCH at it"):
                break
        output = "".join(lines)
        ports = {name: re.search(pattern, output) for name, pattern in (
            ("xml_curl", r"xml_curl handler: http://127\.0\.0\.1:(\d+)/"),
            ("web", r"CDR receiver: http://127\.0\.0\.1:(\d+)/cdr"),
            ("esl", r"outbound ESL app: 127\.0\.0\.1:(\d+)"),
            ("api", r"REST API: http://127\.0\.0\.1:(\d+)/api/v1/"))}
        wanted = [name for name in ports if not self.only or name in self.only]
        if not all(ports[name] for name in wanted):
            self.__exit__()
            raise RuntimeError(f"serve did not start:\n{output}\n{self.log()}")
        self.xml_curl_port, self.web_port, self.esl_port, self.api_port = (
            int(ports[n].group(1)) if ports[n] else None for n in ("xml_curl", "web", "esl", "api"))
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # never let stdout fill up
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _collect_stderr(self) -> None:
        for line in self.process.stderr:
            self._stderr.append(line)

    def log(self, waiting_for: str = "", timeout: float = 5.0) -> str:
        """stderr so far. A thread reads it from a pipe, so a line the server wrote just before answering
        may not be here yet: `waiting_for` gives that text up to `timeout` seconds to arrive."""
        deadline = time.monotonic() + timeout
        while waiting_for not in "".join(self._stderr) and time.monotonic() < deadline:
            time.sleep(0.02)
        return "".join(self._stderr)

    # -- requests as FreeSWITCH sends them ------------------------------------------------------
    def directory(self, extension: str = "1001", timeout: float = 10) -> tuple[int, bytes, float]:
        form = {**SIP_AUTH, "user": extension, "domain": DOMAIN, "key_value": DOMAIN}
        return post(self.xml_curl_port, "/xml_curl", urlencode(form).encode(),
                    "application/x-www-form-urlencoded", timeout)

    def dialplan(self, destination: str = "1002", timeout: float = 10) -> tuple[int, bytes, float]:
        form = {**DIALPLAN, "Hunt-Context": DOMAIN, "Caller-Context": DOMAIN,
                "Hunt-Destination-Number": destination, "Caller-Destination-Number": destination}
        return post(self.xml_curl_port, "/xml_curl", urlencode(form).encode(),
                    "application/x-www-form-urlencoded", timeout)

    def post_cdr(self, cdr: dict, timeout: float = 15) -> tuple[int, float]:
        status, _, seconds = post(self.web_port, f"/cdr?uuid={cdr['variables']['uuid']}", json.dumps(cdr).encode(),
                                  "application/json", timeout)
        return status, seconds

    def not_a_cdr(self, timeout: float = 10) -> tuple[int, float]:
        """A request of the web server that needs no database (a body that is not JSON: 400)."""
        status, _, seconds = post(self.web_port, "/cdr", b"{not json", "application/json", timeout)
        return status, seconds


def cdr_with_uuid(uuid: str) -> dict:
    """The recorded CDR as another call (its uuid in every place the receiver reads it)."""
    text = json.dumps(CDR).replace(CDR["variables"]["uuid"], uuid)
    return json.loads(text)


# What the test's FreeSWITCH sends: serve always requires credentials (fs_plugins/credentials.py).
FS_USER, FS_PASSWORD = "freeswitch", "test-only-secret"
FS_AUTHORIZATION = "Basic " + base64.b64encode(f"{FS_USER}:{FS_PASSWORD}".encode()).decode()


def post(port: int, path: str, body: bytes, content_type: str, timeout: float = 10) -> tuple[int, bytes, float]:
    """One request as mod_xml_curl and mod_json_cdr send it: (status, body, seconds)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Authorization: {FS_AUTHORIZATION}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode() + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    seconds = time.monotonic() - started
    response = b"".join(chunks)
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2], seconds
