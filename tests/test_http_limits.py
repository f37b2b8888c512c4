"""Every HTTP server has header and body read deadlines and a connection cap: slow or idle clients
cannot starve FreeSWITCH's requests (issue 12, items 4 and 7)."""
from __future__ import annotations

import time

import gevent
import pytest
from gevent import socket as gsocket  # cooperative: the in-process servers run in this process

from fs_plugins import httpserver
from fs_plugins.httpserver import HttpLimits, http_server
from tests.serve_process import ServeProcess
from tests.slowloris import Slowloris
from tests.watching_uploader import upload_watching_for_answer


def _app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def limited():
    server = http_server("127.0.0.1", 0, _app, "tests.http",
                         HttpLimits(header_timeout=0.5, body_timeout=0.5, max_connections=2))
    server.start()
    yield server.address[1]
    server.stop(timeout=1)


def _read_all(sock, limit: float = 5.0) -> bytes:
    sock.settimeout(limit)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_head_trickled_one_byte_at_a_time_is_cut_off_at_the_header_deadline(limited):
    started = time.monotonic()
    with gsocket.create_connection(("127.0.0.1", limited)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(30):  # a byte every 0.1 s: each read is quick, the head never ends
            try:
                sock.sendall(b"X")
            except OSError:
                break
            gevent.sleep(0.1)
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    assert time.monotonic() - started < 2.0


def test_a_body_that_stops_arriving_is_answered_408(limited):
    with gsocket.create_connection(("127.0.0.1", limited)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten..")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer.lower()


def test_beyond_the_connection_cap_a_request_waits_only_until_idle_ones_time_out(limited):
    idle = [gsocket.create_connection(("127.0.0.1", limited)) for _ in range(2)]
    try:
        started = time.monotonic()
        with gsocket.create_connection(("127.0.0.1", limited)) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
            answer = _read_all(sock)
        waited = time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    assert 0.3 < waited < 3.0  # queued behind the two idle connections until their head deadline


def test_a_thousand_slowloris_connections_leave_freeswitchs_requests_answered_in_normal_time(tmp_path):
    with ServeProcess(tmp_path, http_header_timeout="3", log_level="WARNING") as serve:
        for _ in range(5):
            serve.directory()  # warm
        quiet = sorted(serve.directory()[2] for _ in range(30))
        with Slowloris(serve.xml_curl_port, 1000) as loris, Slowloris(serve.web_port, 200, path="/cdr") as cdr_loris:
            time.sleep(1.0)
            held = loris.open_now + loris.closed_by_server  # connected (the first may already be cut off)
            during = [serve.directory() for _ in range(30)]
            cdr = [serve.not_a_cdr() for _ in range(10)]
            until = time.monotonic() + 20  # past the header deadline the server cuts every one of them
            while loris.closed_by_server + cdr_loris.closed_by_server < 1000 and time.monotonic() < until:
                time.sleep(0.2)
            closed = loris.closed_by_server + cdr_loris.closed_by_server
        # all connected: neither EMFILE nor the cap refused them; the server cut every head that never ended
        assert held >= 1000 and loris.open_failures == 0, (held, loris.open_failures)
        assert closed >= 1000, closed
    assert all(status == 200 and b'<user id="1001"' in body for status, body, _ in during)
    assert all(status == 400 for status, _ in cdr)
    quiet_p99, busy_p99 = quiet[-1], sorted(seconds for *_, seconds in during)[-1]
    # Normal latency; the slack is for a shared CI machine (B8 measures it: 3.7 ms vs 3.5 ms quiet).
    # Without the limits the failure is seconds (mod_xml_curl's 5 s timeout) or no answer at all.
    assert busy_p99 <= 2 * quiet_p99 + 0.5, (quiet_p99, busy_p99)


def _answer_of(size: int, chunked: bool):
    def app(environ, start_response):
        if chunked:  # no Content-Length: pywsgi streams it chunked (the CSV exports)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return iter((b"x" * (size // 2), b"x" * (size - size // 2)))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(size))])
        return [b"x" * size]
    return app


def _kept_alive_request_times(port: int, requests: int, end: bytes) -> list[float]:
    """Seconds for each GET on one kept-alive connection, until the answer ends with `end`."""
    times = []
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        for _ in range(requests):
            started = time.perf_counter()
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(end):
                chunk = sock.recv(65536)
                assert chunk, "the server closed a kept-alive connection"
                answer += chunk
            times.append(time.perf_counter() - started)
    return times


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
def test_a_kept_alive_connection_gets_each_answer_without_waiting_for_a_delayed_ack(chunked):
    # An integration's API client keeps its connection: pywsgi wrote the head and the body apart,
    # Nagle held the body until the head was acknowledged, and the client delays that ACK 40 ms.
    server = http_server("127.0.0.1", 0, _answer_of(16_000, chunked), "tests.http")
    server.start()
    try:
        times = _kept_alive_request_times(server.address[1], 12, b"0\r\n\r\n" if chunked else b"x" * 100)
    finally:
        server.stop(timeout=1)
    assert sorted(times)[len(times) // 2] < 0.015, [round(1000 * t, 1) for t in times]


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
def test_an_answer_joined_to_its_head_reads_back_as_the_same_bytes(chunked):
    """The head and the first part leave in one write; a streamed answer (a CSV export) must keep
    its chunk framing there too, or a client such as curl refuses it."""
    import http.client
    import threading

    parts = (b"fecha,numero\r\n", b"2026-11-03,600111222\r\n" * 50, b"", b"fin\r\n")

    def app(environ, start_response):
        headers = [("Content-Type", "text/csv")]
        if not chunked:
            headers.append(("Content-Length", str(sum(map(len, parts)))))
        start_response("200 OK", headers)
        return iter(parts) if chunked else [b"".join(parts)]

    def client(port: int, seen: list) -> None:  # stdlib http.client in a thread: the server runs on this one's hub
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(2):  # twice on the kept-alive connection
            connection.request("GET", "/export.csv")
            answer = connection.getresponse()
            seen.append((answer.getheader("Transfer-Encoding"), answer.read()))
        connection.close()

    server = http_server("127.0.0.1", 0, app, "tests.http")
    server.start()
    seen: list = []
    try:
        reader = threading.Thread(target=client, args=(server.address[1], seen))
        reader.start()
        while reader.is_alive():
            gevent.sleep(0.01)
    finally:
        server.stop()
    assert seen == [("chunked" if chunked else None, b"".join(parts))] * 2


def _refusing(environ, start_response):
    """Answers 403 without reading the body, as an upload refused on its URL or its owner is."""
    start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", "4")])
    return [b"no.\n"]


@pytest.fixture
def refusing():
    server = http_server("127.0.0.1", 0, _refusing, "tests.http", HttpLimits(header_timeout=5, body_timeout=5))
    server.start()
    yield server.address[1]
    server.stop(timeout=1)


HUGE_UPLOAD = b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"


def test_a_refused_large_upload_is_answered_at_once_and_its_connection_closed_unread(refusing):
    """pywsgi would read and throw away the whole declared body (up to 1 GiB for a recording) on a
    kept-alive connection, or wait body_timeout for it: the refusal closes instead."""
    started = time.monotonic()
    with gsocket.create_connection(("127.0.0.1", refusing)) as sock:
        sock.sendall(HUGE_UPLOAD + b"RIFF\0\0\0\0WAVE")
        answer = _read_all(sock)  # until the server closes
    assert answer.startswith(b"HTTP/1.1 403") and b"connection: close" in answer.lower(), answer
    assert time.monotonic() - started < 1.0  # not the 5 s body deadline


def test_a_client_that_keeps_sending_a_refused_body_is_cut_off_without_it_being_read(refusing):
    sent = 0
    with gsocket.create_connection(("127.0.0.1", refusing)) as sock:
        sock.sendall(HUGE_UPLOAD)
        chunk = b"\0" * 65536
        try:
            while sent < 100_000_000:
                sent += sock.send(chunk)
        except OSError:  # EPIPE or a reset: the server closed
            pass
    assert sent < 20_000_000, sent  # the socket buffers' worth, not the declared 100 MB


def test_a_small_unread_body_is_skipped_and_the_connection_kept(refusing):
    with gsocket.create_connection(("127.0.0.1", refusing)) as sock:
        sock.settimeout(5)
        for _ in range(2):
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000)
            answer = b""
            while not answer.endswith(b"no.\n"):
                chunk = sock.recv(65536)
                assert chunk, "the server closed a kept-alive connection"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 403") and b"connection: close" not in answer.lower()


def test_a_client_still_sending_a_large_refused_upload_reads_the_403_and_a_clean_close(refusing):
    """Closing on the unread rest would reset the connection, and the client report that, not the 403."""
    head = b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"
    answer = upload_watching_for_answer(refusing, head, 5_000_000)  # a reset raises ConnectionResetError
    assert answer.startswith(b"HTTP/1.1 403") and answer.endswith(b"no.\n"), answer


def test_a_client_trickling_a_refused_body_is_cut_off_after_the_linger_time(refusing, monkeypatch):
    monkeypatch.setattr(httpserver, "LINGER_FOR", 0.5)
    started = time.monotonic()
    with gsocket.create_connection(("127.0.0.1", refusing)) as sock:
        sock.sendall(HUGE_UPLOAD)
        try:
            while time.monotonic() - started < 5:  # 20 KB/s: 1 MiB would take 50 s
                sock.sendall(b"\0" * 1000)
                gevent.sleep(0.05)
        except OSError:  # EPIPE or a reset: the server closed
            pass
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("closing", [b"HTTP/1.1\r\nConnection: close", b"HTTP/1.0"], ids=["close", "http10"])
def test_a_refused_32k_body_on_a_closing_connection_is_read_off_and_the_answer_arrives(refusing, closing):
    """A rest at most DRAIN_UP_TO is read to its end before closing, or the close would reset the connection."""
    with gsocket.create_connection(("127.0.0.1", refusing)) as sock:
        sock.sendall(b"POST /cdr " + closing + b"\r\nHost: x\r\nContent-Length: 32768\r\n\r\n" + b"x" * 32768)
        answer = _read_all(sock)  # a reset raises ConnectionResetError here
    assert answer.split(b" ", 2)[1] == b"403" and answer.endswith(b"no.\n"), answer
