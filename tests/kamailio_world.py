"""Kamailio and sipp on loopback for tests/test_kamailio.py: the shipped kamailio/kamailio.cfg run unchanged
with a generated centralita-local.cfg (free ports, a temporary PostgreSQL schema and role), and sipp
scenarios for phones and "media servers".

Without kamailio or sipp installed the tests skip, saying so; under CI (CI=true) they are required
(.ci/run installs them from Debian).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fs_plugins import db as dbmod
from tests import sipp_scenarios as scenarios
from tests.conftest import PG_URL, UNDER_CI

SHIPPED = Path(__file__).resolve().parent.parent / "kamailio"
KAMAILIO_SQL = Path("/usr/share/kamailio/postgres")  # kamailio-postgres-modules' table definitions
LOOPBACK = "127.0.0.1"


def require_tools() -> None:
    missing = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if not KAMAILIO_SQL.is_dir():
        missing.append("kamailio-postgres-modules")
    if missing:
        reason = f"not installed: {', '.join(missing)} (apt-get install kamailio kamailio-postgres-modules sip-tester)"
        if UNDER_CI:
            pytest.fail(f"CI=true requires Kamailio and sipp: {reason}")
        pytest.skip(reason)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def kamailio_schema():
    """A PostgreSQL schema and login role for Kamailio (its tables created from the Debian package's SQL,
    owned by the role, whose search_path is the schema); both dropped afterwards. Yields (schema, role)."""
    name = "kam_" + uuid.uuid4().hex[:12]
    admin = dbmod.open_database(PG_URL)
    admin.execute_sql(f"CREATE ROLE {name} LOGIN")
    admin.execute_sql(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    admin.execute_sql(f"ALTER ROLE {name} SET search_path = {name}")
    try:
        with admin.atomic():
            admin.execute_sql(f"SET LOCAL ROLE {name}")
            admin.execute_sql(f"SET LOCAL search_path = {name}")
            for part in ("standard", "usrloc"):
                admin.execute_sql((KAMAILIO_SQL / f"{part}-create.sql").read_text())
        yield name, name
    finally:
        admin.execute_sql(f"DROP SCHEMA {name} CASCADE")
        admin.execute_sql(f"DROP OWNED BY {name} CASCADE")
        admin.execute_sql(f"DROP ROLE {name}")
        admin.close()


def kamailio_db_url(role: str) -> str:
    server = urlsplit(PG_URL)
    return f"postgres://{role}@{server.hostname}:{server.port or 5432}{server.path}"


@dataclass
class Proxy:
    port: int
    workdir: Path
    process: subprocess.Popen

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def log(self) -> str:
        return (self.workdir / "kamailio.log").read_text(errors="replace")


@contextlib.contextmanager
def kamailio(workdir: Path, role: str, media_servers: list[int]):
    """The shipped configuration with this run's values; `media_servers` are the UDP ports of the
    dispatcher set. Stopped (its own process group) afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_udp_port()
    shutil.copy(SHIPPED / "kamailio.cfg", workdir / "kamailio.cfg")
    (workdir / "dispatcher.list").write_text(
        "".join(f"1 sip:{LOOPBACK}:{media} 0 0\n" for media in media_servers))
    (workdir / "centralita-local.cfg").write_text(
        f"listen=udp:{LOOPBACK}:{port}\n"
        f'#!define DBURL "{kamailio_db_url(role)}"\n'
        f'#!define DISPATCHER_LIST "{workdir / "dispatcher.list"}"\n'
        f'#!define CTL_SOCKET "unix:{workdir / "ctl"}"\n'
        "#!define CHILDREN 2\n"
        "#!define DS_PING_INTERVAL 0\n")  # sipp's UAS would take an OPTIONS probe for an unexpected call
    log = open(workdir / "kamailio.log", "wb")
    process = subprocess.Popen(
        ["kamailio", "-f", str(workdir / "kamailio.cfg"), "-DD", "-E", "-Y", str(workdir), "-m", "64", "-M", "8"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proxy = Proxy(port, workdir, process)
    try:
        _wait_answering(proxy)
        yield proxy
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _wait_answering(proxy: Proxy, seconds: float = 15.0) -> None:
    """Until the proxy answers an OPTIONS keepalive (kamailio.cfg's REQINIT answers it 200)."""
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        probe.settimeout(0.3)
        local = probe.getsockname()[1]
        while time.monotonic() < deadline:
            if proxy.process.poll() is not None:
                raise AssertionError(f"kamailio exited ({proxy.process.returncode}):\n{proxy.log()[-3000:]}")
            probe.sendto(_options(proxy.port, local).encode(), (LOOPBACK, proxy.port))
            with contextlib.suppress(socket.timeout):
                if probe.recv(4096).startswith(b"SIP/2.0 200"):
                    return
    raise AssertionError(f"kamailio does not answer on {proxy.address}:\n{proxy.log()[-3000:]}")


def _options(port: int, local: int) -> str:
    call = uuid.uuid4().hex
    return (f"OPTIONS sip:{LOOPBACK}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {LOOPBACK}:{local};branch=z9hG4bK{call}\r\n"
            f"From: <sip:probe@{LOOPBACK}>;tag={call}\r\nTo: <sip:{LOOPBACK}:{port}>\r\nCall-ID: {call}\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


# --- sipp -------------------------------------------------------------------------------------------

def run_sipp(workdir: Path, proxy: Proxy, scenario: str, name: str, *options: str,
             inject: list[str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a UAC scenario against the proxy until its calls are done (exit 0: every call succeeded)."""
    (workdir / f"{name}.xml").write_text(scenario)
    if "-p" not in options:  # sipp's default local port, 5060, may be anybody's
        options += ("-p", str(free_udp_port()))
    command = ["sipp", proxy.address, "-sf", str(workdir / f"{name}.xml"), "-i", LOOPBACK, "-nostdin",
               "-timeout", str(int(timeout - 5)), "-timeout_error", "-trace_err",
               "-error_file", str(workdir / f"{name}.errors"), *options]
    if inject is not None:
        (workdir / f"{name}.csv").write_text("SEQUENTIAL\n" + "".join(line + "\n" for line in inject))
        command += ["-inf", str(workdir / f"{name}.csv")]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def sipp_uas(workdir: Path, name: str, port: int):
    """A sipp UAS on `port` answering every INVITE 200 and logging each message it receives; yields the
    message log's path. Stopped with SIGUSR1 (sipp's graceful quit, which flushes the log)."""
    log = workdir / f"{name}.messages"
    (workdir / f"{name}.xml").write_text(scenarios.answer())
    process = subprocess.Popen(
        ["sipp", "-sf", str(workdir / f"{name}.xml"), "-i", LOOPBACK, "-p", str(port), "-nostdin",
         "-trace_msg", "-message_file", str(log)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.3)  # sipp binds at once; a failed bind exits (checked below)
        assert process.poll() is None, f"sipp UAS {name} could not start on port {port}"
        yield log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGUSR1)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def invites_received(log: Path) -> list[str]:
    """The From domain of each call (one per Call-ID, retransmissions aside) whose INVITE is in a sipp
    message log."""
    if not log.exists():
        return []
    calls: dict[str, str] = {}
    for message in log.read_text(errors="replace").split("-" * 47):
        if "message received" not in message or not re.search(r"^INVITE sip:", message, re.MULTILINE):
            continue
        call_id = re.search(r"^Call-ID: *(\S+)", message, re.MULTILINE | re.IGNORECASE).group(1)
        calls[call_id] = re.search(r"^From: *[^\n]*@([^>;\s]+)", message, re.MULTILINE | re.IGNORECASE).group(1)
    return list(calls.values())
