"""How long the database may take, per greenlet: `deadline` for a request, `each_statement` for a call.

fs_plugins.dbpool reads `remaining()` before every statement (a statement still waiting when it is
0 raises DatabaseUnavailable) and `budget()` for PostgreSQL's statement_timeout and its messages.

The limits are kept in a dict keyed by the running greenlet (a thread's own greenlet when gevent is
not in use), set on entering a block and restored on leaving it, not in a greenlet-local object:
every xml_curl request runs in a new greenlet, and the first touch of a gevent `local` in a new
greenlet builds its dictionary (~2.6 µs, a tenth of a whole sip_auth answer, measured in-process).
"""
from __future__ import annotations

import time

from greenlet import getcurrent

# greenlet -> (at: monotonic time or None, budget: seconds or None, each: seconds or None),
# present only while the greenlet is inside deadline() or each_statement().
_limits: dict = {}
_uncapped: set = set()  # greenlets inside person_deadline()
_NONE = (None, None, None)


class deadline:
    """Every statement of the block must be answered within `seconds` of entering it (an enclosing
    deadline that ends sooner still holds). `begin`/`end` do the same without the object."""

    __slots__ = ("seconds", "_token")

    def __init__(self, seconds: float | None):
        self.seconds = seconds

    def __enter__(self) -> None:
        self._token = begin(self.seconds)

    def __exit__(self, *exc) -> None:
        end(self._token)


def begin(seconds: float | None) -> tuple:
    """Enter a deadline of `seconds` (as `with deadline(seconds)`); the token is for `end`. For the
    hottest path (every xml_curl request): no object to make, no `with` protocol to go through."""
    key = getcurrent()
    previous = _limits.get(key)
    at, budget, each = previous or _NONE
    mine = None if seconds is None else time.monotonic() + seconds
    if at is None:
        at, budget = mine, seconds
    elif mine is not None:
        at = min(at, mine)
    _limits[key] = (at, seconds if budget is None else budget, each)
    return key, previous


def end(token: tuple) -> None:
    """Leave the deadline `begin` entered (in a `finally`)."""
    _restore(*token)


class each_statement:
    """Every statement of the block (an ESL session: a whole call) must be answered within `seconds`."""

    __slots__ = ("seconds", "_key", "_previous")

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self) -> None:
        key = self._key = getcurrent()
        previous = self._previous = _limits.get(key)
        at, budget, _each = previous or _NONE
        _limits[key] = (at, budget, self.seconds)

    def __exit__(self, *exc) -> None:
        _restore(self._key, self._previous)


class person_deadline(deadline):
    """A person's request (the API, the portal): like `deadline`, but a statement may use all of
    `seconds` (PostgreSQL's statement timeout is not capped at the pool's statement_timeout_ms,
    which is FreeSWITCH's fast paths' budget), so waiting for another write's lock is no error."""

    __slots__ = ("_was_uncapped",)

    def __enter__(self) -> None:
        super().__enter__()
        key = self._token[0]
        self._was_uncapped = key in _uncapped
        _uncapped.add(key)

    def __exit__(self, *exc) -> None:
        if not self._was_uncapped:
            _uncapped.discard(self._token[0])
        super().__exit__(*exc)


def uncapped() -> bool:
    """Whether the running greenlet is inside a person_deadline."""
    return getcurrent() in _uncapped


def _restore(key, previous) -> None:
    if previous is None:
        _limits.pop(key, None)
    else:
        _limits[key] = previous


def remaining() -> float | None:
    """Seconds the next statement may take (None: no limit)."""
    limits = _limits.get(getcurrent())
    if limits is None:
        return None
    at, _budget, each = limits
    left = None if at is None else at - time.monotonic()
    return each if left is None else (left if each is None else min(each, left))


def budget() -> float:
    """The seconds a statement was given (for messages and PostgreSQL's statement_timeout)."""
    _at, given, each = _limits.get(getcurrent()) or _NONE
    return each or given or 0.0
