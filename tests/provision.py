"""Test set-up through the core's application layer, as the operator; returns the rows tests inspect."""
from __future__ import annotations

import datetime as dt

from fs_plugins.application import AppContext
from fs_plugins.core import app
from fs_plugins.groups import app as groups
from fs_plugins.ivr import app as ivr
from fs_plugins.models import Tenant, User, utcnow
from fs_plugins.models.audio import RecordingJob
from fs_plugins.models.groups import CallGroup
from fs_plugins.models.ivr import IvrMenu

OPERATOR = AppContext.operator(origin="test")
QUIET = AppContext.operator(origin="test", audit=lambda event: None)  # set-up that is not an audited change


def find_tenant(domain: str) -> Tenant:
    return Tenant.get(Tenant.domain == domain)


def find_user(owner: Tenant, extension: str) -> User:
    return User.get(User.tenant == owner, User.extension == extension)


def tenant(name: str, domain: str, timezone: str = "Europe/Madrid", language: str = "es", country: str = "ES",
           region: str | None = None) -> Tenant:
    app.add_tenant(OPERATOR, domain, name, timezone, language, country, region)
    return Tenant.get(Tenant.domain == domain)


def user(owner: Tenant, extension: str, name: str, **settings) -> User:
    app.add_user(OPERATOR, owner.domain, extension, name, **settings)
    return User.get(User.tenant == owner, User.extension == extension)


def number(owner: Tenant, did: str, destination: str, description: str | None = None) -> app.RouteView:
    return app.add_number(OPERATOR, owner.domain, did, destination, description).value


def who(row: User) -> tuple[AppContext, str, str]:
    """(operator context, tenant domain, extension): the first arguments of a user's app functions."""
    return OPERATOR, row.tenant.domain, row.extension


def group(owner: Tenant, name: str, members: tuple[str, ...] = (), **settings) -> CallGroup:
    """A call group through groups.app, with `members` (extensions) in ringing order."""
    groups.add_group(OPERATOR, owner.domain, name, **settings)
    for extension in members:
        groups.add_member(OPERATOR, owner.domain, name, user=extension)
    return CallGroup.get(CallGroup.tenant == owner, CallGroup.name == name)


def menu(owner: Tenant, name: str, **settings) -> IvrMenu:
    """An IVR menu through ivr.app (settings as its fields: options={"1": "user:1001"}, …)."""
    return IvrMenu.get_by_id(ivr.add_menu(OPERATOR, owner.domain, name, **settings).value.id)


def group_id(owner: Tenant, name: str) -> int:
    return CallGroup.get(CallGroup.tenant == owner, CallGroup.name == name).id


def recording_job(domain: str, name: str, call: str, give_up_in: dt.timedelta = dt.timedelta(0),
                  **state) -> RecordingJob:
    """A record-by-phone job of the tenant `domain` as a front end leaves it (state="recording", …)."""
    now = utcnow()
    return RecordingJob.create(tenant=find_tenant(domain), name=name, call=call, created_at=now, updated_at=now,
                               give_up_at=now + give_up_in, **state)
