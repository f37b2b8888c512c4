"""The waiting line of each advanced group, shared by every call session of this process.

All sessions run as greenlets of one gevent process, and nothing here yields, so every method is
atomic with respect to the others: that, not a lock, is what keeps the line consistent.

Rules kept here:
  * the longest-waiting caller is served first: a caller may take members only when every caller
    who joined before it is already ringing someone (callers never overtake a waiting caller);
  * a member is offered to one caller at a time (reserved until that offer ends), and never while
    the busy tracker says the member is on another call (FreeSWITCH's channel events, busy.py);
  * a caller leaves the line the moment a member answers (`connected`): positions and the size
    limit count only callers still waiting; the member stays reserved until the conversation ends.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterable


@dataclass(eq=False)
class Entry:
    uuid: str
    seq: int
    offering: tuple[str, ...] = ()  # member keys being rung for this caller right now
    offers: int = 0  # offers made so far (consecutive: members tried)
    cursor: int = 0  # consecutive: where the next offer starts in the member order
    callback: str = ""  # the number to call back, when the caller chose the queue callback


@dataclass
class GroupQueue:
    entries: list[Entry] = field(default_factory=list)
    reserved: dict[str, Entry] = field(default_factory=dict)
    history: list[tuple[str, str, str]] = field(default_factory=list)  # (event, caller, member), for tests
    keep_history: bool = False

    def join(self, uuid: str, seq: int, limit: int) -> Entry | None:
        if len(self.entries) >= limit:
            return None
        entry = Entry(uuid, seq)
        self.entries.append(entry)
        return entry

    def position(self, entry: Entry) -> int:
        """1 for the caller served next."""
        return self.entries.index(entry) + 1 if entry in self.entries else 0

    def connected(self, entry: Entry) -> None:
        """A member answered this caller: out of the line, the members it rang stay reserved."""
        if entry in self.entries:
            self.entries.remove(entry)

    def leave(self, entry: Entry) -> None:
        self.release(entry)
        if entry in self.entries:
            self.entries.remove(entry)

    def claim(self, entry: Entry, candidates: Iterable[str], want: int | None,
              busy: Callable[[str], bool]) -> tuple[str, ...]:
        """Reserve free members for this caller, in the candidates' order; () when it must wait."""
        if entry.offering or entry not in self.entries:
            return ()
        for earlier in self.entries:
            if earlier is entry:
                break
            if not earlier.offering:
                return ()  # someone has waited longer and is not being served yet
        taken = []
        for key in candidates:
            if key in self.reserved or busy(key) or key in taken:
                continue
            taken.append(key)
            if want is not None and len(taken) >= want:
                break
        for key in taken:
            self.reserved[key] = entry
            self._log("offer", entry, key)
        entry.offering = tuple(taken)
        return entry.offering

    def release(self, entry: Entry) -> None:
        for key in entry.offering:
            if self.reserved.get(key) is entry:
                del self.reserved[key]
                self._log("release", entry, key)
        entry.offering = ()

    def _log(self, event: str, entry: Entry, key: str) -> None:
        if self.keep_history:
            self.history.append((event, entry.uuid, key))


class Queues:
    """One GroupQueue per group id, created on first use; the arrival counter is process-wide."""

    def __init__(self, keep_history: bool = False):
        self._queues: dict[int, GroupQueue] = {}
        self._arrivals = itertools.count(1)
        self.keep_history = keep_history

    def of(self, group_id: int) -> GroupQueue:
        if group_id not in self._queues:
            self._queues[group_id] = GroupQueue(keep_history=self.keep_history)
        return self._queues[group_id]

    def next_seq(self) -> int:
        return next(self._arrivals)

    def lengths(self) -> dict[int, int]:
        """Callers in line per group id, for the metrics (groups whose line is empty included)."""
        return {group_id: len(queue.entries) for group_id, queue in self._queues.items()}
