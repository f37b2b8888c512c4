"""How every HTTP server of `serve` runs: gevent's pywsgi with limits a slow client cannot outwait.

* The request head (request line and headers) must arrive within `header_timeout` seconds in
  all, however it trickles in (a per-read timeout alone lets a slowloris client send one byte
  every few seconds forever); an idle kept-alive connection is closed after the same time.
* Each read of the body must bring data within `body_timeout` seconds; a body that stops
  arriving is answered 408 and the connection closed (no traceback, one log line); one the client
  ends before its Content-Length (or mid-chunk) is answered 400 the same way.
* At most `max_connections` connections are served at once; more wait in the listen backlog.
  The process's descriptor limit is raised to its hard limit so the cap, not EMFILE, is what
  holds: a thousand idle connections cost a thousand greenlets and descriptors, nothing else.
Each connection is a greenlet, so connections that wait cost the others nothing while they last.
* An answer leaves at once on a kept-alive connection: TCP_NODELAY on every connection, and the
  head goes out with the start of the body in one write. pywsgi writes them apart, and Nagle then
  held the body until the client acknowledged the head, which a client waiting for the rest of the
  answer delays by 40 ms (Linux's delayed ACK): every keep-alive request (an integration's API
  client, benches/b6_api.py) took 40+ ms; a new connection per request hides it.
* An answer given before its request's body was read (an upload refused on its URL or its owner:
  403, 404, 409) closes the connection, saying so (Connection: close), when more than
  DRAIN_UP_TO bytes of the body are left or their size is unknown (chunked, or a 100-continue
  not yet sent). pywsgi would otherwise read and throw away the rest of the declared body to keep
  the connection (up to 1 GiB for a recording), or wait body_timeout for it; a small rest is
  still skipped so an API client keeps its connection, and read to its end when the connection
  closes anyway (Connection: close, HTTP/1.0). A large rest is not left in the socket either:
  closing on unread data makes Linux answer with a reset, not a FIN, and a client still sending
  (a browser, curl) then reports the reset, often before reading the 403. The server closes
  gently instead (RFC 9112 §9.6): answer, end its side (shutdown), read and throw away what
  still comes for at most LINGER_FOR seconds and LINGER_UP_TO bytes, then close.
"""
from __future__ import annotations

import logging
import resource
import socket
from dataclasses import dataclass

import gevent
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from fs_plugins import httphead

log = logging.getLogger(__name__)
_REQUEST_TIMEOUT_BODY = b"request body not received in time\n"
_INCOMPLETE_BODY = b"request body ended before its Content-Length\n"
_JOIN_HEAD_UP_TO = 256 * 1024  # a larger first part is written after the head (no copy of it)
DRAIN_UP_TO = 64 * 1024  # an unread body rest up to this is skipped to keep the connection
LINGER_FOR = 2.0  # seconds a connection closing on a larger unread rest reads on, after its answer
LINGER_UP_TO = 1024 * 1024  # bytes read then at most: a client sending 1 GiB is cut off, not read


class _NothingToDiscard:
    """Stands in for pywsgi's Input when the body's rest is not to be read to its end: its `_discard`,
    which pywsgi calls after every answer, would read all of it."""

    @staticmethod
    def _discard():
        pass


def _unread_body_too_large(body) -> bool:
    """Whether what is left of the request body (pywsgi's Input) is too much, or not known, to skip."""
    if body.socket is not None:  # Expect: 100-continue never answered: will the client send it or not?
        return True
    if body.chunked_input:
        return body.chunk_length != 0  # 0 once the last chunk is read; its size is unknown before
    return (body.content_length or 0) - body.position > DRAIN_UP_TO


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_connections: int = 4000

    @classmethod
    def from_config(cls, config) -> "HttpLimits":
        return cls(config.http_header_timeout, config.http_body_timeout, config.http_max_connections)


class _HeadTooSlow(socket.timeout):
    """The request head did not arrive within header_timeout (raised by the deadline)."""


