"""What every resource module of the API shares: the application layer's context of the request (and
of a change checked under If-Match), field names, ETags, and how a destination is shown."""
from __future__ import annotations

import datetime as dt
import functools
import logging
from contextlib import contextmanager
from dataclasses import replace

from apiflask.fields import List, Nested, String
from flask import current_app, g, request

from fs_plugins import fsapi
from fs_plugins.access.principal import visitor
from fs_plugins.api.etags import etag_of, etag_of_text
from fs_plugins.api.guard import SAFE_METHODS
from fs_plugins.api.schema import Schema
from fs_plugins.application import AppContext, FreeswitchPort
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.fsapi import FlushReport
from fs_plugins.models import database

log = logging.getLogger(__name__)


def app_context() -> AppContext:
    """The application layer's context for this request: the caller's principal (API key or
    session; a visitor on a public operation), the configuration, and FreeSWITCH for the cache
    flushes a change needs. A read (GET) hands over the rows the guard read: the tenant of the URL
    (read to check the caller's scope) or else the caller's own, and the caller's user (read with
    the key or session), so its scope checks do not read them again (B6: one of the four statements
    of a user-list page, two of five of a /me read), as the portal's pages do; a change reads its
    own, inside its transaction."""
    config = current_app.config["CENTRALITA"]
    freeswitch: FreeswitchPort = fsapi.FreeswitchDirectory(config)  # the media servers, or the configured one
    held = g.get("after_commit")
    if held is not None:  # inside a conditional write's transaction (etags.conditional): flush after it
        freeswitch = _AfterCommit(freeswitch)
        held.append(freeswitch.send)
    principal = g.get("principal") or visitor(request.remote_addr or "")
    if request.method not in SAFE_METHODS:
        return AppContext(principal, config, freeswitch=freeswitch)
    return AppContext(principal, config, freeswitch=freeswitch, own_tenant=g.get("tenant") or g.get("own_tenant"),
                      own_user=g.get("own_user"))


class _AfterCommit:
    """Holds the users a change made stale until the request's transaction has committed."""

    def __init__(self, port: FreeswitchPort):
        self.port = port
        self.users: list[tuple[str, str]] = []
        self.events: list = []

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport:
        self.users += users
        return FlushReport(tuple(f"{extension}@{domain}" for extension, domain in users))

    def send_events(self, events) -> FlushReport:
        self.events += events  # presence told before the commit could show a state that is rolled back
        return FlushReport(tuple(event.label for event in events))

    def send(self) -> None:
        if self.users:
            for warning in self.port.flush_users(self.users).warnings:
                log.warning("%s", warning)
        if self.events:
            self.port.send_events(self.events)


@contextmanager
def checked_change():
    """An AppContext for a change made after a check in the same transaction (If-Match against
    the object as it is): the check, the change and its audit entry commit together, and FreeSWITCH
    is told once they have (told before, it could fetch and cache the old entry again)."""
    ctx = app_context()
    pending = _AfterCommit(ctx.freeswitch)
    with database.atomic():
        yield replace(ctx, freeswitch=pending)
    pending.send()  # within a conditional write, ctx.freeswitch holds it again until the outer commit


@contextmanager
def api_fields(names: dict[str, str]):
    """Report a lower layer's field name (a CLI option like new-extension) as the API calls it."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field in names:
            raise type(exc)(names[exc.field], exc.message) from None
        raise
    except NotFound as exc:
        if exc.field in names:
            raise NotFound(names[exc.field], exc.message) from None
        raise


@functools.cache
def schema_of(schema: type[Schema]) -> Schema:
    """One instance per schema class: dumping keeps no state, and building one (marshmallow copies
    every declared field) cost more CPU than the dump itself."""
    return schema()


def with_etag(schema: type[Schema] | Schema, value, status: int = 200, headers: dict | None = None):
    """A single object as the view answers it, with the ETag of exactly what is sent. `schema`: its
    class (built once), or an instance.

    When `schema` is the view's own output schema (@bp.output) the answer is made here from the
    dump the ETag was computed on, as APIFlask would make it; otherwise the value goes back to
    APIFlask, which dumps it again with the output schema (before, every single-object answer was
    dumped twice)."""
    dumper = schema_of(schema) if isinstance(schema, type) else schema
    dumped = dumper.dump(value)
    if schema is not _output_schema(request.endpoint) or current_app.config["BASE_RESPONSE_SCHEMA"]:
        return value, status, {"ETag": etag_of(dumped), **(headers or {})}
    # The body's text is the ETag's canonical text when orjson may write it (jsonout): written once.
    text = current_app.json.as_written(dumped)
    if text is None:
        etag, answer = etag_of(dumped), current_app.json.response(dumped)  # what APIFlask's output makes of it
    else:
        etag, answer = etag_of_text(text), current_app.response_class(f"{text}\n", mimetype=current_app.json.mimetype)
    answer.status_code = status
    answer.headers.update({"ETag": etag, **(headers or {})})
    return answer


_OUTPUTS: dict[str, type | None] = {}


def _output_schema(endpoint: str | None) -> type | None:
    """The class of the schema `endpoint`'s view declares with @bp.output when it dumps as an
    instance of that class made without options does (None: none, a dict, or options)."""
    if endpoint not in _OUTPUTS:
        view = current_app.view_functions.get(endpoint or "")
        declared = (getattr(view, "_spec", None) or {}).get("response", {}).get("schema")
        plain = (isinstance(declared, Schema) and declared.only is None and not declared.exclude
                 and not declared.many and not declared.partial)
        _OUTPUTS[endpoint] = type(declared) if plain else None
    return _OUTPUTS[endpoint]


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": List(Nested(item), required=True),
                             "next": String(required=True, allow_none=True)}, name=name)


def naive_utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A client's time (any offset) as the naive UTC the database keeps; InvalidInput(field) for a
    time the conversion cannot hold (year 1 or 9999 with an offset)."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise InvalidInput(field, f"{value.isoformat()} is out of range") from None
