"""Call groups: each group's settings and members, edited here, and its statistics for a month as
charts (offered, answered and abandoned per day; answered per member), with the waits, the service
level and the CSV of fs_plugins.groups.stats (the same figures as `centralita group stats`).

Editing is fs_plugins.groups.app's: one form of settings (the fields are the app's setting names, so
an error lands next to its field), members added, removed and reordered one change at a time (arrows
without JavaScript, drag and drop with it: both post to the app's move/order). A simple group may
become advanced, never back (the app refuses it; the form offers only what is possible)."""
from __future__ import annotations

import calendar
import datetime as dt

from flask import Blueprint, Response, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.billing import report as billing
from fs_plugins.calllog.log import tenant_zone
from fs_plugins.audio.library import list_audio
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.groups import app, stats
from fs_plugins.groups.kinds import ADVANCED
from fs_plugins.portal import charts
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.schedule import app as schedules

bp = Blueprint("admin_groups", __name__)
ANSWERED, ABANDONED, OTHER = "#2e7d32", "#c62828", "#9e9e9e"


@bp.get("/t/<domain>/groups")
@area(ADMIN)
def groups(domain: str):
    admin_tenant(domain, "manage call groups")
    return page("admin/groups.html", domain=domain, groups=app.list_groups(app_context(), domain))


TEXT = ("name", "comment", "kind", "ring_mode", "melody", "opening", "schedule", "short_number", "callback_key",
        "no_answer_destination", "closed_destination", "overflow_destination")
NUMBERS = ("member_seconds", "total_seconds", "queue_size", "max_wait", "announce_every", "rounds",
           "service_level_seconds")
KINDS = (("simple", _l("Simple: the members ring")), ("advanced", _l("Advanced: callers wait in a queue")))
RING_MODES = (("simultaneous", _l("Simultaneous: all at once")), ("consecutive", _l("Consecutive: one after another")))
OPENINGS = (("open", _l("Always open")), ("schedule", _l("By schedule")), ("closed", _l("Always closed")))
MELODIES = (("ringback", _l("Ringback tone")), ("music", _l("Music")))


def _values(group: app.GroupView) -> dict:
    ref = lambda d: d.label.split(" (")[0] if d is not None else ""  # noqa: E731  what a person types back
    values = {name: str(getattr(group, name) or "") for name in (*TEXT, *NUMBERS) if not name.endswith("destination")}
    values.update({name: ref(getattr(group, name)) for name in TEXT if name.endswith("destination")})
    return values


def _group(domain: str, group_id: int) -> app.GroupView:
    """The tenant's group by id: another tenant's id is the same 404 as a missing one."""
    try:
        return app.get_group(app_context(), domain, str(group_id))
    except NotFound:
        raise NotFound("group", "no such call group") from None


def _editor(owner, domain: str, group=None, values=None, outcome: Outcome | None = None):
    audio = [(f"audio:{a.name}", _("Audio: %(name)s", name=a.name)) for a in list_audio(owner)]
    kinds = KINDS[1:] if group is not None and group.kind == ADVANCED else KINDS  # advanced never goes back
    return page("admin/group_edit.html", outcome=outcome, domain=domain, group=group, kinds=kinds,
                ring_modes=RING_MODES, openings=OPENINGS, melodies=MELODIES + tuple(audio),
                schedules=[s.name for s in schedules.list_schedules(app_context(), domain)],
                values=values if values is not None else (_values(group) if group else {
                    "kind": "simple", "ring_mode": "simultaneous", "melody": "ringback", "opening": "open",
                    "member_seconds": "15", "total_seconds": "60", "queue_size": "10", "max_wait": "300",
                    "announce_every": "60", "rounds": "1", "service_level_seconds": "20"}))


@bp.route("/t/<domain>/groups/new", methods=["GET", "POST"])
@area(ADMIN)
def new_group(domain: str):
    owner = admin_tenant(domain, "manage call groups")
    if request.method == "GET":
        return _editor(owner, domain)
    return _save(owner, domain, None)


@bp.route("/t/<domain>/groups/<int:group_id>", methods=["GET", "POST"])
@area(ADMIN)
def edit_group(domain: str, group_id: int):
    owner = admin_tenant(domain, "manage call groups")
    group = _group(domain, group_id)
    if request.method == "GET":
        notice = request.args.get("saved")
        return _editor(owner, domain, group, outcome=Outcome(notice=_(
            "Call group %(name)s saved.", name=group.name)) if notice else None)
    return _save(owner, domain, group)


