"""The small WSGI apps the web server mounts for machines, not people (phonebooks, provisioning
files, audio for FreeSWITCH): each request gets the database for its duration and a clean 500
(the trace in the log) when its handler fails, so a phone or FreeSWITCH never sees a traceback.
A request body that stops arriving or ends early is not the handler's failure: BodyTimeout and
BodyIncomplete go on up to the server, which answers 408 and 400 (fs_plugins/httpserver.py).

A handler returns (status, headers, body); body is bytes, or (chunks, length) for a file sent as
it is read. HEAD answers the same headers with no body; a 304 carries no Content-Length (RFC 9110
§15.4.5: it would have to be the 200's, which the handler did not compute).

An app that reads a long body first (an upload) asks for no database (`hold_database=False`) and
opens it with `connection` only once the body is in: a slow uploader then pins no pooled connection.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterable

from fs_plugins import db as dbmod
from fs_plugins.httpserver import BodyIncomplete, BodyTimeout
from fs_plugins.models import database

log = logging.getLogger(__name__)
Body = bytes | tuple[Iterable[bytes], int]
Handler = Callable[[dict], tuple[str, list, Body]]
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
NOTHING_HERE = ("404 Not Found", TEXT, b"not found\n")


def device_app(config, db, handle: Handler, what: str, hold_database: bool = True):
    """The WSGI app running `handle`; it uses `db`, else the bound database, else opens config's
    database, for the whole request (`hold_database`), or when the handler asks (`connection`)."""

    def app(environ, start_response):
        try:
            if hold_database:
                with connection(config, db):
                    status, headers, body = handle(environ)
            else:
                status, headers, body = handle(environ)
        except (BodyTimeout, BodyIncomplete):
            raise  # the client's doing, answered 408 / 400 by the server (httpserver.answering_slow_bodies)
        except Exception:
            log.exception("%s request failed", what)
            status, headers, body = "500 Internal Server Error", TEXT, b"error\n"
        chunks, length = ([body], len(body)) if isinstance(body, bytes) else body
        if not status.startswith("304"):
            headers = headers + [("Content-Length", str(length))]
        start_response(status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else chunks

    return app


def nothing_here(environ, start_response):
    """The app of an endpoint this configuration does not serve: 404 to everything."""
    status, headers, body = NOTHING_HERE
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


@contextmanager
def connection(config, db):
    """The database, connected for the block (closed after unless it was open already)."""
    database_ = _database(config, db)
    opened = database_.connect(reuse_if_open=True)
    try:
        yield database_
    finally:
        if opened:
            database_.close()


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
