"""Call groups: each group's settings and members, and its statistics for a month as charts
(offered, answered and abandoned per day; answered per member), with the waits, the service level and
the CSV of fs_plugins.groups.stats (the same figures as `centralita group stats`)."""
from __future__ import annotations

import calendar
import datetime as dt

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from fs_plugins.billing import report as billing
from fs_plugins.calllog.log import tenant_zone
from fs_plugins.errors import InvalidInput
from fs_plugins.groups import app, stats
from fs_plugins.portal import charts
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, page

bp = Blueprint("admin_groups", __name__)
ANSWERED, ABANDONED, OTHER = "#2e7d32", "#c62828", "#9e9e9e"


@bp.get("/t/<domain>/groups")
@area(ADMIN)
def groups(domain: str):
    admin_tenant(domain, "manage call groups")
    return page("admin/groups.html", domain=domain, groups=app.list_groups(app_context(), domain))


@bp.get("/t/<domain>/groups/<int:group_id>/stats")
@area(ADMIN)
def group_stats(domain: str, group_id: int):
    owner = admin_tenant(domain, "read call group statistics")
    month = request.args.get("month") or dt.date.today().strftime("%Y-%m")
    try:
        start, end = billing.parse_month(month, "month")
    except InvalidInput as exc:
        month, outcome = dt.date.today().strftime("%Y-%m"), Outcome(errors={exc.field: exc.message})
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
