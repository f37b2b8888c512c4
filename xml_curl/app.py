"""The WSGI app mod_xml_curl posts to: parse the form, dispatch by section, answer XML.

Whatever happens, FreeSWITCH gets a document: a miss, a malformed request or a bug in a route is
logged and answered `not found` (for the dialplan, a hang-up) — never a 5xx, never an empty body.
The answer comes within `answer_deadline` (1.5 s, below mod_xml_curl's 5 s timeout) even when the
database hangs: `not found` for the directory (the phone is asked again at its next attempt), and
for the dialplan a hang-up with NORMAL_TEMPORARY_FAILURE (Q.850 41: try again later; the carrier
or the phone may retry), the same answer as a failed route.
"""
from __future__ import annotations

import functools
import logging
import time
from hmac import compare_digest

from fs_plugins.config import Config
from fs_plugins import deadlines
from fs_plugins.dbpool import UNAVAILABLE
from fs_plugins.httpauth import basic_auth
from fs_plugins.metrics import XML_CURL_BODY, XML_CURL_FIELDS
from xml_curl import directory, documents, plans
from fs_plugins.actions import hangup
from xml_curl.dialplan import Router, answer_key, answered_context, call_request, routing_key
from xml_curl.form import Form, NotUtf8
from xml_curl.lookups import Lookups

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # the largest recorded dialplan form is ~8 KB
XML_HEADERS = [("Content-Type", "text/xml")]
# Of answer_deadline, what the database may not use: building and sending the answer (well under 1 ms
# on its own, but the process may be busy with other requests when the database gives up).
ANSWER_MARGIN = 0.1


def make_app(config: Config, db, router: Router | None = None):
    """Build the handler over an open, bound database."""
    lookups = Lookups(db)
    if router is None:
        router = plans.make_router(lookups, config)
    auth = basic_auth(config.xml_curl_user, config.xml_curl_password)
    # What FreeSWITCH sends on every request, compared here without BasicAuth.matches' call; any
    # other spelling is decoded by its fallback, which does not compare the whole header again.
    header = auth.header if auth is not None else b""
    reading = functools.partial(_reading, lookups, config)

    def app(environ, start_response):
        if auth is not None and not (
                compare_digest(environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace"), header)
                or auth.decoded(environ)):
            environ["centralita.result"] = "unauthorized"  # fs_plugins.metrics
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="centralita"')] + XML_HEADERS)
            return [documents.NOT_FOUND]
        body = _answer(environ, lookups, router, config, reading)
        start_response("200 OK", _HEADERS.get(len(body)) or _headers(len(body)))
        return [body]

    return app


# The answer's headers by its length, made once: answers are the same few documents again and
# again. (pywsgi copies the list it is given.)
_HEADERS: dict[int, list[tuple[str, str]]] = {}


def _headers(length: int) -> list[tuple[str, str]]:
    headers = XML_HEADERS + [("Content-Length", str(length))]
    if len(_HEADERS) < 4096:
        _HEADERS[length] = headers
    return headers


def _answer(environ, lookups: Lookups, router: Router, config: Config, reading) -> bytes:
    """`reading`: _reading over these lookups and config."""
    try:
        fields = environ[XML_CURL_FIELDS] = _form(environ)  # left for the metrics' labels
        section = fields.get("section", "")
    except ValueError as exc:  # NotUtf8 too
        log.warning("malformed xml_curl request: %s", exc)
        return documents.NOT_FOUND
    try:
        if section == "dialplan":
            return _dialplan(fields, lookups, router, config)
        if section == "directory":
            return directory.answer(fields, lookups, config, reading)
    except NotUtf8 as exc:  # a field read on the way (xml_curl/form.py): refused as above, not an error
        log.warning("malformed xml_curl request: %s", exc)
        return documents.NOT_FOUND
    except Exception as exc:  # a bug or a database that does not answer in time: FreeSWITCH still gets one
        environ["centralita.result"] = "deadline" if isinstance(exc, UNAVAILABLE) else "error"  # fs_plugins.metrics
        if isinstance(exc, UNAVAILABLE):  # logged once per outage by fs_plugins.dbpool, not per request
            log.debug("xml_curl %s request answered without the database: %s", section, exc)
        else:
            log.exception("xml_curl %s request failed", section or "unknown")
        if section == "dialplan":  # the asked context is not echoed unchecked (it may be what failed)
            try:
                context = answered_context(fields.get("Hunt-Context") or fields.get("Caller-Context") or "")
            except NotUtf8:  # never read before the failure: not echoed either
                context = answered_context("")
            return documents.dialplan(context, "error", [hangup("NORMAL_TEMPORARY_FAILURE").as_tuple()])
        return documents.NOT_FOUND
    log.info("xml_curl: no answer for section %r", section)
    return documents.NOT_FOUND


def _reading(lookups: Lookups, config: Config, answer, *args) -> bytes:
    """answer(*args) as a request that may read the database: within the answer's deadline, with
    the kept rows of the database as it is now (begin/end: dropped first if it changed)."""
    limit = deadlines.begin(max(config.answer_deadline - ANSWER_MARGIN, 0.05))  # `with deadline`, cheaper
    try:
        lookups.cache.begin()
        try:
            return answer(*args)
        finally:
            lookups.cache.end()
    finally:
        deadlines.end(limit)


def _dialplan(fields: Form, lookups: Lookups, router: Router, config: Config) -> bytes:
    """The document, kept until the database changes: a busy hour routes the same calls again and
    again (a warning logged while routing is then logged once). A DID's is kept per number. A kept
    one is found without entering a deadline or a request of the cache: nothing reads the database,
    and the fields routing reads are decoded only when it routes (dialplan.answer_key)."""
    key = ("dialplan", answer_key(fields))
    document = lookups.cache.kept(key)
    if document is None:
        document = _reading(lookups, config, lookups.cache.answer, key, lambda: _dialplan_document(
            router, call_request(routing_key(fields), fields.get("Unique-ID", ""))))
    if router.per_call:  # this call's own signed recording URL
        return router.for_call(document, fields.get("Unique-ID", ""), time.time())
    return document


def _dialplan_document(router: Router, request) -> tuple[bytes, int | None]:
    """The document and the one tenant whose rows alone it was read from (Route.tenant_id)."""
    route = router.route(request)
    return documents.dialplan(route.context, route.name, [a.as_tuple() for a in route.actions]), route.tenant_id


def _form(environ) -> Form:
    if environ.get("REQUEST_METHOD") != "POST":
        raise ValueError(f"method {environ.get('REQUEST_METHOD')} (mod_xml_curl always POSTs)")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ValueError("bad Content-Length") from None
    if length <= 0 or length > MAX_BODY:
        raise ValueError(f"body of {length} bytes")
    raw = environ[XML_CURL_BODY] = environ["wsgi.input"].read(length)
    return Form(raw)  # not decoded: a field that is not UTF-8 raises NotUtf8 when read
