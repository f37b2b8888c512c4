"""Recordings uploaded by FreeSWITCH servers that do not share this disk:
PUT /media/recordings/<signature>/<tenant id>/<call uuid>.wav (the URL fs_plugins/mediaurls.py
puts in `record_session` when `media_base_url` is set; mod_http_cache PUTs the file when the
recording ends).

The file lands where FreeSWITCH would have written it (<recordings_dir>/<tenant id>/<uuid>.wav),
so the sweep files it against the call log as any other (sweep.py): a file naming a call that is
not in that tenant's call log is never filed. Refused: a signature that is not that tenant's
folder's, a name that is not a call's, an unknown tenant (404 each); no Content-Length (411);
more than MAX_BYTES (413); a recording of that call already there (409: never overwritten). The
file appears whole or not at all (written aside, then linked into place).
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fs_plugins import mediaurls
from fs_plugins.deviceapps import TEXT, device_app
from fs_plugins.models import Tenant
from fs_plugins.recording.rules import parse_file, recordings_dir

log = logging.getLogger(__name__)
MAX_BYTES = 1 << 30  # 1 GiB: some 9 hours of an 8 kHz stereo recording
CHUNK = 256 * 1024
NOT_FOUND = ("404 Not Found", TEXT, b"no such folder\n")


def make_upload_app(config, db=None):
    key, root = mediaurls.request_key(config), recordings_dir(config)
    return device_app(config, db, lambda environ: handle(environ, key, root), "media recordings")


def handle(environ, key: bytes, root: str) -> tuple[str, list, bytes]:
    if environ.get("REQUEST_METHOD") != "PUT":
        return "405 Method Not Allowed", [("Allow", "PUT")] + TEXT, b"PUT only\n"
    parsed = mediaurls.parse(environ.get("PATH_INFO", ""), mediaurls.RECORDINGS)
    if parsed is None:
        return NOT_FOUND
    given, folder, name = parsed
    stored_as = parse_file(f"{folder}/{name}")
    if (stored_as is None or not mediaurls.signed(key, f"{mediaurls.RECORDINGS}/{folder}", given)
            or Tenant.get_or_none(Tenant.id == stored_as[0]) is None):
        return NOT_FOUND
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return "411 Length Required", TEXT, b"Content-Length required\n"
    if length > MAX_BYTES or length < 0:
        return "413 Content Too Large", TEXT, f"at most {MAX_BYTES} bytes\n".encode()
    final = Path(root) / folder / name
    if final.exists():
        return "409 Conflict", TEXT, b"this call's recording is already stored\n"
    if not _store(environ["wsgi.input"], length, final):
        return "409 Conflict", TEXT, b"this call's recording is already stored\n"
    log.info("recording %s/%s uploaded (%d bytes)", folder, name, length)
    return "201 Created", TEXT, b"stored\n"


def _store(body, length: int, final: Path) -> bool:
    """Write `length` bytes of `body` beside `final`, then link it into place; False if `final` exists."""
    final.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    aside = final.with_name(f".{final.name}.{secrets.token_hex(8)}.part")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            left = length
            while left:
                chunk = body.read(min(CHUNK, left))
                if not chunk:
                    raise ConnectionError(f"the upload ended {left} bytes short")
                handle.write(chunk)
                left -= len(chunk)
        os.link(aside, final)  # refuses to replace: a second upload of the same call never wins
        return True
    except FileExistsError:
        return False
    finally:
        aside.unlink(missing_ok=True)
