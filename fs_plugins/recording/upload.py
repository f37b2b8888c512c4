"""Recordings uploaded by FreeSWITCH servers that do not share this disk:
PUT /media/recordings/<signature>/<expires>/<tenant id>/<call uuid>.wav (the URL fs_plugins/mediaurls.py
puts in `record_session` when `media_base_url` is set, signed for that one call until it expires;
mod_http_cache PUTs the file when the recording ends).

The file lands where FreeSWITCH would have written it (<recordings_dir>/<tenant id>/<uuid>.wav),
so the sweep files it against the call log as any other (sweep.py): a file naming a call that is
not in that tenant's call log is never filed. Refused: a path that is not a recording URL's, or an
unknown tenant (404); a signature that is not that call's, or an expired URL (403); no
Content-Length (411); more than MAX_BYTES (413); an empty body or one that is not a RIFF/WAVE
file (400); a body shorter than its Content-Length (400); a recording of that call already there
(409: never overwritten). The file appears whole or not at all (written aside, then linked into
place). The body is read before the database is opened, so a slow uploader holds no pooled
connection; without `media_base_url` nothing is served (404: no URL was handed out).
"""
from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from fs_plugins import mediaurls
from fs_plugins.deviceapps import TEXT, connection, device_app, nothing_here
from fs_plugins.models import Tenant
from fs_plugins.recording.rules import parse_file, recordings_dir

log = logging.getLogger(__name__)
MAX_BYTES = 1 << 30  # 1 GiB: some 9 hours of an 8 kHz stereo recording
CHUNK = 256 * 1024
WAV_HEAD = 12  # "RIFF", the chunk size, "WAVE"
NOT_FOUND = ("404 Not Found", TEXT, b"no such folder\n")
FORBIDDEN = ("403 Forbidden", TEXT, b"this URL is not signed for this call, or has expired\n")
EXISTS = ("409 Conflict", TEXT, b"this call's recording is already stored\n")


class BadBody(ValueError):
    """The body is not a recording (empty, not RIFF/WAVE) or ended before its Content-Length."""


def make_upload_app(config, db=None):
    if not mediaurls.enabled(config):
        return nothing_here
    key, root = mediaurls.request_key(config), recordings_dir(config)
    return device_app(config, db, lambda environ: handle(environ, key, root, lambda: connection(config, db)),
                      "media recordings", hold_database=False)


def handle(environ, key: bytes, root: str, connected) -> tuple[str, list, bytes]:
    """`connected()`: a context manager holding the database, entered only once the body is in."""
    if environ.get("REQUEST_METHOD") != "PUT":
        return "405 Method Not Allowed", [("Allow", "PUT")] + TEXT, b"PUT only\n"
    parsed = mediaurls.parse_recording(environ.get("PATH_INFO", ""))
    stored_as = parse_file(f"{parsed[2]}/{parsed[3]}") if parsed else None
    if stored_as is None:
        return NOT_FOUND
    given, expires, folder, name = parsed
    if (not mediaurls.signed(key, mediaurls.recording_resource(expires, folder, stored_as[1]), given)
            or expires <= time.time()):
        return FORBIDDEN
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return "411 Length Required", TEXT, b"Content-Length required\n"
    if length > MAX_BYTES or length < 0:
        return "413 Content Too Large", TEXT, f"at most {MAX_BYTES} bytes\n".encode()
    final = Path(root) / folder / name
    if final.exists():
        return EXISTS
    try:
        with _aside(environ["wsgi.input"], length, final) as written:
            with connected():
                if Tenant.get_or_none(Tenant.id == stored_as[0]) is None:
                    return NOT_FOUND
            if not _link(written, final):
                return EXISTS
    except BadBody as refused:
        return "400 Bad Request", TEXT, f"{refused}\n".encode()
    log.info("recording %s/%s uploaded (%d bytes)", folder, name, length)
    return "201 Created", TEXT, b"stored\n"


class _aside:
    """The body written to a hidden file beside `final` (removed on leaving); BadBody when it is
    not a whole WAV file."""

    def __init__(self, body, length: int, final: Path):
        self.body, self.length, self.final = body, length, final

    def __enter__(self) -> Path:
        if self.length < WAV_HEAD:
            raise BadBody("the body is not a WAV recording (empty or too short)")
        head = b""
        while len(head) < WAV_HEAD:  # the head may come in pieces
            head += self._read(WAV_HEAD - len(head))
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise BadBody("the body is not a WAV recording (no RIFF/WAVE header)")
        self.final.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        self.path = self.final.with_name(f".{self.final.name}.{secrets.token_hex(8)}.part")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(head)
                left = self.length - WAV_HEAD
                while left:
                    chunk = self._read(min(CHUNK, left))
                    handle.write(chunk)
                    left -= len(chunk)
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise
        return self.path

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)

    def _read(self, most: int) -> bytes:
        chunk = self.body.read(most)
        if not chunk:
            raise BadBody(f"the body ended before its Content-Length ({self.length} bytes)")
        return chunk


def _link(written: Path, final: Path) -> bool:
    """Put `written` in place as `final`; False if `final` exists (a second upload never wins)."""
    try:
        os.link(written, final)
        return True
    except FileExistsError:
        return False
