"""The text forms users type for schedules, parsed into rules values and written back.

Weekly hours: ``DAYS TIMES``, several groups separated by ``;``
  DAYS   ``mon``, ``mon-fri`` (``fri-mon`` wraps round the week), ``mon,wed,fri``, ``daily``;
         English or Spanish three-letter names (``lun-vie``, ``sáb``) in any letter case
  TIMES  ``09:00-14:00,16:00-19:00``; ``24:00`` ends a range at midnight and so does ``00:00`` as an
         end; an end before the start runs past midnight (``fri 22:00-02:00``)
  e.g. ``mon-fri 09:00-14:00,16:00-19:00; sat 10:00-13:00``

One-off periods (closures, openings) are local wall-clock times in the schedule's zone:
``--date 2026-12-24`` (the whole day), ``--date 2026-12-24 --from 14:00 --to 18:00``, or
``--from "2026-12-24 14:00" --to "2026-12-26 09:00"``.
"""
from __future__ import annotations

import datetime as dt
import re

from fs_plugins.errors import InvalidInput
from fs_plugins.schedule.rules import MINUTES_PER_DAY, WEEKDAYS, WeeklyRange, hhmm

_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)}
_DAY_NAMES.update({name: i for i, name in enumerate(("lun", "mar", "mie", "jue", "vie", "sab", "dom"))})
_DAY_NAMES.update({"mié": 2, "sáb": 5})
_TIME = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])\Z")


def _day(name: str, field: str) -> int:
    try:
        return _DAY_NAMES[name.strip().lower()]
    except KeyError:
        raise InvalidInput(field, f"unknown day {name.strip()!r}; use mon tue wed thu fri sat sun") from None


def parse_days(text: str, field: str = "hours") -> list[int]:
    if text.strip().lower() in ("daily", "diario"):
        return list(range(7))
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        start = _day(first, field)
        if not dash:
            days.append(start)
            continue
        end = _day(last, field)
        days += [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    return sorted(set(days))


def parse_clock(text: str, field: str, is_end: bool = False) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise InvalidInput(field, f"bad time {text.strip()!r}; use HH:MM")
    minute = int(match[1]) * 60 + int(match[2])
    if minute > MINUTES_PER_DAY or (minute == MINUTES_PER_DAY and not is_end):
        raise InvalidInput(field, f"bad time {text.strip()!r}; 24:00 is only allowed as an end")
    return MINUTES_PER_DAY if is_end and minute == 0 else minute


def parse_hours(text: str, field: str = "hours") -> tuple[WeeklyRange, ...]:
    """Parse one hours text (see the module docstring) into weekly ranges."""
    ranges: list[WeeklyRange] = []
    for group in filter(str.strip, text.split(";")):
        days_text, _, times_text = group.strip().replace("\t", " ").partition(" ")
        if not times_text.strip():
            raise InvalidInput(field, f"expected 'DAYS HH:MM-HH:MM[,HH:MM-HH:MM]', got {group.strip()!r}")
        days = parse_days(days_text, field)
        for span in times_text.replace(" ", "").split(","):
            start_text, dash, end_text = span.partition("-")
            if not dash:
                raise InvalidInput(field, f"bad range {span!r}; use HH:MM-HH:MM")
            start, end = parse_clock(start_text, field), parse_clock(end_text, field, is_end=True)
            if start == end:
                raise InvalidInput(field, f"range {span!r} starts and ends at the same time")
            ranges += [WeeklyRange(day, start, end) for day in days]
    if not ranges:
        raise InvalidInput(field, "no hours given")
    return tuple(sorted(set(ranges)))


def _day_list(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs)


def format_hours(ranges) -> list[str]:
    """Weekly ranges as hours texts, days with the same times grouped: ['mon-fri 09:00-14:00']."""
    by_day: dict[int, tuple] = {}
    for r in sorted(ranges):
        by_day[r.weekday] = by_day.get(r.weekday, ()) + (f"{hhmm(r.start)}-{hhmm(r.end)}",)
    groups: dict[tuple, list[int]] = {}
    for day, times in sorted(by_day.items()):
        groups.setdefault(times, []).append(day)
    lines = [(days, times) for times, days in groups.items()]
    return [f"{_day_list(days)} {','.join(times)}" for days, times in sorted(lines)]


def parse_date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, f"bad date {text!r}; use YYYY-MM-DD") from None


def parse_wall_time(text: str, field: str) -> dt.datetime:
    """A local date and time ("2026-12-24 14:00"), without any zone: it is the schedule's."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, f"bad date-time {text!r}; use 'YYYY-MM-DD HH:MM'") from None
    if value.tzinfo is not None:
        raise InvalidInput(field, "give the local time in the schedule's time zone, without an offset")
    return value


def parse_period(date: str | None, start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) of a closure or opening from the --date/--from/--to options."""
    if date:
        day = dt.datetime.combine(parse_date(date, "--date"), dt.time())
        if not (start or end):
            return day, day + dt.timedelta(days=1)
        first = day + dt.timedelta(minutes=parse_clock(start, "--from")) if start else day
        last = day + dt.timedelta(minutes=parse_clock(end, "--to", is_end=True)) if end else day + dt.timedelta(days=1)
    elif start and end:
        first, last = parse_wall_time(start, "--from"), parse_wall_time(end, "--to")
    else:
        raise InvalidInput("--date", "give --date, or both --from and --to")
    if last <= first:
        raise InvalidInput("--to", f"the end ({last:%Y-%m-%d %H:%M}) must be after the start ({first:%Y-%m-%d %H:%M})")
    return first, last


def parse_week(days: dict[str, str]) -> tuple[WeeklyRange, ...]:
    """A week typed day by day, as the portal's week view edits it: {"mon": "09:00-14:00,16:00-19:00",
    …} (days named as WEEKDAYS); an empty day is closed. An error names the day's field, hours_<day>."""
    ranges: list[WeeklyRange] = []
    for name, text in days.items():
        if name not in WEEKDAYS:
            raise InvalidInput("hours", f"unknown day {name!r}; use mon tue wed thu fri sat sun")
        if text.strip():
            if ";" in text or any(c.isalpha() for c in text):
                raise InvalidInput(f"hours_{name}", f"expected HH:MM-HH:MM[,HH:MM-HH:MM], got {text.strip()!r}")
            ranges += parse_hours(f"{name} {text}", f"hours_{name}")
    return tuple(sorted(set(ranges)))


def format_week(ranges) -> dict[str, str]:
    """Weekly ranges day by day, what parse_week reads back: {"mon": "09:00-14:00,16:00-19:00", …}."""
    week = {name: [] for name in WEEKDAYS}
    for r in sorted(ranges):
        week[WEEKDAYS[r.weekday]].append(f"{hhmm(r.start)}-{hhmm(r.end)}")
    return {name: ",".join(times) for name, times in week.items()}