def _save(owner, domain: str, group):
    values = {name: request.form.get(name, "").strip() for name in (*TEXT, *NUMBERS)}
    changes = {name: values[name] for name in (*TEXT, *NUMBERS) if name != "name"}
    ctx = app_context()
    try:
        if group is None:
            saved = app.add_group(ctx, domain, values["name"], **changes).value
        else:
            saved = app.change_group(ctx, domain, str(group.id), name=values["name"], **changes).value
    except (InvalidInput, NotFound) as exc:
        return _editor(owner, domain, group, values, Outcome.refused(exc))
    return redirect(f"/t/{domain}/groups/{saved.id}?saved=1", code=303)


@bp.post("/t/<domain>/groups/<int:group_id>/members")
@area(ADMIN)
def members(domain: str, group_id: int):
    """Add (user or number), remove, move one place (arrows) or put in a new order (drag and drop)."""
    owner = admin_tenant(domain, "manage call groups")
    group = _group(domain, group_id)
    ctx, form = app_context(), request.form
    action, member = form.get("action", ""), form.get("member", "")
    kind, _sep, who = member.partition(":")
    if action == "add":
        user, number = form.get("user", "").strip(), form.get("number", "").strip()
        outcome = attempt(lambda: app.add_member(ctx, domain, str(group.id), user=user or None,
                                                 number=None if user else number or None),
                          _("Member added to %(name)s.", name=group.name))
    elif action == "remove":
        outcome = attempt(lambda: app.remove_member(ctx, domain, str(group.id), **_member(kind, who)),
                          _("Member removed from %(name)s.", name=group.name))
    elif action in ("up", "down"):
        outcome = attempt(lambda: app.move_member(ctx, domain, str(group.id), member, -1 if action == "up" else 1),
                          _("Ringing order of %(name)s changed.", name=group.name))
    elif action == "order":
        outcome = attempt(lambda: app.order_members(ctx, domain, str(group.id), form.getlist("order")),
                          _("Ringing order of %(name)s changed.", name=group.name))
    else:
        raise NotFound("action", "no such change")
    current = outcome.value.value if outcome.ok else _group(domain, group_id)
    return _editor(owner, domain, current, outcome=outcome)


def _member(kind: str, who: str) -> dict:
    """A member's key (user:EXT or number:E164) as remove_member's argument."""
    if kind not in ("user", "number"):
        raise NotFound("member", "no such member")
    return {kind: who}


@bp.get("/t/<domain>/groups/<int:group_id>/stats")
@area(ADMIN)
def group_stats(domain: str, group_id: int):
    owner = admin_tenant(domain, "read call group statistics")
    month = request.args.get("month") or dt.date.today().strftime("%Y-%m")
    try:
        start, end = billing.parse_month(month, "month")
    except InvalidInput as exc:
        month, outcome = dt.date.today().strftime("%Y-%m"), Outcome.refused(exc)
        start, end = billing.parse_month(month, "month")
    else:
        outcome = None
    zone = tenant_zone(owner.timezone)
    group, days = app.group_rows_by_day(app_context(), domain, str(group_id), start - dt.timedelta(days=1),
                                        end + dt.timedelta(days=1), zone)
    first = start.date()
    month_days = [first.replace(day=n) for n in range(1, calendar.monthrange(first.year, first.month)[1] + 1)]
    daily = [(day, stats.summarise(days.get(day, []), group.service_level_seconds)) for day in month_days]
    total = stats.summarise([row for day in month_days for row in days.get(day, [])], group.service_level_seconds)
    if request.args.get("format") == "csv":
        return Response(stats.to_csv(group.name, total), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="group-{group.id}-{month}.csv"'})
    return page("admin/group_stats.html", outcome=outcome, domain=domain, group=group, month=month, total=total,
                daily=daily, per_day=_per_day(daily), per_member=_per_member(total))


def _per_day(daily) -> charts.Chart:
    return charts.stacked([(str(day.day), [
        (f.answered, ANSWERED, _("%(day)s: %(count)s answered", day=day.day, count=f.answered)),
        (f.abandoned, ABANDONED, _("%(day)s: %(count)s abandoned", day=day.day, count=f.abandoned)),
        (f.offered - f.answered - f.abandoned, OTHER, _("%(day)s: %(count)s overflowed or unanswered", day=day.day,
                                                        count=f.offered - f.answered - f.abandoned))])
        for day, f in daily])


def _per_member(total) -> charts.Chart:
    return charts.stacked([(member, [(figures.answered, ANSWERED, _("%(member)s: %(count)s answered",
                                                                    member=member, count=figures.answered))])
                           for member, figures in sorted(total.members.items())])
