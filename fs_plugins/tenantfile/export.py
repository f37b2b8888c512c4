"""A tenant as the file's document: read through the application layer, every reference by name.

Destinations are written as people type them (``user:1001``, ``ivr:Main``, ``group:Sales``,
``message:Closed``, ``voicemail:1001``, ``voicemail:``, ``number:+34…``, ``hangup:USER_BUSY``),
never as ids; values equal to their default (kinds.py) are left out. No secret is written: no SIP
a1-hash, no voicemail PIN, no portal login, no custom flow's secret setting. Audio is referenced by
name and file name, not content.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

from fs_plugins import references
from fs_plugins.application import AppContext
from fs_plugins.callflows import app as callflows
from fs_plugins.callhandling import app as callhandling
from fs_plugins.callhandling.numbers import format_allowed
from fs_plugins.contacts import app as contacts
from fs_plugins.core import app as core
from fs_plugins.destinations import Destination
from fs_plugins.featurecodes import app as featurecodes
from fs_plugins.groups import app as groups_app
from fs_plugins.ivr import app as ivr_app
from fs_plugins.models import Tenant, User
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.schedule import HOLIDAYS_CUSTOM, HOLIDAYS_NONE, Schedule
from fs_plugins.schedule import app as schedule_app
from fs_plugins.tenantfile import kinds
from fs_plugins.tenantfile.document import VERSION
from fs_plugins.voicemail import app as voicemail_app
from fs_plugins.voicemail.boxes import GENERAL

Track = Callable[[Iterable, str, int], Iterable]


def export_tenant(ctx: AppContext, domain: str, track: Track | None = None) -> dict:
    """The whole tenant `domain` (in the principal's scope) as the file's document."""
    track = track or (lambda items, what, total: items)
    detail = core.show_tenant(ctx, domain)
    tenant = Tenant.get(Tenant.domain == detail.tenant.domain)
    domain = tenant.domain
    names = _Names(tenant)
    boxes = {b.box: b for b in voicemail_app.list_boxes(ctx, domain)}
    restriction = callhandling.restriction(ctx, domain)
    pickup = {view.extension: view.group for view in featurecodes.list_pickup(ctx, domain)}
    settings = detail.tenant
    grants, routes = callflows.stored_values(ctx, domain)
    document = {
        "centralita": VERSION,
        "tenant": kinds.compact({
            "domain": domain, "name": settings.name, "timezone": settings.timezone, "language": settings.language,
            "country": settings.country, "region": settings.region,
            "restrictions": _allowed(restriction.tenant), "voicemail": _box(boxes.get(GENERAL)),
            "feature_codes": {v.feature: v.code for v in featurecodes.list_codes(ctx, domain) if v.changed} or None,
        }, kinds.TENANT),
        "audio": _audio(tenant),
        "schedules": [_schedule(tenant, view) for view in schedule_app.list_schedules(ctx, domain)],
        "users": [_user(ctx, tenant, names, user, boxes.get(user.extension), pickup.get(user.extension))
                  for user in track(detail.users, "users", len(detail.users))],
        "ivr_menus": [_menu(names, view) for view in ivr_app.list_menus(ctx, domain)],
        "groups": [_group(names, view) for view in groups_app.list_groups(ctx, domain)],
        "flows": [kinds.compact({"flow": g.flow, "settings": _flow_settings(names, g)}, kinds.FLOW) for g in grants],
        "flow_routes": [kinds.compact({"name": r.name, "flow": r.flow, "settings": _flow_settings(names, r),
                                       "fallback": names.reference(r.fallback)}, kinds.FLOW_ROUTE) for r in routes],
        "numbers": [kinds.compact({"number": n.number, "to": names.reference(n.destination),
                                   "description": n.description}, kinds.NUMBER) for n in detail.numbers],
        "contacts": _contacts(contacts.list_contacts(ctx, domain)),
    }
    return {k: v for k, v in document.items() if v or k in ("centralita", "tenant")}


class _Names:
    """Stored destinations (ids) back into what a person types (names), one lookup per kind."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.extensions = {u.id: u.extension for u in User.select(User.id, User.extension).where(User.tenant == tenant)}

    def reference(self, stored: str | None) -> str | None:
        if stored is None:
            return None
        destination = Destination.parse(stored)
        if destination.kind in ("user", "voicemail") and destination.target:
            extension = self.extensions.get(destination.object_id)
            return f"{destination.kind}:{extension}" if extension else stored  # dangling: as stored
        if destination.kind in ("number", "hangup", "voicemail"):
            return str(destination)
        # A feature's kind (ivr, group, message, a plugin's) reads back as kind:name.
        return references.describe(self.tenant, destination)

    def view(self, view) -> str | None:
        return None if view is None else self.reference(view.destination)


def _allowed(allowed: frozenset[str] | None) -> str | None:
    return None if allowed is None else format_allowed(allowed)


def _box(view) -> dict | None:
    if view is None:
        return None
    return kinds.compact({"email": view.email, "attach_audio": view.attach_audio,
                          "keep_after_email": view.keep_after_email, "enabled": view.enabled}, kinds.BOX) or {}


def _audio(tenant: Tenant) -> list[dict]:
    rows = AudioFile.select(AudioFile.name, AudioFile.path).where(AudioFile.tenant == tenant).order_by(AudioFile.name)
    return [{"name": row.name, "file": os.path.basename(row.path)} for row in rows]


def _schedule(tenant: Tenant, view) -> dict:
    row = Schedule.get(Schedule.tenant == tenant, Schedule.name == view.name)
    holidays = {HOLIDAYS_NONE: "none", HOLIDAYS_CUSTOM: row.holiday_country}.get(row.holiday_mode, "tenant")
    return kinds.compact({
        "name": view.name, "description": view.description, "timezone": row.timezone, "holidays": holidays,
        "region": row.holiday_region, "hours": list(view.hours),
        "closures": [_period(p) for p in view.closures], "openings": [_period(p) for p in view.openings],
    }, kinds.SCHEDULE)


def _period(view) -> dict:
    return kinds.compact({"starts_at": view.starts_at, "ends_at": view.ends_at, "label": view.label}, kinds.PERIOD)


def _user(ctx: AppContext, tenant: Tenant, names: _Names, user, box, pickup_group: str | None) -> dict:
    handling = callhandling.show(ctx, tenant.domain, user.extension)
    restriction = callhandling.restriction(ctx, tenant.domain, user.extension)
    no_answer = kinds.compact({"to": names.view(handling.forward_no_answer),
                               "seconds": handling.no_answer_seconds}, kinds.NO_ANSWER) or None
    forwards = kinds.compact({"always": names.view(handling.forward_always), "busy": names.view(handling.forward_busy),
                              "not_registered": names.view(handling.forward_not_registered),
                              "no_answer": no_answer}, kinds.FORWARDS) or None
    dnd = {"on": handling.dnd, "mode": handling.dnd_mode}
    return kinds.compact({
        "extension": user.extension, "name": user.name, "email": user.email, "enabled": user.enabled,
        "forwards": forwards, "dnd": None if dnd == kinds.DND else dnd,
        "simultaneous_ring": [kinds.compact({"to": names.view(r.target), "delay": r.delay, "confirm": r.confirm},
                                            kinds.RING) for r in handling.rings],
        "restrictions": _allowed(restriction.user), "voicemail": _box(box),
        "contacts": _contacts(contacts.list_contacts(ctx, tenant.domain, user.extension)),
        "pickup_group": pickup_group or None,
    }, kinds.USER)


def _menu(names: _Names, view) -> dict:
    return kinds.compact({
        "name": view.name, "comment": view.comment, "forward": view.forward, "schedule": view.schedule,
        "closed": names.view(view.closed), "forward_to": names.view(view.forward_to), "welcome": view.welcome,
        "prompt": view.prompt, "timeout_prompt": view.timeout_prompt, "invalid_prompt": view.invalid_prompt,
        "timeout": view.timeout, "loops": view.loops, "exit": names.view(view.exit), "direct_dial": view.direct_dial,
        "short_number": view.short_numbers[0] if view.short_numbers else None,
        "options": {o.key: names.view(o.destination) for o in view.options},
    }, kinds.MENU)


def _group(names: _Names, view) -> dict:
    values = {name: getattr(view, name) for name in kinds.GROUP if name != "members"}
    for name in ("no_answer_destination", "closed_destination", "overflow_destination"):
        values[name] = names.view(values[name])
    members = [({"user": m.user, "paused": True} if m.paused else {"user": m.user}) if m.user is not None
               else {"number": m.number} for m in view.members]
    return kinds.compact({"name": view.name, **values, "members": members}, kinds.GROUP)


def _flow_settings(names: _Names, stored) -> dict:
    """A flow's or route's values by name (secrets are never in `stored`), destinations as typed."""
    return {k: names.reference(v) if k in stored.destinations else v for k, v in sorted(stored.settings.items())}


def _contacts(views) -> list[dict]:
    """A directory's own contacts (the tenant's users are in the common one only by derivation)."""
    return [kinds.compact({"name": c.name, "company": c.company, "email": c.email, "note": c.note,
                           "numbers": [{"kind": n.kind, "number": n.number} for n in c.numbers]}, kinds.CONTACT)
            for c in views if c.source != "user"]
