"""Phone phonebooks over HTTP: a WSGI app the web server mounts at /phonebook.

URLs (the domain may be in the path, or in the user name as ext@domain):
  /phonebook[/DOMAIN]/yealink.xml      /phonebook[/DOMAIN]/cisco.xml[?page=N]
  /phonebook[/DOMAIN]/snom.xml         /phonebook[/DOMAIN]/cisco-search.xml (Cisco input screen)
  /phonebook[/DOMAIN]/grandstream.xml  /phonebook[/DOMAIN]/grandstream/phonebook.xml (the name
                                       Grandstream phones append to their "server path")
  /phonebook[/DOMAIN]/fanvil.xml
Every URL takes ?q=TEXT to search by name, company, e-mail or number.

Authentication: the user's SIP credentials. HTTP Basic with user `ext@domain` (or `ext` when the
path names the domain): md5("ext:domain:password") must equal the user's stored a1-hash, which is
exactly Digest's HA1, so HTTP Digest (realm = the domain, qop=auth, MD5) is accepted as well when
the path names the domain. A phonebook holds the user's personal contacts, the common directory
and the tenant's users; nothing of another user or tenant.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from base64 import b64decode
from urllib.parse import parse_qs, quote, urlencode
from urllib.request import parse_http_list, parse_keqv_list

from fs_plugins.access import throttle
from fs_plugins.contacts import phonebook_xml, service
from fs_plugins.contacts.records import Directory
from fs_plugins.deviceapps import device_app
from fs_plugins.models import Tenant, User

log = logging.getLogger(__name__)

FILES = {"yealink.xml": "yealink", "cisco.xml": "cisco", "cisco-search.xml": "cisco-search",
         "snom.xml": "snom", "grandstream.xml": "grandstream", "phonebook.xml": "grandstream",
         "fanvil.xml": "fanvil"}
_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\Z")
NONCE_LIFETIME = 300
MAX_QUERY = 64


def make_phonebook_app(config, db=None):
    """The WSGI app; it uses `db`, else the bound database, else opens config's database."""
    secret = os.urandom(32)  # signs Digest nonces; a restart only makes phones authenticate again
    return device_app(config, db, lambda environ: handle(environ, secret), "phonebook")


def route(path: str) -> tuple[str | None, str] | None:
    """(domain named in the path or None, format) for a phonebook path, None if it is not one."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["phonebook"]:
        parts = parts[1:]
    if not parts or parts[-1] not in FILES:
        return None
    file = parts.pop()
    if file == "phonebook.xml":
        if parts[-1:] != ["grandstream"]:
            return None
        parts.pop()
    if len(parts) > 1 or (parts and not _DOMAIN.match(parts[0].lower())):
        return None
    return (parts[0].lower() if parts else None), FILES[file]


def handle(environ, secret: bytes) -> tuple[str, list, bytes]:
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return "405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")], b"GET only\n"
    found = route(environ.get("PATH_INFO", ""))
    if found is None:
        return "404 Not Found", [("Content-Type", "text/plain")], b"no such phonebook\n"
    path_domain, kind = found
    # Guessing SIP passwords here is as good as guessing them by REGISTER: after LIMITS["phonebook"]
    # failures from one address in throttle.WINDOW, that address is refused (429), right password
    # or not, until the oldest failure leaves the window. Counted in the database: every process.
    counted = [f"phonebook:{environ.get('REMOTE_ADDR') or '?'}"]
    wait = throttle.retry_after(counted)
    if wait:
        return ("429 Too Many Requests", [("Retry-After", str(wait)), ("Content-Type", "text/plain")],
                b"too many failed attempts from this address; try again later\n")
    user = authenticate(environ, path_domain, secret)
    if user is None:
        if environ.get("HTTP_AUTHORIZATION"):  # a first request without credentials is how phones ask for the challenge
            throttle.record_failure(counted)
        return _challenge(path_domain, secret)
    params = parse_qs(environ.get("QUERY_STRING", ""))
    query = (params.get("q") or [""])[0][:MAX_QUERY]
    tenant = user.tenant
    directory = Directory(tenant.id, tenant.domain, tenant.country, user.id, user.extension)
    title = tenant.name
    if kind == "cisco-search":
        body = phonebook_xml.cisco_search(title, _url(environ, "cisco.xml"))
    else:
        items = phonebook_xml.entries(service.search(directory, query), tenant.country)
        body = _render(kind, items, title, environ, query, params)
    headers = [("Content-Type", "text/xml; charset=utf-8"), ("Cache-Control", "no-store")]
    return "200 OK", headers, body


def _render(kind, items, title, environ, query, params) -> bytes:
    if kind != "cisco":
        return phonebook_xml.VENDORS[kind](items, title)
    try:
        page = max(1, int((params.get("page") or ["1"])[0]))
    except ValueError:
        page = 1
    page = min(page, phonebook_xml.cisco_pages(items))
    next_query = urlencode({**({"q": query} if query else {}), "page": page + 1})
    return phonebook_xml.cisco(items, title, page, _url(environ, "cisco.xml") + "?" + next_query)


def _url(environ, file: str) -> str:
    """Absolute URL of a sibling file (Cisco phones need absolute URLs in soft keys)."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    base = path.rsplit("/", 1)[0]
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{quote(base)}/{file}"


