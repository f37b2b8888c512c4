"""Row-level call handling, kept for fs_plugins/api until it calls fs_plugins.callhandling.app with
a context of its own (the API checks scope and writes its audit entries itself today). Every
change runs the application layer as the operator; nothing here validates or writes on its own."""
from __future__ import annotations

from fs_plugins.application import AppContext
from fs_plugins.callhandling import app
from fs_plugins.callhandling.app import FORWARDS, MAX_RING_DELAY, RestrictionView  # noqa: F401  (the API's)
from fs_plugins.models import Tenant, User
from fs_plugins.models.callhandling import CallHandling, SimRing


def _ctx() -> AppContext:
    return AppContext.operator(origin="api", audit=lambda event: None)


def settings(owner: User) -> CallHandling:
    """The user's row, or an unsaved one holding the defaults."""
    return CallHandling.get_or_none(CallHandling.user == owner) or CallHandling(user=owner)


def rings(owner: User) -> list[SimRing]:
    return list(SimRing.select().where(SimRing.user == owner).order_by(SimRing.delay, SimRing.id))


def restriction(tenant: Tenant, owner: User | None) -> RestrictionView:
    return app.restriction_of(tenant, owner)


def set_forward(owner: User, when: str, target: str | None, seconds: int | None = None) -> None:
    app.set_forward(_ctx(), owner.tenant.domain, owner.extension, when, target, seconds)


def clear_forward(owner: User, when: str) -> None:
    app.clear_forward(_ctx(), owner.tenant.domain, owner.extension, when)


def set_dnd(owner: User, on: bool, mode: str | None = None) -> None:
    app.set_dnd(_ctx(), owner.tenant.domain, owner.extension, on, mode)


def add_ring(owner: User, target: str, delay: int = 0, confirm: bool = False) -> SimRing:
    app.add_ring(_ctx(), owner.tenant.domain, owner.extension, target, delay, confirm)
    return SimRing.select().where(SimRing.user == owner).order_by(SimRing.id.desc()).get()


def set_restriction(tenant: Tenant, owner: User | None, allow: str) -> None:
    app.set_restriction(_ctx(), tenant.domain, owner.extension if owner else None, allow)


def clear_restriction(tenant: Tenant, owner: User | None) -> None:
    app.clear_restriction(_ctx(), tenant.domain, owner.extension if owner else None)