class BodyTimeout(Exception):
    """A read of the request body brought nothing within body_timeout."""


class BodyIncomplete(OSError):
    """The client ended the request body early (pywsgi's "unexpected end of file", a bad chunk, a reset)."""


class _TimedInput:
    """wsgi.input whose reads turn the socket's timeout into BodyTimeout, so that only a body that
    stopped arriving (not, say, a timeout talking to FreeSWITCH) is answered 408, and any other
    failure to read it into BodyIncomplete (400)."""

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def _guard(self, method, *args):
        try:
            return method(*args)
        except socket.timeout:
            raise BodyTimeout() from None
        except OSError as exc:  # pywsgi's short-body and bad-chunk errors are OSErrors too: the client's doing
            raise BodyIncomplete(str(exc)) from None

    def read(self, *args):
        return self._guard(self._wrapped.read, *args)

    def readline(self, *args):
        return self._guard(self._wrapped.readline, *args)

    def readlines(self, *args):
        return self._guard(self._wrapped.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


class LimitedHandler(WSGIHandler):
    header_timeout = HttpLimits.header_timeout
    body_timeout = HttpLimits.body_timeout
    _closes_on_unread_body = False  # the answer closes with a large body rest unread: close gently

    def handle_one_request(self):
        # One deadline for the whole head; pywsgi closes quietly on a socket error while reading
        # the request line, and read_request below answers 400 when it strikes inside the headers.
        self.socket.settimeout(self.header_timeout)
        deadline = gevent.Timeout(self.header_timeout, _HeadTooSlow("request head too slow"))
        self._head_deadline = deadline
        deadline.start()
        try:
            result = super().handle_one_request()
        finally:
            deadline.close()
        if self._closes_on_unread_body:
            self._read_off_before_closing()
        return result  # None then: pywsgi's handle() closes

    def _read_off_before_closing(self):
        """End our side (the client reads the answer, then our FIN) and read what the client still
        sends, for a bounded time and size, so that closing finds nothing unread and sends a FIN,
        not a reset (see the module's notes)."""
        read = 0
        try:
            self.socket.shutdown(socket.SHUT_WR)
            with gevent.Timeout(LINGER_FOR, False):
                while read < LINGER_UP_TO and (chunk := self.socket.recv(min(65536, LINGER_UP_TO - read))):
                    read += len(chunk)
        except OSError:  # the client reset or went quiet for body_timeout: nothing more to spare it
            pass

    def read_request(self, raw_requestline):
        """The head, by httphead.read_head; BadHead (a ValueError) is answered 400 by pywsgi, which
        then closes the connection."""
        try:
            request = httphead.read_head(raw_requestline, self.rfile.readline)
            self.requestline = raw_requestline.rstrip("\r\n")
            self.command, self.path, self.request_version = request.method, request.target, request.version
            self.headers, self.content_length = request.head, request.content_length
            self.close_connection = request.close
            return True
        except OSError:  # the head deadline (_HeadTooSlow), a read's timeout, a reset connection
            self.close_connection = True
            return False  # pywsgi answers 400 (if the client still listens) and closes
        finally:
            self._head_deadline.close()
            if self.socket is not None:
                self.socket.settimeout(self.body_timeout)  # from now on each body read has its own limit

    def handle(self):
        if self.socket.family in (socket.AF_INET, socket.AF_INET6):
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle()

    def _write_with_headers(self, data):
        """The head and the first part of the body in one write (one segment for a small answer);
        the head as pywsgi builds it (status and headers already latin-1 bytes)."""
        if not data or len(data) > _JOIN_HEAD_UP_TO:
            return super()._write_with_headers(data)
        self.headers_sent = True
        self.finalize_headers()  # decides response_use_chunked: known only from here on
        head = [b"HTTP/1.1 ", self.status, b"\r\n"]
        for name, value in self.response_headers:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        body = [b"%x\r\n" % len(data), data, b"\r\n"] if self.response_use_chunked else [data]
        self._sendall(b"".join([*head, *body]))

    def _headers(self):
        """The HTTP_* environ items (pywsgi re-parsed its header lines here). Like pywsgi, a name
        with "_" is left out: it would pose as the one with "-" (X_User for X-User)."""
        for name, value in self.headers.fields:
            if "_" not in name:
                key = name.replace("-", "_").upper()
                if key != "CONTENT_TYPE" and key != "CONTENT_LENGTH":
                    yield "HTTP_" + key, value

    def log_request(self):
        """No access log (see the module's notes): nothing to format."""

    def get_environ(self):
        environ = super().get_environ()
        environ["wsgi.input"] = _TimedInput(environ["wsgi.input"])
        return environ

    def run_application(self):
        try:
            super().run_application()
        finally:
            # A small rest is read to its end even when the connection closes (else the close resets it),
            # a large one only in part, by _read_off_before_closing. (After a failed read, pywsgi's
            # _discard gives up at once: a timed-out socket file refuses reads, a short body is at EOF.)
            self._closes_on_unread_body = self.close_connection and _unread_body_too_large(self.wsgi_input)
            if self._closes_on_unread_body:
                self.wsgi_input = _NothingToDiscard

    def finalize_headers(self):
        """pywsgi closes after answering a request that said `Connection: close` but does not say so
        in the answer; RFC 9112 §9.6 asks a server to, and clients (wrk in benches/) then close
        cleanly instead of finding out with a failed read. An answer that leaves a large body unread
        closes too (see the module's notes)."""
        super().finalize_headers()
        if not self.close_connection and _unread_body_too_large(self.wsgi_input):
            self.close_connection = True
        if self.close_connection and self.request_version != "HTTP/1.0":
            if not any(name.lower() == b"connection" for name, _ in self.response_headers):
                self.response_headers.append((b"Connection", b"close"))


def answering_slow_bodies(app):
    """`app`, with a body read that timed out answered 408, and a body cut short 400, instead of a
    500 and a traceback."""

    def guarded(environ, start_response):
        try:
            return app(environ, start_response)
        except (BodyTimeout, BodyIncomplete) as exc:
            timed_out = isinstance(exc, BodyTimeout)
            log.warning("%s %s from %s: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                        environ.get("REMOTE_ADDR", "?"), "the body stopped arriving; 408" if timed_out
                        else "the body ended early; 400")
            status, body = ("408 Request Timeout", _REQUEST_TIMEOUT_BODY) if timed_out \
                else ("400 Bad Request", _INCOMPLETE_BODY)
            start_response(status, [("Content-Type", "text/plain"), ("Connection", "close"),
                                    ("Content-Length", str(len(body)))])
            return [body]

    return guarded


def raise_descriptor_limit(wanted: int) -> None:
    """Let the process hold `wanted` descriptors if its hard limit allows (say so if not)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if hard != resource.RLIM_INFINITY and hard < wanted:
        log.warning("the descriptor limit (%d) is below what the connection caps need (%d): raise it "
                    "(LimitNOFILE=) or lower http_max_connections", hard, wanted)


def http_server(host: str, port: int, app, log_name: str, limits: HttpLimits = HttpLimits()) -> WSGIServer:
    """How every HTTP server runs (benches/ceiling.py measures its ceiling on the same settings)."""
    raise_descriptor_limit(2 * limits.max_connections + 1024)  # two servers, plus the database and ESL
    handler = type("Handler", (LimitedHandler,), {"header_timeout": limits.header_timeout,
                                                  "body_timeout": limits.body_timeout})
    return WSGIServer((host, port), answering_slow_bodies(app), log=None, error_log=logging.getLogger(log_name),
                      handler_class=handler, spawn=Pool(limits.max_connections),
                      # Room for a burst of reconnects after many slow clients were cut off: a full listen
                      # queue drops SYNs and the client retries only after 1 s (TCP's initial RTO).
                      backlog=2048)
