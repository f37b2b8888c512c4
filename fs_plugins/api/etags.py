"""ETag / If-Match: two admins editing the same object cannot overwrite each other silently.

Every single-object GET (and every write's answer) carries an ETag: a hash of the representation
the caller was shown. PATCH and PUT on an existing object *require* If-Match (428 without it;
`If-Match: *` says "overwrite whatever is there" on purpose), and answer 412 when the object changed
since that ETag was read. DELETE honours If-Match when sent, and does not require it (deleting
twice changes nothing).

Two writes sent at once with the same ETag must not both pass the check (each reads the object
before the other has written it). `conditional` makes every write that sends an ETag one
transaction that begins by taking a lock: on PostgreSQL a transaction-scoped advisory lock per
tenant, on SQLite `BEGIN IMMEDIATE` (its single writer lock). The second write waits for the first
to commit, then reads the changed object and answers 412. Writes without If-Match (or with `*`)
take no lock: they asked to overwrite whatever is there.
"""
from __future__ import annotations

import functools
import hashlib
import json
import zlib
from contextlib import contextmanager
from typing import Callable

import peewee
from apiflask.exceptions import HTTPError
from flask import g, request

from fs_plugins.models import database

CONDITIONAL_METHODS = {"PATCH", "PUT", "DELETE"}
# pg_advisory_xact_lock(key1, key2)'s first key for these locks: the two-key space never meets the
# one-key locks (schema upgrades) nor other programs' keys unless they chose the same constant.
LOCK_CLASS = 0x43455447  # "CETG"


def etag_of(representation: dict) -> str:
    return etag_of_text(json.dumps(representation, sort_keys=True, default=str, separators=(",", ":")))


def etag_of_text(canonical: str) -> str:
    """The ETag of a representation written as etag_of writes it (jsonout.same_as_json's text is)."""
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def check_if_match(current: dict | Callable[[], dict], required: bool = True) -> None:
    """Raise 428/412 unless the request's If-Match names `current` (or is `*`). `current` may be a
    function giving it, called only when there is an ETag to compare it with."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            if callable(current):
                current()  # read first: an object that does not exist answers 404 (its read raises), not 428
            raise HTTPError(428, "send If-Match with the ETag you read (or * to overwrite whatever is there)")
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return
    wanted = etag_of(current() if callable(current) else current)
    if not any(tag.removeprefix("W/") == wanted for tag in tags):
        raise HTTPError(412, "changed since you read it: GET it again, check, and retry with the new ETag")


def conditional(view):
    """Wrap a view so that a write sending an ETag in If-Match runs serialized (see the module)."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        tags = request.headers.get("If-Match")
        if request.method not in CONDITIONAL_METHODS or tags is None or tags.strip() == "*":
            return view(*args, **kwargs)
        g.after_commit = []  # FreeSWITCH flushes the view's changes asked for: sent once committed
        try:
            with serialized(_scope()):
                answer = view(*args, **kwargs)
        finally:
            held = g.pop("after_commit")
        for send in held:  # told before the commit, FreeSWITCH could fetch and cache the old entry again
            send()
        return answer

    return run


@contextmanager
def serialized(scope: str):
    """One transaction holding the write lock of `scope` from its first statement."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        with database.atomic("IMMEDIATE"):  # nested in a caller's transaction: a savepoint, already serial
            yield
        return
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, _key(scope)))
        yield


def _scope() -> str:
    """The tenant a write is about (the URL's, else the caller's own); operator-wide objects share one."""
    domain = (request.view_args or {}).get("domain")
    if domain is None and g.get("principal") is not None:
        domain = g.principal.tenant_domain
    return (domain or "").strip().lower()


def _key(scope: str) -> int:
    """A signed 32-bit key, the same in every process (Python's hash() is salted per process)."""
    return zlib.crc32(scope.encode()) - (1 << 31)
