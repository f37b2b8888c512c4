"""Audio over HTTP, for FreeSWITCH servers that do not share Centralita's disk ([14] item 5).

With `media_base_url` set (the address FreeSWITCH servers reach Centralita's web server at), a
library file is played as `http_cache://<base>/media/audio/<signature>/<domain>/<file>.wav` and a
call is recorded to `http_cache://<base>/media/recordings/<signature>/<expires>/<tenant id>/<call
uuid>.wav`. mod_http_cache (checked in src/mod/applications/mod_http_cache/mod_http_cache.c)
fetches the first with a GET and keeps it for the answer's `Cache-Control: max-age`; for the second
it records into a local file named after the URL's extension and PUTs it, unchanged URL, when the
recording ends (`http_file_close` → `http_put`; an empty recording is never PUT). Everything is in
the path, none in a query string: older mod_http_cache took a query string for part of the extension.

No credentials travel: FreeSWITCH logs the paths it plays and records, so each URL carries its own
signature instead, an HMAC of exactly what it names, keyed from the /cdr password FreeSWITCH and
Centralita already share. A library file's URL reaches that one file; its name is random and never
reused (fs_plugins/audio/library.py), so the URL may be cached for good. A recording's URL names
one call (its uuid) of one tenant and an expiry (MAX_CALL_SECONDS after the dialplan asked for it),
all under the HMAC: a leaked one lets one write that call's recording, once (never over an existing
one), until it expires, and nothing else. The dialplan answer is cached per route, not per call, so
it holds a placeholder the xml_curl handler fills with each call's URL (`fill_recordings`).

Without `media_base_url` FreeSWITCH reads and writes Centralita's folders itself, and the /media
endpoints answer 404 to everything (`enabled`): no URL was handed out, so there is nothing to serve.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from fs_plugins.errors import InvalidInput

PREFIX = "/media"
AUDIO, RECORDINGS = "audio", "recordings"
CACHE_SECONDS = 365 * 24 * 3600  # a library file's URL names content that never changes
# How long a recording's URL stays good: the longest call we expect, since the upload comes when
# the recording (the call) ends.
MAX_CALL_SECONDS = 24 * 3600
# http(s)://host[:port][/path]: it goes into dialplan and ESL arguments, so nothing FreeSWITCH would
# read specially there (spaces, `$`, `{`, `::`, quotes, `,`, `|`…).
_BASE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?\Z")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]{1,255}\Z")
_EXPIRES = re.compile(r"[1-9][0-9]{0,11}\Z")  # ASCII digits only (str.isdigit takes "²" too)
_CALL = re.compile(r"[0-9A-Za-z-]{1,64}\Z")  # a FreeSWITCH uuid (recording.rules' call id)


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
    return hmac.compare_digest(signature(key, resource).encode(), given.encode())  # a URL's text may be any


def audio_url(base: str, key: bytes, domain: str, file_name: str) -> str:
    resource = f"{AUDIO}/{domain}/{file_name}"
    return f"http_cache://{base}{PREFIX}/{AUDIO}/{signature(key, resource)}/{domain}/{file_name}"


def recording_url(base: str, key: bytes, tenant_id: int, call: str, expires: int) -> str:
    """Where FreeSWITCH uploads the recording of call `call` (the A leg's uuid) of tenant
    `tenant_id`, good until `expires` (Unix seconds)."""
    resource = recording_resource(expires, tenant_id, call)
    return f"http_cache://{base}{PREFIX}/{RECORDINGS}/{signature(key, resource)}/{expires}/{tenant_id}/{call}.wav"


def recording_resource(expires: int | str, tenant_id: int | str, call: str) -> str:
    """What a recording URL's signature covers: the expiry, the tenant, the call."""
    return f"{RECORDINGS}/{expires}/{tenant_id}/{call}.wav"


def parse_recording(path: str) -> tuple[str, int, str, str] | None:
    """(signature, expires, folder, file) of `/media/recordings/<signature>/<expires>/<folder>/<file>`, or None."""
    parts = path.split("/")
    if len(parts) != 7 or parts[:3] != ["", PREFIX.strip("/"), RECORDINGS]:
        return None
    given, expires, folder, name = parts[3:]
    if not _EXPIRES.fullmatch(expires) or not all(_SEGMENT.fullmatch(part) for part in (given, folder, name)):
        return None
    return (given, int(expires), folder, name) if not folder.startswith(".") else None


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
        # Stands for "this call's signed URL" in a dialplan answer cached for many calls; random per
        # process, so nothing typed into a field can forge or collide with it.
        self.placeholder = f"pbx-recording-{secrets.token_hex(12)}"
        self._marker = self.placeholder.encode()
        held = re.escape(f"http_cache://{base}{PREFIX}/{RECORDINGS}/{self.placeholder}/")
        self._placeholders = re.compile(rf"{held}([1-9][0-9]{{0,9}})/\$\{{uuid\}}\.wav".encode())

    def audio(self, domain: str, file_name: str) -> str:
        return audio_url(self.base, self.key, domain, file_name)

    def recording(self, tenant_id: int) -> str:
        """The recording URL a cached dialplan answer holds: `fill_recordings` makes it the call's."""
        return f"http_cache://{self.base}{PREFIX}/{RECORDINGS}/{self.placeholder}/{tenant_id}/${{uuid}}.wav"

    def fill_recordings(self, document: bytes, call: str, now: float) -> bytes:
        """`document` with each placeholder URL made call `call`'s (signed, good for MAX_CALL_SECONDS).
        A call without a usable uuid keeps the placeholder, which the upload refuses (404)."""
        if self._marker not in document or not _CALL.fullmatch(call or ""):
            return document
        expires = int(now) + MAX_CALL_SECONDS
        return self._placeholders.sub(
            lambda found: recording_url(self.base, self.key, int(found.group(1)), call, expires).encode(), document)


def from_config(config) -> Media | None:
    """None when `media_base_url` is unset: FreeSWITCH reads Centralita's files from disk."""
    base = check_base_url(config.media_base_url)
    if not base:
        return None
    from fs_plugins import credentials  # the credentials file is read (or made) only when audio goes over HTTP

    return Media(base, key_from(credentials.current(config).cdr_password))


def enabled(config) -> bool:
    """Whether this configuration hands out /media URLs (else its endpoints have nothing to serve)."""
    return bool(check_base_url(config.media_base_url))


def request_key(config) -> bytes:
    """The key a /media request is checked with (the same derivation as `from_config`)."""
    from fs_plugins import credentials

    return key_from(credentials.current(config).cdr_password)
