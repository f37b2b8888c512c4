"""/api/v1/tenants/{domain}/groups: call groups, their members and their statistics (JSON and CSV).

Everything goes through the application layer (fs_plugins.groups.app), which checks each value
before writing and audits the change in the same transaction; the API adds the JSON shapes and
If-Match. A group is named by its name (or its id). Removing one that a number, menu, user's
forward or another group still routes to answers 409 naming them.
"""
from __future__ import annotations

from urllib.parse import quote

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Date, Float, Integer, List, Nested, String
from flask import Response

from fs_plugins.api.common import app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import TENANT, access
from fs_plugins.api.ivr import DestinationOut
from fs_plugins.api.schema import Schema
from fs_plugins.errors import InvalidInput
from fs_plugins.groups import app, stats
from fs_plugins.groups.kinds import GROUP_TYPES, OPENINGS, RING_MODES

bp = APIBlueprint("groups", __name__, url_prefix="/api/v1/tenants/<domain>/groups", tag="Call groups")
DESTINATIONS = "user:EXT, number:NUMBER, ivr:MENU, group:GROUP, voicemail:[EXT], message:AUDIO or hangup[:CAUSE]"


class MemberOut(Schema):
    user = String(required=True, allow_none=True, metadata={"description": "extension, or null for a number"})
    name = String(required=True, allow_none=True)
    number = String(required=True, allow_none=True, metadata={"description": "external number (E.164)"})
    paused = Boolean(required=True, metadata={"description": "logged out of the groups' calls from the phone "
                                                            "(feature code *51; *50 logs back in): not rung"})


class GroupOut(Schema):
    id = Integer(required=True)
    name = String(required=True)
    kind = String(required=True, metadata={"description": ", ".join(GROUP_TYPES)})
    comment = String(required=True)
    melody = String(required=True, metadata={"description": "ringback, music or audio:NAME"})
    ring_mode = String(required=True, metadata={"description": ", ".join(RING_MODES)})
    member_seconds = Integer(required=True)
    total_seconds = Integer(required=True)
    no_answer_destination = Nested(DestinationOut, required=True, allow_none=True)
    opening = String(required=True, metadata={"description": ", ".join(OPENINGS)})
    schedule = String(required=True, allow_none=True)
    closed_destination = Nested(DestinationOut, required=True, allow_none=True)
    short_number = String(required=True, allow_none=True)
    queue_size = Integer(required=True)
    max_wait = Integer(required=True)
    overflow_destination = Nested(DestinationOut, required=True, allow_none=True)
    announce_every = Integer(required=True)
    rounds = Integer(required=True)
    callback_key = String(required=True)
    service_level_seconds = Integer(required=True)
    members = List(Nested(MemberOut), required=True)


class _GroupSettings(Schema):
    kind = String(metadata={"description": "simple, or advanced (queue; never back to simple)"})
    comment = String()
    melody = String(metadata={"description": "what callers hear: ringback, music or audio:NAME"})
    ring_mode = String(metadata={"description": ", ".join(RING_MODES)})
    member_seconds = Integer(metadata={"description": "seconds each member rings (5-300)"})
    total_seconds = Integer(metadata={"description": "seconds before no_answer_destination (5-3600)"})
    no_answer_destination = String(metadata={"description": f"{DESTINATIONS}; \"\" for none"})
    opening = String(metadata={"description": ", ".join(OPENINGS)})
    schedule = String(metadata={"description": "a schedule's name for opening=schedule; \"\" for none"})
    closed_destination = String(metadata={"description": "where calls go while closed"})
    short_number = String(metadata={"description": "internal number (2-6 digits); \"\" removes it"})
    queue_size = Integer(metadata={"description": "advanced: callers waiting at most (1-500)"})
    max_wait = Integer(metadata={"description": "advanced: seconds before overflow_destination (10-7200)"})
    overflow_destination = String()
    announce_every = Integer(metadata={"description": "advanced: seconds between position announcements, 0 none"})
    rounds = Integer(metadata={"description": "advanced: rounds over the members (1-20)"})
    callback_key = String(metadata={"description": "advanced: key to ask for a call back; \"\" none"})
    service_level_seconds = Integer(metadata={"description": "answered within this counts for service level"})


class GroupIn(_GroupSettings):
    name = String(required=True, metadata={"example": "Ventas"})


class GroupPatch(_GroupSettings):
    name = String(metadata={"description": "rename the group"})


class GroupList(Schema):
    items = List(Nested(GroupOut), required=True)


class MemberIn(Schema):
    user = String(metadata={"description": "a user's extension (or give `number`)", "example": "1001"})
    number = String(metadata={"description": "an external number the tenant may call"})


class MemberList(Schema):
    items = List(Nested(MemberOut), required=True)


class StatsQuery(Schema):
    first = Date(load_default=None, metadata={"description": "first local day (tenant's zone); default today",
                                              "example": "2026-11-02"})
    last = Date(load_default=None, metadata={"description": "last local day, included; default `first`",
                                             "example": "2026-11-08"})


