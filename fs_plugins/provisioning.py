"""Row-level tenants, users and numbers, kept for fs_plugins/api until it calls the application
layer (fs_plugins.core.app) with an AppContext of its own; new code calls fs_plugins.core.app.

Each function runs the core's application layer as the operator and hands back what the API's
resources read: the row, the users FreeSWITCH must forget (the API sends the flush itself) and a
generated password. Nothing here validates or writes on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fs_plugins.application import AppContext, tenant_in_scope, user_in_scope
from fs_plugins.core import app
from fs_plugins.fsapi import FlushReport
from fs_plugins.models import Number, Tenant, User


@dataclass
class Change:
    """The row changed, users FreeSWITCH must flush, and a password generated for the person."""

    row: object = None
    flush: list[tuple[str, str]] = field(default_factory=list)
    generated_password: str | None = None


class _Stale:
    """Collects what a change would flush, for the caller to send."""

    def __init__(self):
        self.users: list[tuple[str, str]] = []

    def flush_users(self, users: list[tuple[str, str]]) -> FlushReport:
        self.users += users
        return FlushReport(tuple(f"{extension}@{domain}" for extension, domain in users))


def _context() -> tuple[AppContext, _Stale]:
    """The API checks scope and writes its own audit entries (fs_plugins.api.common.audited)."""
    stale = _Stale()
    return AppContext.operator(origin="api", freeswitch=stale, audit=lambda event: None), stale


def tenant(domain: str) -> Tenant:
    return tenant_in_scope(_context()[0], domain)


def user(owner: Tenant, extension: str) -> User:
    return user_in_scope(_context()[0], owner, extension, "extension")


def add_tenant(name: str, domain: str, timezone: str = "Europe/Madrid", language: str = "es",
               country: str = "ES", region: str | None = None) -> Change:
    done = app.add_tenant(_context()[0], domain, name, timezone, language, country, region)
    return Change(tenant(done.value.domain))


def set_tenant(domain: str, **changes) -> Change:
    ctx, stale = _context()
    done = app.set_tenant(ctx, domain, **changes)
    return Change(tenant(done.value.domain), stale.users)


def remove_tenant(domain: str) -> Change:
    ctx, stale = _context()
    row = tenant(domain)
    app.remove_tenant(ctx, domain)
    return Change(row, stale.users)


def add_user(owner: Tenant, extension: str, display_name: str, email: str | None = None,
             password: str | None = None, enabled: bool = True) -> Change:
    done = app.add_user(_context()[0], owner.domain, extension, display_name, email, password, enabled)
    return Change(user(owner, done.value.user.extension), generated_password=done.value.sip_password)


def set_user(owner: Tenant, extension: str, display_name: str | None = None, email: str | None = None,
             password: str | None = None, enabled: bool | None = None, new_extension: str | None = None) -> Change:
    ctx, stale = _context()
    done = app.set_user(ctx, owner.domain, extension, display_name, email, password, enabled, new_extension)
    return Change(user(owner, done.value.extension), stale.users)


def remove_user(owner: Tenant, extension: str) -> Change:
    ctx, stale = _context()
    row = user(owner, extension)
    app.remove_user(ctx, owner.domain, extension)
    return Change(row, stale.users)


def add_number(owner: Tenant, number: str, destination: str, description: str | None = None) -> Change:
    done = app.add_number(_context()[0], owner.domain, number, destination, description)
    return Change(Number.get(Number.e164 == done.value.number))


def route_number(owner: Tenant, number: str, destination: str) -> Change:
    done = app.route_number(_context()[0], owner.domain, number, destination)
    return Change(Number.get(Number.e164 == done.value.number))


def remove_number(owner: Tenant, number: str) -> Change:
    done = app.remove_number(_context()[0], owner.domain, number)
    return Change(Number(tenant=owner, e164=done.value.number))
