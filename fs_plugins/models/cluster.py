"""The machines Centralita runs with: FreeSWITCH media servers and Centralita nodes.

With no media server registered, the one event socket of the configuration is FreeSWITCH (the
one-machine default). Registered, every enabled media server gets each directory cache flush, so a
changed password or a removed user stops working on all of them at once, not after
`directory_cache_ms` on the ones nobody told. A node is a `centralita serve` process; its
heartbeat says it is alive (several nodes share one PostgreSQL).
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow


class MediaServer(BaseModel):
    """A FreeSWITCH server: where its inbound event socket listens, and the password it asks."""

    name = peewee.CharField(max_length=63, unique=True)
    esl_host = peewee.CharField(max_length=253)
    esl_port = peewee.IntegerField(default=8021)
    # FreeSWITCH's event socket password: sent to authenticate, so kept as given (never shown or logged).
    esl_password = peewee.CharField(max_length=128)
    # host:port its dialplan's `socket` action reaches Centralita's ESL app at ("" when the default).
    socket_address = peewee.CharField(max_length=300, default="")
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Node(BaseModel):
    """A running `centralita serve`, as it announces itself every few seconds."""

    name = peewee.CharField(max_length=120, unique=True)
    address = peewee.CharField(max_length=300, default="")  # its ESL app, as FreeSWITCH reaches it
    started_at = peewee.DateTimeField(default=utcnow)
    heartbeat_at = peewee.DateTimeField(default=utcnow)


MODELS = (MediaServer, Node)
MIGRATIONS: tuple = ()
