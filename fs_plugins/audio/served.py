"""Library audio for FreeSWITCH servers that do not share this disk: GET /media/audio/<signature>/<domain>/<file>.wav
(the URLs fs_plugins/mediaurls.py makes when `media_base_url` is set).

A signature that is not that file's, a file no library row of that tenant has (deleted, or never),
or a file missing on this machine: 404, the same answer for each. The answer may be kept for good
(a library file's name is never reused): mod_http_cache honours `Cache-Control: max-age`.
Without `media_base_url` nothing is served (404: no URL was handed out).
"""
from __future__ import annotations

import os
from email.utils import formatdate

from fs_plugins import mediaurls
from fs_plugins.deviceapps import TEXT, device_app, file_chunks, nothing_here
from fs_plugins.models import Tenant
from fs_plugins.models.audio import AudioFile

NOT_FOUND = ("404 Not Found", TEXT, b"no such file\n")


def make_audio_app(config, db=None):
    if not mediaurls.enabled(config):
        return nothing_here
    key = mediaurls.request_key(config)
    return device_app(config, db, lambda environ: handle(environ, key), "media audio")


def handle(environ, key: bytes) -> tuple[str, list, object]:
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return "405 Method Not Allowed", [("Allow", "GET, HEAD")] + TEXT, b"GET only\n"
    parsed = mediaurls.parse(environ.get("PATH_INFO", ""), mediaurls.AUDIO)
    if parsed is None:
        return NOT_FOUND
    given, domain, name = parsed
    if not mediaurls.signed(key, f"{mediaurls.AUDIO}/{domain}/{name}", given):
        return NOT_FOUND
    path = _library_file(domain, name)
    if path is None:
        return NOT_FOUND
    try:
        stat = os.stat(path)
    except OSError:
        return NOT_FOUND
    headers = [("Content-Type", "audio/wav"), ("Cache-Control", f"public, max-age={mediaurls.CACHE_SECONDS}"),
               ("ETag", f'"{name}"'), ("Last-Modified", formatdate(stat.st_mtime, usegmt=True))]
    if environ.get("HTTP_IF_NONE_MATCH") == f'"{name}"':
        return "304 Not Modified", headers, b""
    return "200 OK", headers, (file_chunks(path), stat.st_size)


def _library_file(domain: str, name: str) -> str | None:
    """The stored file of that tenant's library named `name` (<audio dir>/<domain>/<name>)."""
    suffix = f"/{domain}/{name}"
    for (path,) in (AudioFile.select(AudioFile.path).join(Tenant)
                    .where(Tenant.domain == domain, AudioFile.path.endswith(suffix)).tuples()):
        if path.endswith(suffix):  # LIKE's own wildcards (_) matched nothing more than this
            return path
    return None
