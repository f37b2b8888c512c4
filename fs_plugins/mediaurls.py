"""Audio over HTTP, for FreeSWITCH servers that do not share Centralita's disk ([14] item 5).

With `media_base_url` set (the address FreeSWITCH servers reach Centralita's web server at), a
library file is played as `http_cache://<base>/media/audio/<signature>/<domain>/<file>.wav` and a
call is recorded to `http_cache://<base>/media/recordings/<signature>/<tenant id>/${uuid}.wav`.
mod_http_cache (checked in src/mod/applications/mod_http_cache/mod_http_cache.c) fetches the first
with a GET and keeps it for the answer's `Cache-Control: max-age`; for the second it records into
a local file and PUTs it to the URL when the recording ends (`http_file_close` → `http_put`).

No credentials travel: FreeSWITCH logs the paths it plays and records, so each URL carries its own
signature instead, an HMAC of exactly what it names (one library file; one tenant's recordings
folder), keyed from the /cdr password FreeSWITCH and Centralita already share. A leaked URL
reaches that one file, or lets one write a recording for that tenant — which is filed only against
a call in that tenant's call log, and never over an existing one. A library file's name is random
and never reused (fs_plugins/audio/library.py), so its URL may be cached for good.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from fs_plugins.errors import InvalidInput

PREFIX = "/media"
AUDIO, RECORDINGS = "audio", "recordings"
CACHE_SECONDS = 365 * 24 * 3600  # a library file's URL names content that never changes
# http(s)://host[:port][/path]: it goes into dialplan and ESL arguments, so nothing FreeSWITCH would
# read specially there (spaces, `$`, `{`, `::`, quotes, `,`, `|`…).
_BASE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?\Z")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]{1,255}\Z")


def check_base_url(value: str) -> str:
    """The configured base URL without its trailing slash ("" when unset); InvalidInput names the setting."""
    value = (value or "").strip()
    if value and not _BASE.fullmatch(value):
        raise InvalidInput("media_base_url", f"{value!r}: an http(s)://host[:port][/path] URL FreeSWITCH reaches "
                                             "Centralita's web server at (letters, digits and . _ ~ / - only)")
    return value.rstrip("/")


def key_from(secret: str) -> bytes:
    """The signing key, derived from a secret FreeSWITCH's side already has (never the secret itself)."""
    return hmac.new(secret.encode(), b"centralita media urls", hashlib.sha256).digest()


def signature(key: bytes, resource: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, resource.encode(), hashlib.sha256).digest()[:18]).decode()


def signed(key: bytes, resource: str, given: str) -> bool:
    return hmac.compare_digest(signature(key, resource), given)


def audio_url(base: str, key: bytes, domain: str, file_name: str) -> str:
    resource = f"{AUDIO}/{domain}/{file_name}"
    return f"http_cache://{base}{PREFIX}/{AUDIO}/{signature(key, resource)}/{domain}/{file_name}"


def recording_url(base: str, key: bytes, tenant_id: int) -> str:
    """Where FreeSWITCH uploads a call's recording; `${uuid}` is the one expansion in it (the A leg's uuid)."""
    resource = f"{RECORDINGS}/{tenant_id}"
    return f"http_cache://{base}{PREFIX}/{RECORDINGS}/{signature(key, resource)}/{tenant_id}/${{uuid}}.wav"


def parse(path: str, kind: str) -> tuple[str, str, str] | None:
    """(signature, folder, file) of `/media/<kind>/<signature>/<folder>/<file>`, or None."""
    parts = path.split("/")
    if len(parts) != 6 or parts[:3] != ["", PREFIX.strip("/"), kind]:
        return None
    given, folder, name = parts[3:]
    if not all(_SEGMENT.fullmatch(part) for part in (given, folder, name)) or folder.startswith("."):
        return None
    return given, folder, name


class Media:
    """The URLs of one configuration (built once per process: the key comes from the credentials file)."""

    def __init__(self, base: str, key: bytes):
        self.base, self.key = base, key

    def audio(self, domain: str, file_name: str) -> str:
        return audio_url(self.base, self.key, domain, file_name)

    def recording(self, tenant_id: int) -> str:
        return recording_url(self.base, self.key, tenant_id)


def from_config(config) -> Media | None:
    """None when `media_base_url` is unset: FreeSWITCH reads Centralita's files from disk."""
    base = check_base_url(config.media_base_url)
    if not base:
        return None
    from fs_plugins import credentials  # the credentials file is read (or made) only when audio goes over HTTP

    return Media(base, key_from(credentials.current(config).cdr_password))


def request_key(config) -> bytes:
    """The key a /media request is checked with (the same derivation as `from_config`)."""
    from fs_plugins import credentials

    return key_from(credentials.current(config).cdr_password)
