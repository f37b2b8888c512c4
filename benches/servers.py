"""The servers an HTTP bench measures, each a fresh process on a fresh port, pinned to its core.

`centralita(...)` is the real thing: `centralita serve --only xml_curl|web` with the default
configuration but the database and port. `ceiling(...)` is benches/ceiling.py on the same server
settings. Both are pinned with taskset to SERVER_CORE; the load generator gets CLIENT_CORE.
"""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The credentials the benches' FreeSWITCH sends: Centralita always requires them (the ceiling
# ignores the header, and gets it too so both parse the same request).
FREESWITCH_USER, FREESWITCH_PASSWORD = "freeswitch", "bench-only-not-a-secret"
FREESWITCH_AUTHORIZATION = "Basic " + base64.b64encode(f"{FREESWITCH_USER}:{FREESWITCH_PASSWORD}".encode()).decode()


def cores() -> tuple[int, int]:
    """(server core, client core): the first two this process may run on."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        raise SystemExit("the HTTP benches need two cores: one for the server, one for the load generator")
    return available[0], available[1]


SERVER_CORE, CLIENT_CORE = cores()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process; `with` starts it and waits until it accepts connections, then stops it."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_path: Path):
        self.name, self.argv, self.env, self.port, self.log_path = name, argv, env, port, log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(["taskset", "-c", str(SERVER_CORE), *self.argv], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"{self.name} did not listen on {self.port} within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def url_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _env(**settings: str) -> dict:
    """This environment without any CENTRALITA_* setting of the caller's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    env["PYTHONPATH"] = str(ROOT)
    if os.environ.get("BENCH_TRACE_DIR"):  # benches/burst_trace.py: the servers log their collections
        env["PYTHONPATH"] = f"{ROOT / 'benches' / 'tracehook'}{os.pathsep}{ROOT}"
    env.update({f"CENTRALITA_{k.upper()}": v for k, v in settings.items()})
    return env


def centralita(section: str, database_url: str, log_path: Path, data_dir: Path) -> Server:
    """`centralita serve --only <section>` (xml_curl or web) on the data set."""
    port = free_port()
    env = _env(database_url=database_url, data_dir=str(data_dir), **{f"{section}_host": "127.0.0.1",
                                                                      f"{section}_port": str(port)},
               xml_curl_user=FREESWITCH_USER, xml_curl_password=FREESWITCH_PASSWORD,
               cdr_user=FREESWITCH_USER, cdr_password=FREESWITCH_PASSWORD)
    argv = [sys.executable, "-m", "fs_plugins.cli", "serve", "--only", section, "--no-demo"]
    return Server(f"centralita serve --only {section}", argv, env, port, log_path)


def ceiling(size: int, content_type: str, log_path: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "benches.ceiling", "--port", str(port), "--size", str(size),
            "--content-type", content_type]
    return Server("ceiling", argv, _env(), port, log_path)


def post(port: int, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """One request as mod_xml_curl sends it (new connection, Connection: close): (status, body)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: freeswitch-xml/1.0\r\nAccept: */*\r\n"
            f"Connection: close\r\nContent-Type: {content_type}\r\nAuthorization: {FREESWITCH_AUTHORIZATION}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]