class MemberStats(Schema):
    member = String(required=True)
    answered = Integer(required=True)
    talk_seconds = Float(required=True)


class StatsOut(Schema):
    group = String(required=True)
    start = String(required=True, metadata={"description": "UTC instant of the first day's local midnight"})
    end = String(required=True, metadata={"description": "UTC instant after the last day (excluded)"})
    offered = Integer(required=True)
    answered = Integer(required=True)
    abandoned = Integer(required=True)
    overflowed = Integer(required=True)
    unanswered = Integer(required=True)
    closed = Integer(required=True, metadata={"description": "calls while closed (not offered)"})
    average_wait = Float(required=True)
    longest_wait = Float(required=True)
    abandoned_average_wait = Float(required=True)
    service_level = Float(required=True, allow_none=True, metadata={"description": "0..1; null with no calls"})
    members = List(Nested(MemberStats), required=True)


def _settings(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "name"}


@bp.get("")
@access(TENANT)
@bp.output(GroupList)
def list_groups(domain):
    """The tenant's call groups by name."""
    return {"items": app.list_groups(app_context(), domain)}


@bp.post("")
@access(TENANT)
@bp.input(GroupIn, arg_name="body", example={"name": "Ventas", "ring_mode": "simultaneous", "total_seconds": 30,
                                             "no_answer_destination": "voicemail:"})
@bp.output(GroupOut, status_code=201)
def create_group(domain, body):
    """Create a group (add members with POST …/members)."""
    group = app.add_group(app_context(), domain, body["name"], **_settings(body)).value
    return with_etag(GroupOut, group, 201, {"Location": f"/api/v1/tenants/{group.tenant}/groups/"
                                                          f"{quote(group.name, safe='')}"})


@bp.get("/<group>")
@access(TENANT)
@bp.output(GroupOut)
def get_group(domain, group):
    """One group with its members (with its ETag)."""
    return with_etag(GroupOut, app.get_group(app_context(), domain, group))


@bp.patch("/<group>")
@access(TENANT)
@bp.input(GroupPatch, arg_name="body", example={"ring_mode": "consecutive", "member_seconds": 15})
@bp.output(GroupOut)
def change_group(domain, group, body):
    """Change the settings given; send If-Match."""
    ctx = app_context()
    check_if_match(schema_of(GroupOut).dump(app.get_group(ctx, domain, group)))
    return with_etag(GroupOut, app.change_group(ctx, domain, group, **body).value)


@bp.delete("/<group>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_group(domain, group):
    """Remove a group (409 while a number, menu, forward or group routes to it)."""
    ctx = app_context()
    check_if_match(schema_of(GroupOut).dump(app.get_group(ctx, domain, group)), required=False)
    app.remove_group(ctx, domain, group)
    return ""


@bp.get("/<group>/members")
@access(TENANT)
@bp.output(MemberList)
def list_members(domain, group):
    """The members in ringing order."""
    return {"items": app.get_group(app_context(), domain, group).members}


@bp.post("/<group>/members")
@access(TENANT)
@bp.input(MemberIn, arg_name="body", example={"user": "1001"})
@bp.output(MemberList, status_code=201)
def add_member(domain, group, body):
    """Add a user (by extension) or an external number, rung after the others (409 if already a member)."""
    if ("user" in body) == ("number" in body):
        raise InvalidInput("user", "give either `user` (an extension) or `number`, not both")
    done = app.add_member(app_context(), domain, group, body.get("user"), body.get("number"))
    return {"items": done.value.members}, 201


@bp.delete("/<group>/members/<member>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_member(domain, group, member):
    """Remove a member: an extension, or an external number (+34…)."""
    user, number = (None, member) if member.startswith("+") else (member, None)
    app.remove_member(app_context(), domain, group, user, number)
    return ""


@bp.get("/<group>/stats")
@access(TENANT)
@bp.input(StatsQuery, location="query", arg_name="query")
@bp.output(StatsOut)
def group_stats(domain, group, query):
    """Calls offered, answered, abandoned, overflowed; waits, service level, and per member, for local days."""
    done = app.group_stats(app_context(), domain, group, query["first"], query["last"])
    figures = done.figures
    return {"group": done.group.name, "start": done.start.isoformat() + "Z", "end": done.end.isoformat() + "Z",
            **{name: getattr(figures, name) for name in StatsOut._declared_fields
               if name not in ("group", "start", "end", "members")},
            "members": [{"member": name, "answered": m.answered, "talk_seconds": m.talk_seconds}
                        for name, m in sorted(figures.members.items())]}


@bp.get("/<group>/stats.csv")
@access(TENANT)
@bp.input(StatsQuery, location="query", arg_name="query")
@bp.output({}, content_type="text/csv", description="The same figures as CSV (a row for the group, one per member)")
def group_stats_csv(domain, group, query):
    """The statistics as CSV, for a spreadsheet."""
    done = app.group_stats(app_context(), domain, group, query["first"], query["last"])
    name = quote(done.group.name, safe="")
    return Response(stats.to_csv(done.group.name, done.figures), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}-stats.csv"})
