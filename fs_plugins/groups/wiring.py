"""The production `group` flow: database loader and recorder, config, channel-event feed."""
from __future__ import annotations

import functools
import logging

import gevent.lock

from fs_plugins import metrics
from fs_plugins.audio import audio_resolver
from fs_plugins.cluster import nodes
from fs_plugins.cluster.wakeups import Wakeups
from fs_plugins.config import Config, load_config
from fs_plugins.fsapi import FreeswitchApi
from fs_plugins.groups.busy import Busy, BusyTracker, EventFeed
from fs_plugins.groups.callback import fs_originate
from fs_plugins.groups.flow import GroupServices, group_flow
from fs_plugins.groups.loader import load_group
from fs_plugins.groups.stats import write_record
from fs_plugins.groups.store import SharedQueues
from fs_plugins.models import database

log = logging.getLogger(__name__)


def production_flow(config: Config | None = None, simulated: bool = False):
    """The `group` flow for `centralita serve`; `simulated` (centralita simulate): emulated calls
    write no statistics and never reach FreeSWITCH (no event feed, no callback originate)."""
    config = config or load_config()
    if simulated:
        return group_flow(GroupServices(load=load_group, record=_discard, dial_template=config.outbound_dial_template))
    tracker = BusyTracker()
    feed = EventFeed(config, tracker)
    busy = Busy(tracker)  # with media servers on PostgreSQL: the table every node shares
    originate = fs_originate(lambda timeout, member_dial: _api_for(config, timeout, member_dial, busy))
    load = functools.partial(load_group, resolve=audio_resolver(config))  # the melody: a file, or its URL
    services = GroupServices(load=load, record=_record, dial_template=config.outbound_dial_template,
                             busy=busy, originate=originate if config.fs_event_socket_port else None)
    flow = group_flow(services)
    started, first_call = [], gevent.lock.Semaphore()

    def run(channel, info):
        if not started:
            with first_call:  # the first calls wait for the choice, so no caller joins a line left behind
                if not started:
                    _choose(config, services, busy, feed)
                    started.append(True)
        flow(channel, info)

    run.services = services
    return run


def _choose(config: Config, services: GroupServices, busy: Busy, feed: EventFeed) -> None:
    """At the first group call, not when the registry is built (commands and tests that never run a
    group open no connection to FreeSWITCH nor read the database): several machines (PostgreSQL
    with media servers) share the lines in the database, and the nodes holding the servers' feeds
    follow their events; else this process's lines and its own event feed, as on one machine. The
    choice holds until the process restarts."""
    if busy.shared_now():
        services.queues = SharedQueues(nodes.default_name(config.esl_port))
        services.wakeups = Wakeups.of(database).start()  # news of members freed on any node
        log.info("group queues: shared by every node (PostgreSQL, media servers registered)")
    elif config.fs_event_socket_port:
        feed.start()


def _api_for(config: Config, timeout: float, member_dial: str, busy: Busy) -> FreeswitchApi:
    """The configured FreeSWITCH on one machine; with several (the shared lines), the server
    cluster/originate.py routes the member's call to (where the phone is registered, else the first
    that answers)."""
    if not busy.shared_now():
        return FreeswitchApi(config, timeout=timeout)
    from fs_plugins.cluster import originate

    return originate.api_for(config, member_dial, timeout)


def _record(record) -> None:
    write_record(record)
    metrics.observe_group_call(record)


def _discard(record) -> None:
    log.info("simulated group call: %s after %.0f s%s", record.outcome, record.wait_seconds,
             f", answered by {record.member}" if record.member else "")
