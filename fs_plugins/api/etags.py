"""ETag / If-Match: two admins editing the same object cannot overwrite each other silently.

Every single-object GET (and every write's answer) carries an ETag: a hash of the representation
the caller was shown. PATCH and PUT on an existing object *require* If-Match (428 without it;
`If-Match: *` says "overwrite whatever is there" on purpose), and answer 412 when the object changed
since that ETag was read. DELETE honours If-Match when sent, and does not require it (deleting
twice changes nothing). The check runs inside the write's transaction, after the row is read,
so a change between the check and the write is impossible.
"""
from __future__ import annotations

import hashlib
import json

from apiflask.exceptions import HTTPError
from flask import request


def etag_of(representation: dict) -> str:
    canonical = json.dumps(representation, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def check_if_match(current: dict, required: bool = True) -> None:
    """Raise 428/412 unless the request's If-Match names `current` (or is `*`)."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise HTTPError(428, "send If-Match with the ETag you read (or * to overwrite whatever is there)")
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return
    wanted = etag_of(current)
    if not any(tag.removeprefix("W/") == wanted for tag in tags):
        raise HTTPError(412, "changed since you read it: GET it again, check, and retry with the new ETag")
