"""Rows -> frozen values for a flow's call, and the tenant's data a flow may read or add to.

Every query here is filtered by the call's tenant id, taken from the route the dialplan named (the
route's own row, never a value the flow passes): a flow cannot read another tenant's users,
schedules, contacts or audio, nor write into another tenant's records.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from fs_plugins import references
from fs_plugins.callflows.records import Route
from fs_plugins.contacts.caller_name import caller_name
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.mediaurls import Media
from fs_plugins.models import Tenant, User, database
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.callflows import FlowGrant, FlowNote, FlowRecord, FlowRoute
from fs_plugins.schedule.loader import load_schedule
from fs_plugins.schedule.rules import state_at


@dataclass(frozen=True)
class TenantFacts:
    id: int
    domain: str
    language: str
    timezone: str
    country: str


@dataclass(frozen=True)
class UserFact:
    extension: str
    name: str


def load_route(domain: str, route_id: int) -> tuple[Route, TenantFacts] | None:
    """The route `route_id` of the tenant `domain` (None when it is not that tenant's), with the
    tenant's grant settings under the route's own."""
    row = (FlowRoute.select(FlowRoute, Tenant).join(Tenant)
           .where(Tenant.domain == domain, FlowRoute.id == route_id).first())
    if row is None:
        return None
    tenant = row.tenant
    grant = FlowGrant.get_or_none(FlowGrant.tenant == tenant.id, FlowGrant.flow == row.flow)
    settings = {**json.loads(grant.settings if grant else "{}"), **json.loads(row.settings)}
    route = Route(row.id, tenant.id, tenant.domain, row.name, row.flow, settings, row.fallback, grant is not None)
    return route, TenantFacts(tenant.id, tenant.domain, tenant.language, tenant.timezone, tenant.country)


class TenantData:
    """Read-only views of one tenant's own data, for its flows (session.tenant)."""

    def __init__(self, tenant_id: int, domain: str = "", media: Media | None = None):
        self._tenant_id, self._domain, self._media = tenant_id, domain, media

    def users(self) -> list[UserFact]:
        rows = (User.select(User.extension, User.display_name)
                .where(User.tenant == self._tenant_id, User.enabled == True)  # noqa: E712 (peewee)
                .order_by(User.extension))
        return [UserFact(row.extension, row.display_name) for row in rows]

    def user(self, extension: str) -> UserFact | None:
        row = User.get_or_none(User.tenant == self._tenant_id, User.extension == str(extension), User.enabled == True)  # noqa: E712
        return UserFact(row.extension, row.display_name) if row else None

    def schedule_open(self, name: str, at: dt.datetime) -> bool:
        """Whether the tenant's schedule `name` is open at `at` (aware); NotFound if it has none."""
        return state_at(load_schedule(self._tenant_id, name=name), at).is_open

    def contact_name(self, number: str) -> str | None:
        """The name the tenant's common directory (or a user) gives `number`, made safe."""
        return caller_name(database, self._tenant_id, None, number)

    def audio_path(self, name: str) -> str:
        row = AudioFile.get_or_none(AudioFile.tenant == self._tenant_id, AudioFile.name == name)
        if row is None or not os.path.isfile(row.path):
            raise NotFound("audio", f"no audio file {name!r} in this tenant")
        # FreeSWITCH without this disk fetches it over HTTP (fs_plugins/mediaurls.py)
        return self._media.audio(self._domain, Path(row.path).name) if self._media else row.path


def resolve_destination(tenant_id: int, text: str) -> Destination:
    """A destination as a flow writes it (``user:1001``), resolved inside the call's tenant."""
    return references.resolve(Tenant.get_by_id(tenant_id), text, "destination")


def store_record(route: Route, call_uuid: str, caller: str, data: dict) -> None:
    FlowRecord.create(tenant=route.tenant_id, flow=route.flow, route=route.name, call_uuid=call_uuid[:64],
                      caller=caller[:64], data=json.dumps(data, ensure_ascii=False, sort_keys=True))


def store_note(route: Route, call_uuid: str, note: str) -> None:
    """The call's one note: a second note replaces the first."""
    with database.atomic():
        FlowNote.delete().where(FlowNote.tenant == route.tenant_id, FlowNote.call_uuid == call_uuid).execute()
        FlowNote.create(tenant=route.tenant_id, call_uuid=call_uuid[:64], flow=route.flow, note=note)
