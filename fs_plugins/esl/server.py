"""The outbound event-socket server: FreeSWITCH's `socket` app connects here, one greenlet per call.

    server = EslServer(config, plugins.installed().flow_registry(FlowWiring(config)))
    server.start()          # non-blocking; server.address is (host, port)
    ...
    server.stop()

Connections are accepted by gevent's StreamServer (greenswitch's own server polls its listening
socket every 100 ms). Over `esl_max_sessions` a connection is closed at once: the `socket` app
then fails and FreeSWITCH runs the dialplan's next (fallback) action. An unknown flow or object
is logged and handed back the same way, by ending the session with `exit` before answering.
"""
from __future__ import annotations

import logging
from typing import Callable

import gevent
from gevent.server import StreamServer

from fs_plugins import channel_vars
from fs_plugins.channel import CallGone, SessionInfo
from fs_plugins.config import Config
from fs_plugins.dbpool import UNAVAILABLE, each_statement
from fs_plugins.errors import NotFound
from fs_plugins.esl.adapter import EslChannel
from fs_plugins.esl.connection import EslConnection
from fs_plugins.esl.flows import FlowRegistry

log = logging.getLogger(__name__)


class EslServer:
    def __init__(self, config: Config, registry: FlowRegistry, release_database: Callable[..., None] | None = None):
        self.config = config
        # serve's pooled database: a session hands its connection back whenever it waits for FreeSWITCH.
        self.release_database = release_database or (lambda **_: None)
        self.registry = registry
        self.max_sessions = config.esl_max_sessions
        self.command_timeout = config.esl_command_timeout
        self.active = 0
        self.refused = 0
        self.address: tuple[str, int] | None = None
        self._server: StreamServer | None = None
        self._connections: set[EslConnection] = set()

    def start(self) -> None:
        self._server = StreamServer((self.config.esl_host, self.config.esl_port), self._handle, backlog=1024)
        self._server.start()
        self.address = self._server.address[:2]
        log.info("ESL server listening on %s:%s (max %d sessions)", *self.address, self.max_sessions)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, end every live session (FreeSWITCH continues their dialplans)."""
        if self._server is None:
            return
        self._server.close()
        for conn in list(self._connections):
            conn.abort("server stopping")
        self._server.stop(timeout=timeout)
        self._server = None

    def _handle(self, sock, address) -> None:
        if self.active >= self.max_sessions:
            self.refused += 1
            log.warning("ESL session refused: %d sessions active (max %d)", self.active, self.max_sessions)
            sock.close()
            return
        self.active += 1
        try:
            self.run_session(sock, address)
        finally:
            self.active -= 1

    def run_session(self, sock, address) -> None:
        conn = EslConnection(sock, address, command_timeout=self.command_timeout,
                             before_wait=lambda: self.release_database(idle_only=True))
        self._connections.add(conn)
        info = None
        try:
            info = session_info(conn.connect())
            conn.send("myevents")
            conn.send("linger")
            flow = self.registry.get(info.flow)
            # A statement that does not answer within the deadline ends the session: before the flow
            # answered, FreeSWITCH goes on with the dialplan's fallback, as for a missing object.
            with each_statement(self.config.answer_deadline):
                flow(EslChannel(conn, info, self.command_timeout), info)
        except CallGone as gone:
            log.info("call %s ended: %s", info.uuid if info else "?", gone)
        except NotFound as exc:
            log.warning("call %s handed back to the dialplan: %s", info.uuid if info else "?", exc)
        except UNAVAILABLE as exc:  # the outage itself is logged once by the database
            log.info("call %s handed back to the dialplan: database unavailable (%s)", info.uuid if info else "?", exc)
        except gevent.GreenletExit:
            raise
        except Exception:
            log.exception("flow %r failed on call %s; handing it back", info and info.flow, info and info.uuid)
        finally:
            self._connections.discard(conn)
            self.release_database()
            conn.close(exit_timeout=min(2.0, self.command_timeout))


def session_info(data: dict) -> SessionInfo:
    variables = {k[9:]: v for k, v in data.items() if k.startswith("variable_")}
    return SessionInfo(
        uuid=data.get("Unique-ID") or variables.get("uuid", ""),
        tenant=variables.get(channel_vars.TENANT, ""),
        flow=variables.get(channel_vars.FLOW, ""),
        flow_object=variables.get(channel_vars.FLOW_OBJECT, ""),
        caller_number=data.get("Caller-Caller-ID-Number", ""),
        caller_name=data.get("Caller-Caller-ID-Name", ""),
        destination=data.get("Caller-Destination-Number", ""),
        variables=variables,
    )
