"""A TCP proxy that can reset, stall and resume the connections through it (database fault tests, B8).

    with TcpProxy(("127.0.0.1", 5432)) as proxy:     # proxy.port: connect here instead
        proxy.stall()    # nothing moves either way and new connections wait: a black-holed network
        proxy.resume()   # everything moves again, what waited included
        proxy.reset()    # every connection through it ends with a TCP reset (RST) on both sides

Plain threads and blocking sockets: it works whether or not the process using it is monkey-patched
(the tests are not; benches/b8_faults.py runs it beside servers in other processes).
"""
from __future__ import annotations

import select
import socket
import struct
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._moving = threading.Event()
        self._moving.set()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy-accept").start()

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def stall(self) -> None:
        self._moving.clear()

    def resume(self) -> None:
        self._moving.set()

    def reset(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _abort(sock)

    def close(self) -> None:
        self._closed = True
        self._moving.set()
        self._listener.close()
        self.reset()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True, name="tcp-proxy-pair").start()

    def _serve(self, client: socket.socket) -> None:
        self._moving.wait()  # a stalled network does not complete new connections either
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _abort(client)
            return
        pair = (client, upstream)
        with self._lock:
            self._pairs.append(pair)
        try:
            _pump(pair, self._moving)
        finally:
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
            for sock in pair:
                sock.close()


def _pump(pair: tuple[socket.socket, socket.socket], moving: threading.Event) -> None:
    client, upstream = pair
    other = {client: upstream, upstream: client}
    while True:
        moving.wait()
        try:
            readable, _, _ = select.select(list(pair), [], [], 0.05)
        except (OSError, ValueError):
            return
        if not moving.is_set():
            continue  # stalled while waiting: what arrived stays in the kernel's buffers
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                other[sock].sendall(data)
            except OSError:
                return


def _abort(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST, as when a firewall or a restart cuts it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
