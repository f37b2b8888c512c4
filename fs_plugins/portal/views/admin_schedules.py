"""A customer's schedules, as a week view (when each schedule is open, day by day) with the public
holidays of its country and region for the year, its closures and openings, and whether it is open
now. Read through fs_plugins.schedule.app, whose views carry the values the dialplan decides with."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, request
from flask_babel import format_date, get_locale

from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import page
from fs_plugins.schedule import app, rules

bp = Blueprint("admin_schedules", __name__)


@dataclass(frozen=True)
class Bar:
    """One open stretch of a day, as a share of the day's width (percentages for the CSS)."""

    left: float
    width: float
    label: str


def day_bars(weekly: tuple[rules.WeeklyRange, ...]) -> list[list[Bar]]:
    """Monday..Sunday, each day's open stretches; a range past midnight continues on the next day."""
    days: list[list[Bar]] = [[] for _ in range(7)]
    for r in weekly:
        pieces = [(r.weekday, r.start, r.end)] if not r.crosses_midnight else [
            (r.weekday, r.start, rules.MINUTES_PER_DAY), ((r.weekday + 1) % 7, 0, r.end)]
        for weekday, start, end in pieces:
            if end > start:
                share = 100 / rules.MINUTES_PER_DAY
                days[weekday].append(Bar(start * share, (end - start) * share, f"{rules.hhmm(start)}–{rules.hhmm(end)}"))
    return [sorted(bars, key=lambda b: b.left) for bars in days]


@bp.get("/t/<domain>/schedules")
@area(ADMIN)
def schedules(domain: str):
    admin_tenant(domain, "read the schedules")
    year = int(request.args["year"]) if request.args.get("year", "").isdigit() else dt.date.today().year
    now = dt.datetime.now(dt.timezone.utc)
    shown = []
    for view in app.list_schedules(app_context(), domain):
        schedule = view.rules
        holidays = schedule.holidays.between(dt.date(year, 1, 1), dt.date(year, 12, 31)) if schedule.holidays else []
        day_names = get_locale().days["format"]["wide"]  # Babel's own names, 0 = Monday
        shown.append({"schedule": schedule, "days": [(day_names[n], bars) for n, bars in enumerate(day_bars(schedule.weekly))],
                      "holidays": [(format_date(day, "full"), name) for day, name in holidays],
                      "state": rules.state_at(schedule, now)})
    return page("admin/schedules.html", domain=domain, year=year, schedules=shown)
