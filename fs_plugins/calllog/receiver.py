"""The WSGI app mod_json_cdr posts to (mounted at /cdr by `centralita serve`).

FreeSWITCH posts one leg per request: `POST /cdr?uuid=<channel uuid>`, `Content-Type:
application/json`, the CDR as the body (or `cdr=<url-encoded JSON>` with encode=true). Answers:

* 200 only after the leg is committed (a re-post of a stored leg is 200 too: idempotent); under
  `serve`, legs posted at the same moment are committed together (calllog/group_commit.py);
* 400 for a body we cannot file (logged with the reason, never with the body): FreeSWITCH then
  keeps it in its err-log-dir, where `centralita cdr sweep` finds it once fixed;
* 401 when `cdr_user`/`cdr_password` are set and the request's basic auth does not match;
* 405 / 404 / 411 / 413 for the wrong method, path, missing or oversized length;
* 503 when the database is unavailable or does not store the leg within `cdr_deadline`, 500 on any
  other failure: nothing was acknowledged, so mod_json_cdr retries, then writes the file into its
  err-log-dir, which `serve`'s sweeper imports once the database is back (a leg stored late is a
  duplicate there: legs are unique on their uuid).
"""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs

import peewee

from fs_plugins.calllog.group_commit import GroupCommit
from fs_plugins.calllog.parse import BadCdr, parse_body
from fs_plugins.calllog.store import store_leg
from fs_plugins.config import Config
from fs_plugins.dbpool import UNAVAILABLE, cooperative, deadline
from fs_plugins.httpauth import basic_auth
from fs_plugins.models.base import database

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024  # a CDR is ~10 KB; a leg with a huge app_log is still far below this
PATHS = ("", "/", "/cdr", "/cdr/")  # mounted at /cdr, or called with the full path
_UUID_ALONE = re.compile(r"uuid=([^&%+;]*)")  # the query mod_json_cdr sends, nothing to decode in it


def make_cdr_app(config: Config, db: peewee.Database | None = None):
    """A WSGI app filing mod_json_cdr posts into `db` (default: the database the models are bound to)."""
    auth = basic_auth(config.cdr_user, config.cdr_password)
    groups: dict[int, GroupCommit] = {}  # per database (the models' one is known only at request time)

    def store(target: peewee.Database, facts) -> None:
        if not cooperative(target):
            with deadline(config.cdr_deadline):
                store_leg(target, facts)
            return
        group = groups.get(id(target))
        if group is None:
            group = groups[id(target)] = GroupCommit(target, config.cdr_deadline)
        group.store(facts)

    def app(environ, start_response):
        if environ.get("PATH_INFO", "") not in PATHS:
            return _answer(start_response, "404 Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", [("Allow", "POST")])
        if auth is not None and not auth.matches(environ):
            return _answer(start_response, "401 Unauthorized", [("WWW-Authenticate", 'Basic realm="cdr"')])
        raw, problem = _read_body(environ)
        if problem:
            log.warning("CDR post from %s refused: %s", environ.get("REMOTE_ADDR", "?"), problem[4:])
            return _answer(start_response, problem)
        wanted = _uuid_asked(environ.get("QUERY_STRING", ""))
        try:
            facts = parse_body(raw, environ.get("CONTENT_TYPE", ""), wanted)
        except BadCdr as exc:
            log.warning("CDR post from %s (uuid=%s) rejected: %s", environ.get("REMOTE_ADDR", "?"), wanted, exc)
            return _answer(start_response, "400 Bad Request")
        try:
            store(db or database.obj, facts)
        except UNAVAILABLE as exc:  # down, or not in time: logged once per outage by fs_plugins.dbpool
            log.info("CDR leg %s not stored (%s): 503, FreeSWITCH retries or keeps the file", facts.uuid, exc)
            return _answer(start_response, "503 Service Unavailable", [("Retry-After", "1")])
        except Exception:  # a bug: do not acknowledge, FreeSWITCH keeps it
            log.exception("CDR leg %s could not be stored", facts.uuid)
            return _answer(start_response, "500 Internal Server Error")
        return _answer(start_response, "200 OK")

    return app




def _uuid_asked(query: str) -> str | None:
    """`uuid` of the query string (mod_json_cdr sends `uuid=<uuid>` alone: read without parse_qs)."""
    alone = _UUID_ALONE.fullmatch(query)  # one C call; testing each of "&%+;" in a generator cost ~40 bytecodes
    if alone:
        return alone.group(1) or None
    return parse_qs(query).get("uuid", [None])[0]


def _read_body(environ) -> tuple[bytes, str | None]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return b"", "400 Bad Request"
    if length < 0:
        return b"", "411 Length Required"
    if length > MAX_BODY:
        return b"", "413 Payload Too Large"
    raw = environ["wsgi.input"].read(length) if length else b""
    if len(raw) != length:
        return b"", "400 Bad Request"
    return raw, None


def _answer(start_response, status: str, headers: list | None = None):
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0"), *(headers or [])])
    return [b""]
