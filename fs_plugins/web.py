"""The HTTP server beside xml_curl: mod_json_cdr posts (/cdr), phone phonebooks (/phonebook), the REST API
(/api/v1), and the web portal at / (whatever no other mount takes).

Each mount is a WSGI app built by its feature; this module only routes by path prefix.
"""
from __future__ import annotations

import importlib

from fs_plugins.config import Config

# path prefix -> "module:factory"; factory(config) returns a WSGI app.
MOUNTS: dict[str, str] = {
    "/cdr": "fs_plugins.calllog.receiver:make_cdr_app",
    "/phonebook": "fs_plugins.contacts.phonebook:make_phonebook_app",
    "/api/v1": "fs_plugins.api.app:make_api_app",
    "/": "fs_plugins.portal.app:make_portal_app",  # last: it takes every other path
}
API_PREFIX = "/api/v1"
PORTAL_PREFIX = "/"
PEOPLE_SIDE = (API_PREFIX, PORTAL_PREFIX)  # `serve --only api`: the API and the portal


def mounts_for(servers) -> dict[str, str]:
    """The mounts of `serve --only`'s names: "web" is FreeSWITCH's and the phones' side, "api" people's
    (the REST API and the portal)."""
    return {prefix: target for prefix, target in MOUNTS.items()
            if ("api" if prefix in PEOPLE_SIDE else "web") in servers}


def make_web_app(config: Config, mounts: dict[str, str] | None = None):
    apps = []
    for prefix, target in (MOUNTS if mounts is None else mounts).items():
        module_name, _, factory = target.partition(":")
        apps.append((prefix, getattr(importlib.import_module(module_name), factory)(config)))

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        for prefix, mounted in apps:
            if (prefix == PORTAL_PREFIX or path == prefix or path.startswith(prefix + "/")
                    or path.startswith(prefix + "?")):
                return mounted(environ, start_response)
        body = b"not found\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app
