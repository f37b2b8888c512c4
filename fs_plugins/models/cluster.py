"""The machines Centralita runs with: FreeSWITCH media servers and Centralita nodes.

With no media server registered, the one event socket of the configuration is FreeSWITCH (the
one-machine default). Registered, every enabled media server gets each directory cache flush, so a
changed password or a removed user stops working on all of them at once, not after
`directory_cache_ms` on the ones nobody told. A node is a `centralita serve` process; its
heartbeat says it is alive (several nodes share one PostgreSQL).

Which members are on a call, whatever server and node the call is on: for each media server one
node holds its event feed (fs_plugins/cluster/feeds.py) and keeps that server's member channels
here; every node reads them (fs_plugins.groups.busy.TableBusy).
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
    # host[:port] Kamailio's dispatcher sends calls to: its SIP profile ("" : the event socket's host
    # at the port the dispatcher list is written with, right only when both listen on one address).
    sip_address = peewee.CharField(max_length=300, default="")
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Node(BaseModel):
    """A running `centralita serve`, as it announces itself every few seconds."""

    name = peewee.CharField(max_length=120, unique=True)
    address = peewee.CharField(max_length=300, default="")  # its ESL app, as FreeSWITCH reaches it
    started_at = peewee.DateTimeField(default=utcnow)
    heartbeat_at = peewee.DateTimeField(default=utcnow)


class MemberChannel(BaseModel):
    """A live channel of a user on one media server (its own call, or a leg ringing or talking to
    the user), as the node holding that server's event feed saw it."""

    server = peewee.CharField(max_length=63)  # MediaServer.name
    uuid = peewee.CharField(max_length=64)
    member = peewee.CharField(max_length=200, index=True)  # "ext@domain"
    answered_at = peewee.DoubleField(null=True)  # Unix time of CHANNEL_ANSWER (None: not answered)

    class Meta:
        primary_key = peewee.CompositeKey("server", "uuid")



class QueueEntry(BaseModel):
    """A caller waiting in an advanced group's line, on whichever node runs the call (several
    machines on PostgreSQL: fs_plugins/groups/store.py). The id is the order of arrival."""

    group_id = peewee.IntegerField(index=True)
    uuid = peewee.CharField(max_length=64)
    node = peewee.CharField(max_length=120)  # Node.name: a dead node's callers are purged
    waiting = peewee.BooleanField(default=True)  # False once a member answered (out of the line)
    joined_at = peewee.DateTimeField(default=utcnow)


class QueueOffer(BaseModel):
    """A member being offered a queued call (until that offer, or the conversation, ends): one at a
    time across every group, server and node, which the primary key holds."""

    member = peewee.CharField(max_length=200, primary_key=True)  # "ext@domain" or the external number's key
    group_id = peewee.IntegerField()
    entry_id = peewee.IntegerField(index=True)  # QueueEntry.id
    node = peewee.CharField(max_length=120)
    offered_at = peewee.DateTimeField(default=utcnow)


def add_member_channels(migrator, db) -> None:
    """the member_channel table: members' live channels per media server (busy state across nodes)"""
    db.create_tables([MemberChannel], safe=True)


def add_queue_tables(migrator, db) -> None:
    """queue_entry and queue_offer: advanced groups' lines and offers shared by every node"""
    db.create_tables([QueueEntry, QueueOffer], safe=True)


def add_sip_address(migrator, db) -> None:
    """media_server.sip_address: where Kamailio's dispatcher reaches each media server's SIP profile"""
    from playhouse.migrate import migrate

    migrate(migrator.add_column(MediaServer._meta.table_name, "sip_address", MediaServer.sip_address))


MODELS = (MediaServer, Node, MemberChannel, QueueEntry, QueueOffer)
# Upgrade steps, oldest first (fs_plugins.db): 1 -> 2 member_channel, 2 -> 3 the queue tables,
# 3 -> 4 media_server.sip_address.
MIGRATIONS: tuple = (add_member_channels, add_queue_tables, add_sip_address)
