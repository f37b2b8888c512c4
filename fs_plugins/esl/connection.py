"""One outbound event-socket connection: commands sent, their replies matched in order, events
handed to `on_event` as they are read.

It began as a subclass of greenswitch's OutboundSession and replaced, one by one, everything
that class does: greenswitch reads line by line and hands events to a second greenlet that polls
its queue every second (a session could not end faster than that), its `send` waits forever, a
connection that dies without a disconnect notice leaves its waiters blocked, and it reads the
body of the final disconnect notice as headers. What was left of it was set-up work for every
call (a file object over the socket, a queue, an event and handler lists no one read), so this is
now a class of its own:
  * one reader greenlet parses buffered frames (fs_plugins.esl.framing) and dispatches events
    directly;
  * every reply has a timeout (CommandTimeout);
  * EOF, a reset or a malformed frame fails every waiter with CallGone;
  * the body of the final disconnect notice (67 bytes) is consumed with its frame.
"""
from __future__ import annotations

import logging
import socket
from typing import Callable

import gevent
from gevent.event import AsyncResult

from fs_plugins.channel import CallGone, CommandTimeout
from fs_plugins.esl.framing import FrameBuffer, ProtocolError, parse_headers

log = logging.getLogger(__name__)

EventHandler = Callable[[dict], None]


class EslConnection:
    def __init__(self, sock, address=None, command_timeout: float = 30.0, on_event: EventHandler | None = None,
                 before_wait: Callable[[], None] | None = None):
        self.sock = sock
        self.address = address
        self.command_timeout = command_timeout
        self.before_wait = before_wait or (lambda: None)  # e.g. hand the database connection back
        self.on_event: EventHandler = on_event or (lambda headers: None)
        self.connected = True
        self.closed_reason = ""
        self._replies: list[AsyncResult] = []  # one per command sent, answered in order
        try:  # commands are small single writes; do not let Nagle hold them back
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._reader = gevent.spawn(self._read_loop)

    def send(self, data: str, timeout: float | None = None):
        """Send one command and return its reply frame (headers; `.data` = Reply-Text or body)."""
        if not self.connected:
            raise CallGone(reason=self.closed_reason or "connection closed")
        self.before_wait()
        waiter = AsyncResult()
        self._replies.append(waiter)
        try:
            self.sock.sendall((data + "\n\n").encode("utf-8"))
        except OSError as exc:
            self._lost(f"send failed: {exc}")
        try:
            return waiter.get(timeout=self.command_timeout if timeout is None else timeout)
        except gevent.Timeout:
            raise CommandTimeout(data.split("\n", 1)[0]) from None

    def connect(self) -> dict:
        """The first command of an outbound session: its reply carries the channel's data."""
        return self.send("connect").headers

    # -- reading -----------------------------------------------------------------------------
    def _read_loop(self):
        frames = FrameBuffer()
        reason = "connection closed by peer"
        try:
            while self.connected:
                data = self.sock.recv(65536)
                if not data:
                    break
                for headers, body in frames.feed(data):
                    self._dispatch(headers, body)
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            log.warning("ESL peer sent a malformed frame (%s); closing", exc)
        except OSError as exc:
            reason = f"connection error: {exc}"
        self._lost(reason)

    def _dispatch(self, headers: dict, body: bytes):
        kind = headers.get("Content-Type", "")
        if kind == "command/reply" or kind == "api/response":
            if not self._replies:
                raise ProtocolError(f"unsolicited {kind}")
            reply = _Reply(headers, headers.get("Reply-Text", "") if kind == "command/reply" else body.decode("utf-8", "replace"))
            self._replies.pop(0).set(reply)
        elif kind == "text/event-plain":
            event = parse_headers(body)
            if "Event-Name" not in event:
                raise ProtocolError("event without Event-Name")
            self.on_event(event)
        elif kind == "text/disconnect-notice":
            self.on_event({"Event-Name": "DISCONNECT", **headers})
        else:
            log.debug("ignoring ESL frame of type %r", kind)

    def abort(self, reason: str) -> None:
        """Drop the connection now (server shutdown); every waiting command gets CallGone."""
        self._lost(reason)

    def _lost(self, reason: str):
        if not self.connected and self.closed_reason:
            return
        self.connected = False
        self.closed_reason = reason
        pending, self._replies = self._replies, []
        for waiter in pending:
            waiter.set_exception(CallGone(reason=reason))
        try:
            self.on_event({"Event-Name": "CONNECTION_LOST", "Reason": reason})
        finally:
            self.sock.close()

    # -- ending ------------------------------------------------------------------------------
    def close(self, exit_timeout: float = 2.0):
        """Say `exit` if the peer is still there (FreeSWITCH then runs the next dialplan
        action, or finishes a hung-up channel), close, and wait for the reader to end."""
        if self.connected:
            try:
                self.send("exit", timeout=exit_timeout)
            except CallGone:
                pass
        self._lost("closed by us")
        reader = self._reader
        if reader is not gevent.getcurrent():
            reader.join(timeout=exit_timeout)
            if not reader.dead:
                reader.kill()


class _Reply:
    """A command's reply: `headers`, and `data` as greenswitch's ESLEvent has it (Reply-Text or body)."""

    __slots__ = ("headers", "data")

    def __init__(self, headers: dict, data: str):
        self.headers = headers
        self.data = data
