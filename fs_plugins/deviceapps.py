"""The small WSGI apps the web server mounts for machines, not people (phonebooks, provisioning
files, audio for FreeSWITCH): each request gets the database for its duration and a clean 500
(the trace in the log) when its handler fails, so a phone or FreeSWITCH never sees a traceback.

A handler returns (status, headers, body); body is bytes, or (chunks, length) for a file sent as
it is read. HEAD answers the same headers with no body.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable

from fs_plugins import db as dbmod
from fs_plugins.models import database

log = logging.getLogger(__name__)
Body = bytes | tuple[Iterable[bytes], int]
Handler = Callable[[dict], tuple[str, list, Body]]
TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def device_app(config, db, handle: Handler, what: str):
    """The WSGI app running `handle`; it uses `db`, else the bound database, else opens config's database."""

    def app(environ, start_response):
        database_ = _database(config, db)
        opened = database_.connect(reuse_if_open=True)
        try:
            status, headers, body = handle(environ)
        except Exception:
            log.exception("%s request failed", what)
            status, headers, body = "500 Internal Server Error", TEXT, b"error\n"
        finally:
            if opened:
                database_.close()
        chunks, length = ([body], len(body)) if isinstance(body, bytes) else body
        start_response(status, headers + [("Content-Length", str(length))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else chunks

    return app


def file_chunks(path, size: int = 64 * 1024) -> Iterable[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def _database(config, db):
    if db is not None:
        return db
    if database.obj is None:
        dbmod.connect(config.effective_database_url)
    return database.obj
