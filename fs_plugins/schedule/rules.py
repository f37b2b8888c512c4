"""Is a schedule open at an instant, and why: one pure decision over frozen dataclasses.

Precedence (first match wins; every row is tested in tests/test_schedule_rules.py):

  1. closure   a one-off closed period (a date or a date-time range)  → closed, "closure: <label>"
  2. opening   a one-off open period                                 → open,   "opening: <label>"
  3. holiday   the local calendar date is a holiday of the calendar  → closed, "holiday: <name>"
  4. weekly    a weekly range covers the local day and minute        → open,   "within hours: <range>"
  5. otherwise                                                       → closed, "outside hours"

So a closure beats everything (close early on a day you opened specially), an opening beats
holidays (work on a local holiday), and a holiday closes the whole local calendar day 00:00–24:00,
including the part of a night range that started the evening before. A schedule without weekly
ranges is closed except during openings.

Time: the instant must be timezone-aware; it is converted to the schedule's zone and every
comparison is on the local wall clock. That is what people mean by "9 to 2" and "closed on the
24th", and it makes daylight-saving changes come out right: on a spring-forward night the skipped
hour never happens (a range over it is simply shorter), on a fall-back night the repeated hour is
within a range both times it happens. Closures and openings are stored as local wall-clock times
in the schedule's zone for the same reason.

Holidays come from the `holidays` package, computed per year on first use and kept in a small
cache; no clock and no I/O are involved, so `state_at` is a pure function of its arguments.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

# State.reason values
CLOSURE = "closure"
OPENING = "opening"
HOLIDAY = "holiday"
WITHIN_HOURS = "within hours"
OUTSIDE_HOURS = "outside hours"


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, order=True)
class WeeklyRange:
    """Open on `weekday` (0 = Monday) from `start` to `end`, in minutes after local midnight.

    `end` is exclusive and may be 1440 (24:00). An `end` before `start` runs past midnight into the
    next day: (fri, 22:00, 02:00) is open Friday 22:00–24:00 and Saturday 00:00–02:00.
    """

    weekday: int
    start: int
    end: int

    def __post_init__(self):
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if not (0 <= self.start < MINUTES_PER_DAY and 0 <= self.end <= MINUTES_PER_DAY):
            raise ValueError(f"minutes out of range: {self.start}-{self.end}")
        if self.start == self.end:
            raise ValueError("a range must not start and end at the same time")

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def covers(self, weekday: int, minute: int) -> bool:
        if not self.crosses_midnight:
            return weekday == self.weekday and self.start <= minute < self.end
        if weekday == self.weekday:
            return minute >= self.start
        return weekday == (self.weekday + 1) % 7 and minute < self.end

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {hhmm(self.start)}-{hhmm(self.end)}"


@dataclass(frozen=True)
class Period:
    """A one-off period [start, end) in local wall-clock time (naive datetimes), with a label."""

    start: dt.datetime
    end: dt.datetime
    label: str = ""
    id: int | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("period bounds are local wall-clock times: pass naive datetimes")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    def covers(self, wall: dt.datetime) -> bool:
        return self.start <= wall < self.end


@lru_cache(maxsize=256)
def _year_holidays(country: str, region: str | None, language: str | None, year: int) -> dict:
    # Building a year of holidays costs about a millisecond; a PBX asks for few distinct years.
    return dict(holidays_lib.country_holidays(country, subdiv=region, years=year, language=language))


@dataclass(frozen=True)
class HolidayCalendar:
    """The public holidays of a country (ISO 3166-1) and optional subdivision (ISO 3166-2 part)."""

    country: str
    region: str | None = None
    language: str | None = None  # a language the `holidays` package has names in, or its default

    def name_on(self, day: dt.date) -> str | None:
        return _year_holidays(self.country, self.region, self.language, day.year).get(day)

    def between(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """Holidays from `first` to `last` inclusive, in date order."""
        found = []
        for year in range(first.year, last.year + 1):
            found += [(d, n) for d, n in _year_holidays(self.country, self.region, self.language, year).items()
                      if first <= d <= last]
        return sorted(found)

    def __str__(self) -> str:
        return f"{self.country}-{self.region}" if self.region else self.country


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    weekly: tuple[WeeklyRange, ...] = ()
    holidays: HolidayCalendar | None = None
    closures: tuple[Period, ...] = ()
    openings: tuple[Period, ...] = ()
    id: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances by key


@dataclass(frozen=True)
class State:
    is_open: bool
    reason: str  # one of CLOSURE, OPENING, HOLIDAY, WITHIN_HOURS, OUTSIDE_HOURS
    detail: str  # the closure/opening label, the holiday's name, or the weekly range that matched
    local_time: dt.datetime  # the instant in the schedule's zone

    def __str__(self) -> str:
        word = "open" if self.is_open else "closed"
        return f"{word}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


def state_at(schedule: Schedule, instant: dt.datetime) -> State:
    """Open or closed at `instant` (timezone-aware), and why; see the precedence at the top."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("state_at needs a timezone-aware instant")
    # Through UTC: astimezone() to the instant's own zone would return it unchanged, keeping a
    # wall time that does not exist (02:30 on a spring-forward night) instead of the real one.
    local = instant.astimezone(dt.timezone.utc).astimezone(schedule.zone)
    wall = local.replace(tzinfo=None)
    for period in schedule.closures:
        if period.covers(wall):
            return State(False, CLOSURE, period.label, local)
    for period in schedule.openings:
        if period.covers(wall):
            return State(True, OPENING, period.label, local)
    if schedule.holidays is not None:
        name = schedule.holidays.name_on(wall.date())
        if name:
            return State(False, HOLIDAY, name, local)
    weekday, minute = wall.weekday(), wall.hour * 60 + wall.minute
    for weekly in schedule.weekly:
        if weekly.covers(weekday, minute):
            return State(True, WITHIN_HOURS, str(weekly), local)
    return State(False, OUTSIDE_HOURS, "", local)
