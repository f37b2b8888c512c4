"""The frozen values call-handling decisions work on (loaded by loader.py, decided by rules.py)."""
from __future__ import annotations

from dataclasses import dataclass

from fs_plugins.callhandling.numbers import DEFAULT_ALLOWED
from fs_plugins.destinations import Destination
from fs_plugins.callhandling.kinds import DEFAULT_NO_ANSWER_SECONDS


@dataclass(frozen=True)
class Settings:
    forward_always: Destination | None = None
    forward_no_answer: Destination | None = None
    no_answer_seconds: int = DEFAULT_NO_ANSWER_SECONDS
    forward_busy: Destination | None = None
    forward_not_registered: Destination | None = None
    dnd: bool = False
    dnd_mode: str = "busy"


@dataclass(frozen=True)
class RingLeg:
    """A simultaneous-ring entry. `extension` is set for a user of the same tenant (else None)."""

    destination: Destination
    delay: int = 0
    confirm: bool = False
    extension: str | None = None


@dataclass(frozen=True)
class UserCallData:
    settings: Settings = Settings()
    ring_legs: tuple[RingLeg, ...] = ()
    allowed: frozenset[str] = DEFAULT_ALLOWED  # what the user's forwards and legs may dial


@dataclass(frozen=True)
class OutboundData:
    allowed: frozenset[str] = DEFAULT_ALLOWED
    caller_id: str | None = None  # the DID presented: the user's own, else the tenant's first


def combine_allowed(tenant_row: frozenset[str] | None, user_row: frozenset[str] | None) -> frozenset[str]:
    """A user may call what both the tenant and the user allow. No tenant row: the defaults; no
    user row: whatever the tenant allows (a user row can only narrow the tenant's)."""
    tenant_allowed = DEFAULT_ALLOWED if tenant_row is None else tenant_row
    return tenant_allowed if user_row is None else tenant_allowed & user_row
