"""Phone configuration files over HTTP(S): a WSGI app the web server mounts at /provision.

A phone is given the server path `https://PBX/provision/<vendor>/` (DHCP option 66, the vendor's
redirection service, or by hand) and the credentials its `device add` printed: user = its MAC,
password = its secret. It then asks for its own file (kinds.py: `<mac>.cfg`, `<MAC>.xml`,
`cfg<mac>.xml`, `spa<mac>.xml`).

- No credentials: 401 with a Basic challenge (how phones ask for it); nothing is counted.
- Credentials that are not this file's phone's (a wrong secret, another phone's, a MAC nobody
  has, a file of another vendor): 404, the same answer whether the MAC exists or not, logged with
  the address, and counted; after throttle.LIMITS["provisioning"] failures from one address in
  throttle.WINDOW that address gets 429 until the oldest leaves the window (every node counts in
  the database).
"""
from __future__ import annotations

import base64
import binascii
import logging
import re

from fs_plugins.access import throttle
from fs_plugins.deviceapps import device_app
from fs_plugins.provisioning import app
from fs_plugins.provisioning.kinds import VENDORS

log = logging.getLogger(__name__)
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z")
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def make_provisioning_app(config, db=None):
    """The WSGI app; it uses `db`, else the bound database, else opens config's database."""
    return device_app(config, db, lambda environ: handle(environ, config), "provisioning")


def handle(environ, config) -> tuple[str, list, bytes]:
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return "405 Method Not Allowed", [("Allow", "GET, HEAD")] + _TEXT, b"GET only\n"
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    if parts[:1] == ["provision"]:
        parts = parts[1:]
    if len(parts) != 2 or parts[0] not in VENDORS:
        return "404 Not Found", _TEXT, b"no such file\n"
    address = environ.get("REMOTE_ADDR") or "?"
    counted = [f"provisioning:{address}"]
    wait = throttle.retry_after(counted)
    if wait:
        return "429 Too Many Requests", [("Retry-After", str(wait))] + _TEXT, b"too many failed attempts\n"
    credentials = _basic(environ.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        return ("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="Centralita provisioning", charset="UTF-8"')]
                + _TEXT, b"authentication required: the phone's MAC and its provisioning secret\n")
    body = app.phone_file(parts[0], parts[1], credentials[0], credentials[1], _base_url(environ, config),
                          config.sip_proxy)
    if body is None:
        throttle.record_failure(counted)
        log.warning("provisioning: %s/%s refused to %s (user %r): not that phone's file or credentials",
                    parts[0], parts[1][:40], address, credentials[0][:40])
        return "404 Not Found", _TEXT, b"no such file\n"
    kind = "text/plain" if parts[0] == "yealink" else "application/xml"
    return "200 OK", [("Content-Type", f"{kind}; charset=utf-8"), ("Cache-Control", "no-store")], body


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return None
    return (user, password) if colon else None


def _base_url(environ, config) -> str:
    """Where the phone reached us (its phonebook is on the same server); the portal's address when
    the Host header is no plain host name."""
    host = environ.get("HTTP_HOST", "")
    if _HOST.match(host):
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    return (config.portal_url or f"http://{config.web_host}:{config.web_port}").rstrip("/")
