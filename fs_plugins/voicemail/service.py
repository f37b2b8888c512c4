"""Row-level voicemail boxes, kept for fs_plugins/api until it calls fs_plugins.voicemail.app with a
context of its own (the API checks scope, audits and flushes itself today). Changes run the
application layer as the operator; nothing here validates or writes on its own."""
from __future__ import annotations

from fs_plugins.application import AppContext
from fs_plugins.models import Tenant, User
from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.voicemail import app
from fs_plugins.voicemail.boxes import GENERAL  # noqa: F401  (the API's)


def _ctx() -> AppContext:
    return AppContext.operator(origin="api", audit=lambda event: None)


def find(tenant: Tenant, extension: str | None) -> VoicemailBox | None:
    owner = User.get_or_none(User.tenant == tenant, User.extension == extension) if extension else None
    if extension and owner is None:
        return None
    query = VoicemailBox.select().where(VoicemailBox.tenant == tenant)
    return query.where(VoicemailBox.user.is_null() if owner is None else VoicemailBox.user == owner).first()


def set_box(tenant: Tenant, extension: str | None, **settings) -> None:
    app.set_box(_ctx(), tenant.domain, extension, **settings)


def remove_box(tenant: Tenant, extension: str | None) -> None:
    app.remove_box(_ctx(), tenant.domain, extension)
