"""The application layer's context for the page being served: who asks (the session's principal),
the configuration, and FreeSWITCH for the cache flushes a change needs."""
from __future__ import annotations

from flask import current_app, g

from fs_plugins.application import AppContext, NoFreeswitch
from fs_plugins.fsapi import FreeswitchDirectory


def app_context() -> AppContext:
    config = current_app.config["CENTRALITA"]
    freeswitch = FreeswitchDirectory(config) if config.fs_event_socket_port else NoFreeswitch()
    return AppContext(g.principal, config, freeswitch=freeswitch)


def me() -> tuple[str, str]:
    """The signed-in user's (tenant domain, extension): the /me pages' subject."""
    return g.principal.tenant_domain, g.principal.extension
