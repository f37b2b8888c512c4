"""A customer's schedules, as a week view (when each schedule is open, day by day) with the public
holidays of its country and region for the year, its closures and openings, and whether it is open
now. Read through fs_plugins.schedule.app, whose views carry the values the dialplan decides with.

Edited here too (issue 16 [13]): the week day by day (schedule.spec.parse_week, an error next to the
day), the time zone and holidays, and closures and openings added and removed one at a time; every
change is schedule.app's, confirmed on the page, refused with nothing written."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, redirect, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.i18n import wall
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.schedule import app, rules, spec
from fs_plugins.schedule.loader import holiday_language

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


def _year() -> int:
    """The year asked for (its holidays are shown, and links to the years either side), else this one."""
    asked = request.args.get("year", "")
    year = int(asked) if asked.isascii() and asked.isdecimal() and len(asked) <= 4 else 0
    return year if dt.MINYEAR < year < dt.MAXYEAR else dt.date.today().year


def _shown(view: app.ScheduleView, year: int) -> dict:
    """A schedule as the week view shows it: bars per day, the year's holidays, open or closed now."""
    schedule = _in_page_language(view.rules)
    holidays = schedule.holidays.between(dt.date(year, 1, 1), dt.date(year, 12, 31)) if schedule.holidays else []
    day_names = get_locale().days["format"]["wide"]  # Babel's own names, 0 = Monday
    state = rules.state_at(schedule, dt.datetime.now(dt.timezone.utc))
    return {"schedule": schedule, "days": [(day_names[n], bars) for n, bars in enumerate(day_bars(schedule.weekly))],
            "holidays": [(format_date(day, "full"), name) for day, name in holidays],
            "state": state, "now_detail": _now_detail(state, day_names)}


def _in_page_language(schedule: rules.Schedule) -> rules.Schedule:
    """The schedule with its holidays named in the page's language (the dialplan's are the tenant's),
    when the `holidays` package has names in it; else as they are."""
    calendar = schedule.holidays
    if calendar is None:
        return schedule
    language = holiday_language(calendar.country, str(get_locale()))
    return dataclasses.replace(schedule, holidays=dataclasses.replace(calendar, language=language or calendar.language))


def _now_detail(state: rules.State, day_names) -> str:
    """Why it is open or closed now, in the page's language: a weekly range ("thu 09:00-14:00" in
    the rules) reads "jueves 09:00–14:00"; a label or a holiday's name is shown as it is."""
    if state.reason != rules.WITHIN_HOURS:
        return state.detail
    day, _, hours = state.detail.partition(" ")
    return f"{day_names[rules.WEEKDAYS.index(day)]} {hours.replace('-', '–')}"


@bp.get("/t/<domain>/schedules")
@area(ADMIN)
def schedules(domain: str):
    admin_tenant(domain, "read the schedules")
    year = _year()
    shown = [_shown(view, year) for view in app.list_schedules(app_context(), domain)]
    return page("admin/schedules.html", domain=domain, year=year, schedules=shown)


def _id(text: str) -> int:
    return parse_id(text) or 0  # no period has id 0: remove_period says it is not there


def _find(domain: str, schedule_id: int) -> app.ScheduleView:
    """The tenant's schedule by id: another tenant's id is the same 404 as a missing one."""
    found = next((v for v in app.list_schedules(app_context(), domain) if v.rules.id == schedule_id), None)
    if found is None:
        raise NotFound("schedule", "no such schedule")
    return found


def _values(view: app.ScheduleView) -> dict:
    holidays = view.rules.holidays
    values = {"name": view.name, "description": view.description or "",
              "timezone": "" if view.follows_tenant_timezone else view.timezone,
              "holidays": "tenant" if view.follows_tenant_holidays else (holidays.country if holidays else "none"),
              "region": (holidays.region or "") if holidays and not view.follows_tenant_holidays else ""}
    values.update({f"hours_{day}": text for day, text in spec.format_week(view.rules.weekly).items()})
    return values


def _editor(domain: str, view=None, values=None, outcome: Outcome | None = None):
    day_names = get_locale().days["format"]["wide"]
    return page("admin/schedule_edit.html", outcome=outcome, domain=domain, schedule=view, year=_year(),
                shown=_shown(view, _year()) if view else None,
                days=[(name, day_names[n]) for n, name in enumerate(rules.WEEKDAYS)],
                values=values if values is not None else (_values(view) if view else {"holidays": "tenant"}))


@bp.route("/t/<domain>/schedules/new", methods=["GET", "POST"])
@area(ADMIN)
def new_schedule(domain: str):
    admin_tenant(domain, "change schedules")
    if request.method == "GET":
        return _editor(domain)
    return _save(domain, None)


@bp.route("/t/<domain>/schedules/<int:schedule_id>", methods=["GET", "POST"])
@area(ADMIN)
def edit_schedule(domain: str, schedule_id: int):
    admin_tenant(domain, "change schedules")
    view = _find(domain, schedule_id)
    if request.method == "GET":
        saved = Outcome(notice=_("Schedule %(name)s saved.", name=view.name)) if request.args.get("saved") else None
        return _editor(domain, view, outcome=saved)
    return _save(domain, view)


def _save(domain: str, view):
    fields = ("name", "description", "timezone", "holidays", "region", *(f"hours_{d}" for d in rules.WEEKDAYS))
    values = {name: request.form.get(name, "").strip() for name in fields}
    ctx = app_context()
    try:
        hours = spec.parse_week({day: values[f"hours_{day}"] for day in rules.WEEKDAYS})
        settings = dict(hours=hours, description=values["description"], holidays=values["holidays"] or "tenant",
                        region=values["region"] or None)
        if view is None:
            saved = app.add_schedule(ctx, domain, values["name"], timezone=values["timezone"] or None, **settings).value
        else:
            saved = app.change_schedule(ctx, domain, view.name, name=values["name"],
                                        timezone=values["timezone"] or "tenant", **settings).value
    except (InvalidInput, NotFound) as exc:
        return _editor(domain, view, values, Outcome.refused(exc))
    return redirect(f"/t/{domain}/schedules/{saved.rules.id}?saved=1", code=303)


@bp.post("/t/<domain>/schedules/<int:schedule_id>/periods")
@area(ADMIN)
def periods(domain: str, schedule_id: int):
    """Add a closure or an opening (local times of the schedule), or remove one."""
    admin_tenant(domain, "change schedules")
    view = _find(domain, schedule_id)
    form, ctx = request.form, app_context()
    kind = form.get("kind", "")
    if form.get("action") == "remove":
        outcome = attempt(lambda: app.remove_period(ctx, domain, view.name, kind, _id(form.get("id", ""))),
                          lambda done: _("%(start)s – %(end)s removed.", start=wall(done.value.starts_at),
                                                        end=wall(done.value.ends_at)))
    else:
        outcome = attempt(lambda: app.add_period(
            ctx, domain, view.name, kind, spec.parse_wall_time(form.get("starts_at", ""), "starts_at"),
            spec.parse_wall_time(form.get("ends_at", ""), "ends_at"), form.get("label", "").strip() or None),
            lambda done: _("%(start)s – %(end)s added.", start=wall(done.value.starts_at), end=wall(done.value.ends_at)))
    period_values = {} if outcome.ok else {k: form.get(k, "") for k in ("kind", "starts_at", "ends_at", "label")}
    return _editor(domain, _find(domain, schedule_id), {**_values(view), **period_values}, outcome)
