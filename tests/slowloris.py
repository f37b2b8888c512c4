"""Slowloris clients: many connections that start a request and never finish its head.

Each connection sends a request line and one header, then one more header byte every
`trickle` seconds, so a server that only has a per-read timeout keeps it forever; the server
must close it at its header deadline. Used by tests/test_http_limits.py and benches/b8_faults.py.
"""
from __future__ import annotations

import resource
import socket
import threading
import time


class Slowloris:
    """`with Slowloris(port, 1000):` holds up to 1000 half-sent requests open (reopening those the
    server closes) until the block ends; `closed_by_server` counts how many the server dropped."""

    def __init__(self, port: int, connections: int, trickle: float = 1.0, path: str = "/xml_curl"):
        self.port, self.connections, self.trickle, self.path = port, connections, trickle, path
        self.closed_by_server = 0
        self.open_failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._socks: list[socket.socket] = []

    def __enter__(self) -> "Slowloris":
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.connections + 256
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        for _ in range(self.connections):
            self._open()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self._socks:
            sock.close()

    @property
    def open_now(self) -> int:
        return len(self._socks)

    def _open(self) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            sock.sendall(f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ".encode())
            sock.setblocking(False)
            self._socks.append(sock)
        except OSError:
            self.open_failures += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            for sock in list(self._socks):  # one more byte each: the head is never finished
                try:
                    sock.send(b"a")
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self._drop(sock)
            for sock in list(self._socks):  # a connection the server answered or closed is reopened
                try:
                    if sock.recv(4096, socket.MSG_PEEK) is not None:
                        self._drop(sock)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self._drop(sock)
            while len(self._socks) < self.connections and not self._stop.is_set():
                self._open()
            self._stop.wait(self.trickle)

    def _drop(self, sock: socket.socket) -> None:
        self.closed_by_server += 1
        self._socks.remove(sock)
        sock.close()