# --- authentication -------------------------------------------------------------------------

def authenticate(environ, path_domain: str | None, secret: bytes):
    """The enabled User whose SIP credentials the request carries, or None."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        return _basic(value.strip(), path_domain)
    if scheme.lower() == "digest" and path_domain:
        return _digest(value, path_domain, environ, secret)
    return None


def _find_user(username: str, path_domain: str | None):
    extension, _, domain = username.partition("@")
    domain = domain.lower() or path_domain
    if not domain or (path_domain and domain != path_domain) or not extension:
        return None
    return (User.select(User, Tenant).join(Tenant)
            .where((Tenant.domain == domain) & (User.extension == extension) & (User.enabled == True))  # noqa: E712
            .first())


def _basic(value: str, path_domain: str | None):
    try:
        username, _, password = b64decode(value, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    user = _find_user(username, path_domain)
    if user is None:
        return None
    expected = hashlib.md5(f"{user.extension}:{user.tenant.domain}:{password}".encode()).hexdigest()
    if not hmac.compare_digest(expected, user.a1_hash.lower()):
        log.info("phonebook: wrong password for %s@%s", user.extension, user.tenant.domain)
        return None
    return user


def _nonce(secret: bytes, realm: str, stamp: int | None = None) -> str:
    stamp = int(time.time()) if stamp is None else stamp
    mac = hmac.new(secret, f"{stamp}:{realm}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{stamp}.{mac}"


def _fresh(nonce: str, secret: bytes, realm: str) -> bool:
    stamp, _, _mac = nonce.partition(".")
    if not stamp.isdecimal() or time.time() - int(stamp) > NONCE_LIFETIME:
        return False
    return hmac.compare_digest(nonce.encode(), _nonce(secret, realm, int(stamp)).encode())  # str: ASCII only


def _digest(value: str, realm: str, environ, secret: bytes):
    try:
        fields = parse_keqv_list(parse_http_list(value))
    except ValueError:
        return None
    needed = ("username", "realm", "nonce", "uri", "response")
    if any(k not in fields for k in needed) or fields["realm"] != realm or not _fresh(fields["nonce"], secret, realm):
        return None
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if fields["uri"].split("?", 1)[0] != quote(path):  # the answer is only good for this URL
        return None
    method = environ.get("REQUEST_METHOD", "GET")
    user = _find_user(fields["username"], realm)
    if user is None:
        return None
    ha2 = hashlib.md5(f"{method}:{fields['uri']}".encode()).hexdigest()
    if fields.get("qop") == "auth":
        material = f"{user.a1_hash}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}"
    else:
        material = f"{user.a1_hash}:{fields['nonce']}:{ha2}"
    answer = hashlib.md5(material.encode()).hexdigest()
    if not hmac.compare_digest(answer.encode(), fields["response"].lower().encode()):  # str: ASCII only
        return None
    return user


def _challenge(path_domain: str | None, secret: bytes) -> tuple[str, list, bytes]:
    headers = [("Content-Type", "text/plain")]
    if path_domain:
        headers.append(("WWW-Authenticate", f'Digest realm="{path_domain}", qop="auth", algorithm=MD5, '
                                            f'nonce="{_nonce(secret, path_domain)}"'))
    headers.append(("WWW-Authenticate", 'Basic realm="Centralita phonebook", charset="UTF-8"'))
    return "401 Unauthorized", headers, b"authentication required: your extension@domain and SIP password\n"
