"""Waking waiting callers on every node when a member may have become free (issue 17 [14] item 3).

A caller of an advanced group waits hearing a melody chunk (5 s) between two looks at the shared
line. Without help a member freed on another node would wait for the end of the chunk; instead,
the store and the busy feed NOTIFY on CHANNEL, at commit, what changed:

  * `m:<member key>`: that member's offer was released or its call on a media server ended;
  * `g:<group id>`: the group's line moved (a caller was offered someone or left), so the
    caller behind may now be served;
  * `*`: anything may have changed (a busy-state rebuild).

News sent on behalf of a caller (its claim, release or leaving) begins with that caller's queue_entry
id, `e<id>|`: PostgreSQL delivers a notification to every listener, the sending node's too, and
the caller's own news must not wake the caller itself (it would look again at once at the member
it has just let go, and, being first in line, keep the news from the caller behind it that it is
for). Such news wakes the earliest of the other callers it concerns.

Every node keeps one connection LISTENing (as xml_curl/pgchanges.py does for cache flushes) and
wakes, per group, only its earliest waiting caller the news concerns: the rule "longest waiting
first" means nobody behind it could take the member anyway, and waking every caller for every
release would turn each freed member into a claim per waiting caller. The woken caller claims;
a success sends `g:<group>` and the next one looks. The melody chunk stays the safety net: a
notification lost while the connection is down costs at most one chunk.
"""
from __future__ import annotations

import contextlib
import logging
import weakref
from dataclasses import dataclass, field

import gevent
import gevent.event

log = logging.getLogger(__name__)

CHANNEL = "centralita_queue"
EVERYTHING = "*"
RETRY_SECONDS = 1.0
NOTIFY_SQL = f"SELECT pg_notify('{CHANNEL}', %s)"


def member_news(key: str) -> str:
    return f"m:{key}"


def sent_by(entry_id: int) -> str:
    """The beginning of news sent on behalf of the caller with this queue_entry id."""
    return f"e{int(entry_id)}|"


def sender_of(payload: str) -> tuple[int | None, str]:
    """(the sending caller's queue_entry id or None, the news itself)."""
    head, bar, news = payload.partition("|")
    if bar and head[:1] == "e" and head[1:].isdigit():
        return int(head[1:]), news
    return None, payload


def group_news(group_id: int) -> str:
    return f"g:{group_id}"


@dataclass(eq=False)
class Waiter:
    """One caller waiting for news: its group, place in line, and the members it could take."""

    group_id: int
    seq: int
    members: frozenset[str]
    woken: gevent.event.Event = field(default_factory=gevent.event.Event)
    listening: bool = True  # False while its call rings a member: news then is for the callers behind


def to_wake(waiters: list[Waiter], news: str, sender: int | None = None) -> list[Waiter]:
    """Which waiters a notification wakes: per group concerned, its earliest waiter other than
    the caller that sent it (`sender`, its queue_entry id)."""
    waiters = [waiter for waiter in waiters if waiter.listening and waiter.seq != sender]
    kind, _, value = news.partition(":")
    if news == EVERYTHING:
        concerned = waiters
    elif kind == "g" and value.lstrip("-").isdecimal():
        concerned = [waiter for waiter in waiters if waiter.group_id == int(value)]
    elif kind == "m":
        groups = {waiter.group_id for waiter in waiters if value in waiter.members}
        concerned = [waiter for waiter in waiters if waiter.group_id in groups]
    else:  # not ours: assume the worst
        concerned = waiters
    earliest: dict[int, Waiter] = {}
    for waiter in concerned:
        if waiter.group_id not in earliest or waiter.seq < earliest[waiter.group_id].seq:
            earliest[waiter.group_id] = waiter
    return list(earliest.values())


class Wakeups:
    """This node's listener: `wait` blocks a caller until news concerns it (or the timeout)."""

    def __init__(self, connect):
        """`connect()`: a new psycopg2 connection to the shared database."""
        self._connect_db = connect
        self._waiters: list[Waiter] = []
        self._greenlet: gevent.Greenlet | None = None
        self.listening = gevent.event.Event()

    @classmethod
    def of(cls, db) -> "Wakeups":
        import psycopg2

        return cls(lambda: psycopg2.connect(dbname=db.database, **db.connect_params))

    def start(self) -> "Wakeups":
        if self._greenlet is None:
            self._greenlet = gevent.spawn(_listen, weakref.ref(self))
        return self

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        self.listening.clear()

    @contextlib.contextmanager
    def watching(self, group_id: int, seq: int, members):
        """A Waiter registered for the block: register it before looking at the line, so news
        arriving during the look (a claim yields to other greenlets) wakes the wait after it."""
        waiter = Waiter(group_id, seq, frozenset(members))
        self._waiters.append(waiter)
        try:
            yield waiter
        finally:
            self._waiters.remove(waiter)

    def wait(self, group_id: int, seq: int, members, timeout: float) -> bool:
        """True when woken by news, False after `timeout` seconds."""
        with self.watching(group_id, seq, members) as waiter:
            return waiter.woken.wait(timeout)

    def heard(self, payloads) -> None:
        for payload in payloads:
            sender, news = sender_of(payload)
            for waiter in to_wake(self._waiters, news, sender):
                waiter.woken.set()

    def _connect(self):
        conn = self._connect_db()
        conn.set_session(autocommit=True)  # LISTEN outside a transaction: notifications arrive at once
        conn.cursor().execute(f"LISTEN {CHANNEL}")
        return conn


def _listen(ref) -> None:
    """Listen as long as the Wakeups object lives; reconnect after a failure (and then wake every
    group's first waiter: news may have been missed meanwhile)."""
    from gevent.select import select

    while (wakeups := ref()) is not None:
        conn = None
        try:
            conn = wakeups._connect()
            wakeups.listening.set()
            wakeups.heard([EVERYTHING])
            del wakeups  # only a weak reference while waiting
            while True:
                select([conn], [], [], 5.0)
                wakeups = ref()
                if wakeups is None:
                    return
                conn.poll()
                if conn.notifies:
                    payloads = [notify.payload for notify in conn.notifies]
                    conn.notifies.clear()
                    wakeups.heard(payloads)
                del wakeups
        except Exception as exc:  # the server went away: callers fall back on the melody chunk
            wakeups = ref()
            if wakeups is not None:
                if wakeups.listening.is_set():
                    log.warning("not listening for queue news (callers look again after each melody chunk): %s", exc)
                wakeups.listening.clear()
            del wakeups
            gevent.sleep(RETRY_SECONDS)
        finally:
            if conn is not None:
                conn.close()
