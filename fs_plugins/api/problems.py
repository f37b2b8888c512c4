"""Every error the API answers is RFC 9457 problem+json, naming the field when a value was wrong.

    {"type": "urn:centralita:problem:invalid-input", "title": "Invalid input", "status": 422,
     "detail": "extension: '01' must be 2 to 6 digits, not starting with 0", "field": "extension",
     "errors": [{"field": "extension", "detail": "'01' must be 2 to 6 digits, not starting with 0"}],
     "instance": "/api/v1/tenants/acme.example.com/users"}

422 bad values, 409 a clash with what is stored, 404 anything missing *or outside the caller's
scope* (never 403 for scope, so nobody learns what another tenant has), 401 no or bad credentials,
403 good credentials of a suspended tenant (type urn:centralita:problem:tenant-suspended),
429 too many failed attempts, 412/428 for If-Match (fs_plugins.api.etags), 503 when an operation needs
FreeSWITCH (recording by phone, voicemail messages) and it cannot be reached, or when the database
did not answer within api_deadline (busy with other writes, or down): nothing was changed, and
Retry-After says when to try again.
"""
from __future__ import annotations

import logging
from http import HTTPStatus

from apiflask.exceptions import HTTPError
from apiflask.fields import Integer, List, Nested, String
from flask import Flask, request
from werkzeug.exceptions import HTTPException

from fs_plugins.access.logins import AuthFailed, TenantSuspended, Throttled
from fs_plugins.api.schema import Schema
from fs_plugins.audio.phone import FreeswitchUnreachable
from fs_plugins.dbpool import RETRY_AFTER_BUSY, database_busy
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.voicemail.messages import VoicemailUnavailable

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPES = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 412: "precondition-failed", 413: "too-large", 415: "unsupported-media-type",
    422: "invalid-input", 428: "precondition-required", 429: "too-many-attempts", 500: "server-error",
    503: "freeswitch-unavailable",
}
TITLES = {422: "Invalid input", 409: "Conflict", 404: "Not found", 401: "Authentication required",
          429: "Too many failed attempts", 412: "Changed since you read it", 428: "If-Match required",
          503: "FreeSWITCH unavailable"}


class FreeswitchMissing(Exception):
    """The operation needs FreeSWITCH and this server has none configured (503)."""


class FieldError(Schema):
    field = String(required=True)
    detail = String(required=True)


class Problem(Schema):
    type = String(required=True)
    title = String(required=True)
    status = Integer(required=True)
    detail = String()
    instance = String()
    field = String()
    errors = List(Nested(FieldError))


def problem(status: int, detail: str = "", errors: list[dict] | None = None, headers: dict | None = None,
            kind: str | None = None, title: str | None = None):
    body = {"type": f"urn:centralita:problem:{kind or TYPES.get(status, 'error')}",
            "title": title or TITLES.get(status) or _reason(status), "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
        body["field"] = errors[0]["field"]
    return body, status, {"Content-Type": MEDIA_TYPE, **(headers or {})}


def install(app: Flask) -> None:
    app.config["HTTP_ERROR_SCHEMA"] = Problem
    app.config["VALIDATION_ERROR_SCHEMA"] = Problem

    @app.error_processor
    def _apiflask_error(error: HTTPError):
        errors = _field_errors(error.detail) if error.status_code == 422 else None
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors) if errors else (error.message or "")
        return problem(error.status_code, detail, errors, dict(error.headers or {}))

    @app.errorhandler(InvalidInput)
    def _invalid(exc: InvalidInput):
        status = 409 if isinstance(exc, Conflict) else 422
        return problem(status, str(exc), [{"field": exc.field, "detail": exc.message}])

    @app.errorhandler(NotFound)
    def _missing(exc: NotFound):
        return problem(404, str(exc), [{"field": exc.field, "detail": exc.message}])

    @app.errorhandler(AuthFailed)
    def _unauthenticated(exc):
        return problem(401, "missing, wrong, expired or revoked credentials",
                       headers={"WWW-Authenticate": 'Bearer realm="centralita"'})

    @app.errorhandler(TenantSuspended)
    def _suspended(exc: TenantSuspended):
        body, status, headers = problem(403, f"{exc}: its API keys and logins are refused until the operator "
                                             "resumes it")
        body["type"], body["title"] = "urn:centralita:problem:tenant-suspended", "Tenant suspended"
        return body, status, headers

    @app.errorhandler(Throttled)
    def _throttled(exc: Throttled):
        return problem(429, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.errorhandler(FreeswitchMissing)
    @app.errorhandler(FreeswitchUnreachable)
    @app.errorhandler(VoicemailUnavailable)
    def _no_freeswitch(exc):
        return problem(503, f"FreeSWITCH could not be asked: {exc}", headers={"Retry-After": "60"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # raised outside APIFlask's own handling (e.g. 405 from routing)
            return problem(exc.code or 500, exc.description or "")
        if database_busy(exc):
            log.warning("API request %s %s answered 503: %s", request.method, request.path, exc)
            return problem(503, "the database did not answer in time (busy with other changes, or unavailable); "
                                "nothing was changed: try again", headers={"Retry-After": str(RETRY_AFTER_BUSY)},
                           kind="database-unavailable", title="Database unavailable")
        log.exception("API request %s %s failed", request.method, request.path)
        return problem(500, "the server failed; the change, if any, was not made")


def _field_errors(detail) -> list[dict]:
    """APIFlask/marshmallow's {"json": {"name": ["msg"]}} as [{"field": "name", "detail": "msg"}]."""
    found: list[dict] = []

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            for message in value if isinstance(value, list) else [value]:
                found.append({"field": prefix or "body", "detail": str(message)})

    for location in (detail or {}).values():
        walk("", location)
    return found


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
