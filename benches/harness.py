"""Shared benchmark plumbing: a populated database, a server in its own process, a load client.

Machines here are noisy, so every benchmark measures its own ceiling in the same run (a bare
server doing only the unavoidable part) and prints the ratio, not absolute targets alone.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def populate(path: Path, tenants: int = 1000, users_per_tenant: int = 100, dids_per_tenant: int = 10) -> None:
    """Fill a fresh database through the real schema, with raw batched inserts (seconds, not minutes)."""
    if path.exists():
        path.unlink()
    sys.path.insert(0, str(ROOT))
    from fs_plugins import db as dbmod

    dbmod.connect(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path)
    now = "2026-01-01 00:00:00"
    conn.executemany(
        "INSERT INTO tenant (id, name, domain, timezone, language, country, region, created_at) VALUES (?,?,?,?,?,?,?,?)",
        [(t, f"Tenant {t}", f"t{t}.example", "Europe/Madrid", "es", "ES", None, now) for t in range(1, tenants + 1)],
    )
    conn.executemany(
        'INSERT INTO "user" (tenant_id, extension, display_name, email, enabled, a1_hash, created_at, updated_at) '
        "VALUES (?,?,?,?,?,?,?,?)",
        ((t, str(1000 + u), f"User {u}", None, 1, "0" * 32, now, now)
         for t in range(1, tenants + 1) for u in range(users_per_tenant)),
    )
    conn.executemany(
        "INSERT INTO number (tenant_id, e164, destination, description, created_at) VALUES (?,?,?,?,?)",
        ((t, f"+3491{t:04d}{d:03d}", f"user:{(t - 1) * users_per_tenant + d + 1}", None, now)
         for t in range(1, tenants + 1) for d in range(dids_per_tenant)),
    )
    conn.commit()
    conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python benches/bench_server.py KIND DB PORT` in its own process (its own core)."""

    def __init__(self, kind: str, db_path: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "benches" / "bench_server.py"), kind, str(db_path), str(self.port)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{kind} server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def http_post_close(port: int, body: bytes, path: str = "/xml_curl") -> bytes:
    """One request the way mod_xml_curl sends it: a new connection, Connection: close."""
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: freeswitch-xml/1.0\r\nAccept: */*\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    if not response.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(response[:200])
    return response


def load(port: int, bodies: list[bytes], clients: int = 2, seconds: float = 5.0, check=None) -> dict:
    """`clients` threads posting round-robin for `seconds`; returns rate and latency percentiles."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(offset: int):
        mine, i = [], offset
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)]
            started = time.perf_counter()
            response = http_post_close(port, body)
            mine.append(time.perf_counter() - started)
            if check is not None and i < offset + 3:
                check(body, response)
            i += clients
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def handler_stats(port: int) -> dict:
    """Percentiles of the time spent inside the WSGI app, from the bench server itself."""
    import json

    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall("GET /__stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def report(name: str, ours: dict, ceiling: dict, min_ratio: float, p99_ms: float) -> bool:
    """Throughput ratio against the ceiling; p99 is the handler's own time (the client's RTT also
    carries TCP setup and the load of whatever else runs on this 2-core machine, so it is shown too)."""
    ratio = ours["rate"] / ceiling["rate"]
    handler_p99 = ours["handler"]["p99_ms"]
    ok = ratio >= min_ratio and handler_p99 < p99_ms
    print(f"{name}: centralita {ours['rate']:.0f} req/s ({ours['requests']} requests; client RTT p50 "
          f"{ours['p50_ms']:.3f} ms p99 {ours['p99_ms']:.3f} ms; in handler p50 {ours['handler']['p50_ms']:.3f} ms "
          f"p99 {handler_p99:.3f} ms) | bare parser {ceiling['rate']:.0f} req/s (client RTT p99 "
          f"{ceiling['p99_ms']:.3f} ms, in handler p99 {ceiling['handler']['p99_ms']:.3f} ms)")
    print(f"{name}: ratio {ratio:.2f} (target ≥ {min_ratio}), handler p99 {handler_p99:.3f} ms "
          f"(target < {p99_ms} ms) → {'PASS' if ok else 'FAIL'}")
    return ok


def measure(kind: str, db_path: Path, bodies: list[bytes], seconds: float, check=None) -> dict:
    with ServerProcess(kind, db_path) as server:
        load(server.port, bodies, seconds=1.0)  # warm up (caches, first connections)
        handler_stats(server.port)
        result = load(server.port, bodies, seconds=seconds, check=check)
        result["handler"] = handler_stats(server.port)
    return result
