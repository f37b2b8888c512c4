"""The frozen values group decisions work on (loaded by loader.py, decided by rules.py)."""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins.callhandling.numbers import DEFAULT_ALLOWED
from fs_plugins.destinations import Destination
from fs_plugins.schedule.rules import Schedule


@dataclass(frozen=True)
class Member:
    """One member as a call sees it. `key` names it in the queue and the busy tracker.

    A user member carries its own call handling: `dnd`, and `forward` (its forward-always target,
    with `forward_extension` when that target is a user of the same tenant) plus `allowed` (what
    the user may dial, for an external forward). An external member is `number` in E.164.
    """

    key: str  # "<extension>@<domain>" for a user, the E.164 number for an external member
    user_id: int | None = None
    extension: str | None = None
    number: str | None = None
    dnd: bool = False
    forward: Destination | None = None
    forward_extension: str | None = None
    allowed: frozenset[str] = DEFAULT_ALLOWED
    paused: bool = False  # logged out of the groups' calls (feature code *51)


@dataclass(frozen=True)
class Group:
    id: int
    tenant_id: int
    domain: str
    country: str
    name: str
    kind: str
    ring_mode: str
    member_seconds: int
    total_seconds: int
    members: tuple[Member, ...] = ()
    no_answer: Destination | None = None
    opening: str = "open"
    schedule: Schedule | None = None
    closed_destination: Destination | None = None
    melody: str = "ringback"
    melody_path: str | None = None  # melody "audio": the file to play (None: it is gone, ringback)
    melody_seconds: float = 0.0
    queue_size: int = 10
    max_wait: int = 300
    overflow: Destination | None = None
    announce_every: int = 60
    rounds: int = 1
    callback_key: str = ""
    service_level_seconds: int = 20
    allowed: frozenset[str] = DEFAULT_ALLOWED  # the tenant's outbound restrictions (queue callbacks)

    @property
    def advanced(self) -> bool:
        return self.kind == "advanced"


@dataclass(frozen=True)
class Leg:
    """One phone to ring for a member: the dial string (built here, never typed) and whose it is."""

    member: str  # Member.key
    dial: str
