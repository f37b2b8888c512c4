"""The HTTP server beside xml_curl: mod_json_cdr posts (/cdr), phone phonebooks (/phonebook), the REST API
(/api/v1), and the web portal at / (whatever no other mount takes).

Each mount is a WSGI app a plugin declares (``mounts = {prefix: factory}``, fs_plugins.plugins);
this module only routes by path prefix, the longest first, so ``/`` takes what nothing else does.
Behind configured reverse proxies, REMOTE_ADDR becomes the client's address first (fs_plugins.forwarded).
A person's request (the API, the portal) has `api_deadline` for its database work, lock waits
included (fs_plugins.deadlines.person_deadline); FreeSWITCH's (/cdr, …) keep their own, shorter ones.
"""
from __future__ import annotations

from typing import Callable, Mapping

from fs_plugins import forwarded, plugins
from fs_plugins.config import Config
from fs_plugins.deadlines import person_deadline

API_PREFIX = "/api/v1"
PORTAL_PREFIX = "/"
PEOPLE_SIDE = (API_PREFIX, PORTAL_PREFIX)  # `serve --only api`: the API and the portal


def mounts_for(servers) -> dict[str, Callable]:
    """The installed mounts of `serve --only`'s names: "web" is FreeSWITCH's and the phones' side
    (/cdr, /phonebook, …), "api" people's (the REST API and the portal)."""
    return {prefix: factory for prefix, factory in plugins.installed().mounts.items()
            if ("api" if prefix in PEOPLE_SIDE else "web") in servers}


def make_web_app(config: Config, mounts: Mapping[str, Callable] | None = None):
    """`mounts`: path prefix -> factory(config) returning a WSGI app (default: every plugin's)."""
    chosen = plugins.installed().mounts if mounts is None else mounts
    apps = [(prefix, _for_people(chosen[prefix](config), config) if prefix in PEOPLE_SIDE else chosen[prefix](config))
            for prefix in sorted(chosen, key=len, reverse=True)]
    # A path that is a mount's own prefix (FreeSWITCH's /cdr posts) found at once: no longer prefix
    # can match it. The loop below tested every mount before /cdr, the shortest (~200 bytecodes a post).
    exact = dict(apps)
    proxies = forwarded.parse_networks(config.trusted_proxies)

    def app(environ, start_response):
        if proxies:
            environ["REMOTE_ADDR"] = forwarded.client_address(environ.get("REMOTE_ADDR", ""),
                                                              environ.get("HTTP_X_FORWARDED_FOR"), proxies)
        path = environ.get("PATH_INFO", "")
        mounted = exact.get(path)
        if mounted is not None:
            return mounted(environ, start_response)
        for prefix, mounted in apps:
            if (prefix == PORTAL_PREFIX or path == prefix or path.startswith(prefix + "/")
                    or path.startswith(prefix + "?")):
                return mounted(environ, start_response)
        body = b"not found\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def _for_people(mounted, config: Config):
    """The API's or the portal's app, its database statements bounded by api_deadline (a body
    streamed after the answer began, such as a CSV export, runs outside it)."""

    def app(environ, start_response):
        with person_deadline(config.api_deadline):
            return mounted(environ, start_response)

    return app
