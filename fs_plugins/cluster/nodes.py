"""Nodes announce themselves: `centralita serve` writes its row at start and beats every
BEAT_SECONDS; a node not heard from for DEAD_AFTER is taken as gone (`centralita node` says so).

The row is written outside any request (its own statement, no transaction held), and the node
table is not watched by xml_curl's lookup cache (xml_curl/pgchanges.py), so a beat never empties it.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket

import gevent
import peewee

from fs_plugins.dbpool import UNAVAILABLE
from fs_plugins.models import utcnow
from fs_plugins.models.cluster import Node

log = logging.getLogger(__name__)
BEAT_SECONDS = 5.0
DEAD_AFTER = dt.timedelta(seconds=3 * BEAT_SECONDS)


def now() -> dt.datetime:
    return utcnow()


def alive(heartbeat_at: dt.datetime, at: dt.datetime) -> bool:
    return at - heartbeat_at <= DEAD_AFTER


def default_name(esl_port: int) -> str:
    """This machine's name and the ESL port (two nodes on one machine differ by port; with a port
    the system picks, by process id)."""
    return f"{socket.gethostname()}:{esl_port or f'pid{os.getpid()}'}"


def beat(name: str, address: str, started: bool = False) -> None:
    """Write the node's heartbeat (and, at start, its start time and address)."""
    at = now()
    updates = {Node.heartbeat_at: at, **({Node.started_at: at, Node.address: address} if started else {})}
    written = Node.update(updates).where(Node.name == name).execute()
    if not written:
        Node.insert(name=name, address=address, started_at=at, heartbeat_at=at).on_conflict(
            conflict_target=[Node.name], update=updates).execute()


def run(name: str, address: str, release) -> None:
    """Beat until killed; `release` hands the connection back after each beat (serve's pool).
    A database that does not answer costs nothing but the beat (the pool logs the outage once)."""
    started = True
    while True:
        try:
            beat(name, address, started)
            started = False
        except UNAVAILABLE:
            pass
        except peewee.PeeweeException as exc:
            log.warning("node %s: heartbeat not written: %s", name, exc)
        finally:
            release()
        gevent.sleep(BEAT_SECONDS)
