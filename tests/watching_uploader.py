"""An uploading client as browsers and curl are: it sends the body while watching for an answer,
stops sending when one comes, and reads it to the end. A server that closes on the unread rest of
the body resets the connection, and this client then raises ConnectionResetError, as they report
it. Used by tests/test_http_limits.py and tests/test_media_over_http.py."""
from __future__ import annotations

import gevent
import gevent.select
from gevent import socket as gsocket  # cooperative: the tests' servers run in the same process

_CHUNK = b"\0" * 65536


def upload_watching_for_answer(port: int, head: bytes, body_size: int, timeout: float = 5.0) -> bytes:
    """The answer to `head` followed by up to `body_size` zero bytes, read until the server closes."""
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sent = 0
        while sent < body_size and not gevent.select.select([sock], [], [], 0)[0]:
            sent += sock.send(_CHUNK[:body_size - sent])
            gevent.sleep(0.001)  # paced as by a network, and the server gets its turn
        sock.settimeout(timeout)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer
