"""The pure decision: precedence, minute boundaries, midnight, DST nights, holidays by region."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fs_plugins.errors import InvalidInput
from fs_plugins.schedule.rules import HolidayCalendar, Period, Schedule, WeeklyRange, state_at
from fs_plugins.schedule import rules, spec

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.timezone.utc


def at(text, zone=MADRID):
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def office(*hours, zone="Europe/Madrid", holidays=None, closures=(), openings=()):
    weekly = tuple(r for h in hours for r in spec.parse_hours(h))
    return Schedule("office", zone, weekly, holidays, tuple(closures), tuple(openings))


WEEKDAYS = office("mon-fri 09:00-14:00,16:00-19:00", "sat 10:00-13:00")


@pytest.mark.parametrize("local,is_open", [
    ("2026-03-02 08:59", False),  # Monday, the minute before opening
    ("2026-03-02 09:00", True),  # the minute it opens
    ("2026-03-02 13:59:59", True),
    ("2026-03-02 14:00", False),  # end is exclusive
    ("2026-03-02 15:59", False),
    ("2026-03-02 16:00", True),
    ("2026-03-02 18:59", True),
    ("2026-03-02 19:00", False),
    ("2026-03-07 10:00", True),  # Saturday's own range
    ("2026-03-07 13:00", False),
    ("2026-03-08 10:00", False),  # Sunday: no range
])
def test_weekly_ranges_open_at_their_first_minute_and_close_at_their_end(local, is_open):
    assert state_at(WEEKDAYS, at(local)).is_open is is_open


def test_the_state_says_which_range_matched_or_that_it_is_outside_hours():
    assert str(state_at(WEEKDAYS, at("2026-03-02 09:30"))) == "open: within hours (mon 09:00-14:00)"
    assert str(state_at(WEEKDAYS, at("2026-03-02 15:00"))) == "closed: outside hours"


@pytest.mark.parametrize("local,is_open", [
    ("2026-03-06 21:59", False),  # Friday before the night shift
    ("2026-03-06 22:00", True),
    ("2026-03-06 23:59", True),
    ("2026-03-07 00:00", True),  # Saturday, after midnight, still Friday's range
    ("2026-03-07 01:59", True),
    ("2026-03-07 02:00", False),
    ("2026-03-08 01:00", False),  # Sunday: no range started on Saturday
])
def test_a_range_ending_before_it_starts_runs_past_midnight_into_the_next_day(local, is_open):
    assert state_at(office("fri 22:00-02:00"), at(local)).is_open is is_open


def test_a_sunday_night_range_wraps_into_monday():
    night = office("sun 23:00-01:00")
    assert state_at(night, at("2026-03-09 00:30")).is_open  # Monday
    assert not state_at(night, at("2026-03-09 01:00")).is_open


def test_24_00_ends_a_range_at_midnight():
    late = office("mon 20:00-24:00")
    assert state_at(late, at("2026-03-02 23:59")).is_open
    assert not state_at(late, at("2026-03-03 00:00")).is_open


def test_the_instant_is_converted_to_the_schedule_zone_whatever_zone_it_comes_in():
    # 08:00 UTC is 09:00 in Madrid in winter (CET): open; 07:59 UTC is not.
    assert state_at(WEEKDAYS, dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)).is_open
    assert not state_at(WEEKDAYS, dt.datetime(2026, 3, 2, 7, 59, tzinfo=UTC)).is_open
    assert state_at(WEEKDAYS, dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)).local_time.hour == 9


def test_a_naive_instant_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        state_at(WEEKDAYS, dt.datetime(2026, 3, 2, 9, 0))


# --- daylight saving: 2026-03-29 (Madrid, 02:00→03:00), 2026-10-25 (Madrid, 03:00→02:00),
#     2026-03-08 (New York, 02:00→03:00), 2026-11-01 (New York, 02:00→01:00)

def test_madrid_spring_forward_night_the_skipped_hour_never_opens_and_03_00_is_local_summer_time():
    night = office("sun 01:00-04:00", "sun 02:15-02:45")
    assert state_at(night, dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC)).local_time.hour == 1  # 01:59 CET
    assert state_at(night, dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)).local_time.hour == 3  # 03:00 CEST
    assert state_at(night, dt.datetime(2026, 3, 29, 1, 59, tzinfo=UTC)).is_open  # 03:59 CEST
    assert not state_at(night, dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)).is_open  # 04:00 CEST
    # the 02:15-02:45 range never happens that night: no UTC minute maps into it
    hits = [m for m in range(0, 240) if "02:15" in state_at(
        night, dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC) + dt.timedelta(minutes=m)).detail]
    assert hits == []


def test_madrid_fall_back_night_the_repeated_hour_is_within_hours_both_times():
    night = office("sun 02:00-03:00")
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert state_at(night, first).is_open and state_at(night, second).is_open
    assert state_at(night, first).local_time.utcoffset() == dt.timedelta(hours=2)
    assert state_at(night, second).local_time.utcoffset() == dt.timedelta(hours=1)
    assert not state_at(night, dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)).is_open  # 03:00 CET


def test_madrid_opening_time_follows_the_summer_clock_after_the_change():
    # Monday 09:00 is 08:00 UTC in winter and 07:00 UTC after the spring change.
    assert state_at(WEEKDAYS, dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)).is_open
    assert not state_at(WEEKDAYS, dt.datetime(2026, 3, 30, 6, 59, tzinfo=UTC)).is_open
    assert state_at(WEEKDAYS, dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC)).is_open
    assert not state_at(WEEKDAYS, dt.datetime(2026, 3, 23, 7, 59, tzinfo=UTC)).is_open


def test_new_york_spring_forward_night():
    night = office("sun 01:00-03:30", zone="America/New_York")
    assert state_at(night, dt.datetime(2026, 3, 8, 6, 59, tzinfo=UTC)).is_open  # 01:59 EST
    at_change = state_at(night, dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # 03:00 EDT
    assert at_change.local_time.hour == 3 and at_change.is_open
    assert not state_at(night, dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)).is_open  # 03:30 EDT


def test_new_york_fall_back_night_the_repeated_hour_is_open_twice_and_02_00_comes_once():
    night = office("sun 01:00-02:00", zone="America/New_York")
    assert state_at(night, dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)).is_open  # 01:30 EDT
    assert state_at(night, dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)).is_open  # 01:30 EST
    assert not state_at(night, dt.datetime(2026, 11, 1, 7, 0, tzinfo=UTC)).is_open  # 02:00 EST
    assert state_at(night, at("2026-11-01 01:30", NEW_YORK)).is_open


# --- holidays

MADRID_HOLIDAYS = HolidayCalendar("ES", "MD")
CATALONIA_HOLIDAYS = HolidayCalendar("ES", "CT")


@pytest.mark.parametrize("day,madrid,catalonia", [
    ("2026-04-02", True, False),  # Holy Thursday: Madrid yes, Catalonia no
    ("2026-04-03", True, True),  # Good Friday: national
    ("2026-04-06", False, True),  # Easter Monday: Catalonia only
    ("2026-05-02", True, False),  # Fiesta de la Comunidad de Madrid
    ("2026-09-11", False, True),  # Diada
    ("2027-03-25", True, False),  # Easter moves: Holy Thursday 2027
    ("2027-03-26", True, True),  # Good Friday 2027
    ("2027-03-29", False, True),  # Easter Monday 2027
    ("2027-04-02", False, False),  # 2026's Holy Thursday date is a working day in 2027
])
def test_regional_and_easter_based_holidays_differ_between_madrid_and_catalonia(day, madrid, catalonia):
    noon = at(f"{day} 12:00")
    hours = "daily 00:00-24:00"
    assert (not state_at(office(hours, holidays=MADRID_HOLIDAYS), noon).is_open) is madrid
    assert (not state_at(office(hours, holidays=CATALONIA_HOLIDAYS), noon).is_open) is catalonia


def test_a_holiday_closes_the_whole_local_day_and_names_the_holiday():
    sched = office("daily 00:00-24:00", holidays=HolidayCalendar("ES", "MD", "es"))
    assert str(state_at(sched, at("2026-04-03 00:00"))) == "closed: holiday (Viernes Santo)"
    assert state_at(sched, at("2026-04-03 23:59")).reason == rules.HOLIDAY
    assert state_at(sched, at("2026-04-04 00:00")).is_open
    assert state_at(sched, at("2026-04-02 23:59")).reason == rules.HOLIDAY  # Madrid's Holy Thursday


def test_year_end_new_years_eve_is_open_and_new_years_day_closed_at_midnight():
    night = office("daily 20:00-02:00", holidays=MADRID_HOLIDAYS)
    assert state_at(night, at("2026-12-31 23:59")).is_open
    first = state_at(night, at("2027-01-01 00:00"))
    assert not first.is_open and first.reason == rules.HOLIDAY  # the holiday wins from midnight
    # the holiday covers its own date only: after midnight Jan 1's night range runs on
    assert state_at(night, at("2027-01-02 01:00")).is_open


def test_holidays_are_evaluated_on_the_local_date_not_the_utc_date():
    sched = office("daily 00:00-24:00", holidays=MADRID_HOLIDAYS)
    # 23:30 UTC on Dec 31 is already 00:30 on Jan 1 in Madrid
    assert not state_at(sched, dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).is_open


# --- precedence: closure > opening > holiday > weekly

def period(start, end, label):
    return Period(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), label)


def test_precedence_closure_over_opening_over_holiday_over_weekly():
    christmas = office(
        "daily 09:00-18:00", holidays=MADRID_HOLIDAYS,
        openings=[period("2026-12-25 10:00", "2026-12-25 14:00", "Christmas hotline")],
        closures=[period("2026-12-25 12:00", "2026-12-25 13:00", "Staff lunch"),
                  period("2026-12-24 14:00", "2026-12-24 18:00", "Christmas Eve afternoon")],
    )
    table = [
        ("2026-12-24 10:00", True, rules.WITHIN_HOURS),
        ("2026-12-24 14:00", False, rules.CLOSURE),  # closure over weekly hours
        ("2026-12-25 09:30", False, rules.HOLIDAY),  # holiday over weekly hours
        ("2026-12-25 10:00", True, rules.OPENING),  # opening over the holiday
        ("2026-12-25 12:30", False, rules.CLOSURE),  # closure over the opening
        ("2026-12-25 13:00", True, rules.OPENING),
        ("2026-12-25 14:00", False, rules.HOLIDAY),
    ]
    for local, is_open, reason in table:
        state = state_at(christmas, at(local))
        assert (local, state.is_open, state.reason) == (local, is_open, reason)
    assert state_at(christmas, at("2026-12-24 15:00")).detail == "Christmas Eve afternoon"


def test_a_closure_overrides_a_holiday_and_gives_its_own_label():
    sched = office("daily 00:00-24:00", holidays=MADRID_HOLIDAYS,
                   closures=[period("2026-12-25 00:00", "2026-12-26 00:00", "Inventory")])
    assert str(state_at(sched, at("2026-12-25 08:00"))) == "closed: closure (Inventory)"


def test_an_opening_outside_weekly_hours_opens_only_for_its_period():
    sched = office("mon-fri 09:00-14:00", openings=[period("2026-03-08 10:00", "2026-03-08 12:00", "Fair")])
    assert state_at(sched, at("2026-03-08 10:00")).is_open
    assert not state_at(sched, at("2026-03-08 12:00")).is_open


def test_a_schedule_without_hours_is_closed_except_during_openings():
    assert not state_at(office(), at("2026-03-02 10:00")).is_open


def test_a_schedule_without_a_holiday_calendar_ignores_holidays():
    assert state_at(office("daily 00:00-24:00"), at("2026-12-25 10:00")).is_open


def test_holiday_calendar_lists_the_holidays_between_two_dates_across_years():
    found = MADRID_HOLIDAYS.between(dt.date(2026, 12, 20), dt.date(2027, 1, 10))
    assert [d.isoformat() for d, _ in found] == ["2026-12-25", "2027-01-01", "2027-01-06"]


# --- value checks in the dataclasses themselves

def test_a_period_must_end_after_it_starts():
    with pytest.raises(ValueError):
        period("2026-12-24 18:00", "2026-12-24 14:00", "x")


def test_a_weekly_range_must_not_be_empty():
    with pytest.raises(ValueError):
        WeeklyRange(0, 540, 540)


# --- the typed forms

def test_hours_text_parses_days_ranges_lists_and_spanish_names():
    assert spec.parse_hours("lun-vie 09:00-14:00") == spec.parse_hours("mon-fri 09:00-14:00")
    assert len(spec.parse_hours("mon,wed,fri 09:00-10:00")) == 3
    assert [r.weekday for r in spec.parse_hours("fri-mon 09:00-10:00")] == [0, 4, 5, 6]
    assert spec.parse_hours("Sáb 10:00-13:00") == (WeeklyRange(5, 600, 780),)
    assert spec.parse_hours("sun 22:00-00:00") == (WeeklyRange(6, 1320, 1440),)


def test_hours_are_written_back_grouped_and_round_trip():
    text = ["mon-fri 09:00-14:00,16:00-19:00", "sat 10:00-13:00", "sun 22:00-02:00"]
    ranges = [r for t in text for r in spec.parse_hours(t)]
    assert spec.format_hours(ranges) == text
    assert spec.parse_hours("; ".join(spec.format_hours(ranges))) == tuple(sorted(ranges))


@pytest.mark.parametrize("text", [
    "mon 09:00", "funday 09:00-10:00", "mon 9-10", "mon 25:00-26:00", "mon 09:00-09:00", "mon 24:00-02:00",
    "mon 09:60-10:00", "", "mon-fri",
])
def test_bad_hours_text_is_rejected_naming_the_option(text):
    with pytest.raises(InvalidInput) as err:
        spec.parse_hours(text, "--hours")
    assert err.value.field == "--hours"


def test_periods_from_the_date_options():
    day = dt.datetime(2026, 12, 24)
    assert spec.parse_period("2026-12-24", None, None) == (day, day + dt.timedelta(days=1))
    assert spec.parse_period("2026-12-24", "14:00", None) == (day.replace(hour=14), day + dt.timedelta(days=1))
    assert spec.parse_period(None, "2026-12-24 14:00", "2026-12-26 09:00") == (
        day.replace(hour=14), dt.datetime(2026, 12, 26, 9))


@pytest.mark.parametrize("date,start,end,field", [
    ("2026-12-24", "18:00", "14:00", "--to"),  # end before start
    (None, "2026-12-26 09:00", "2026-12-24 14:00", "--to"),
    (None, "2026-12-24 14:00", None, "--date"),
    ("24/12/2026", None, None, "--date"),
    (None, "2026-12-24 14:00+01:00", "2026-12-24 18:00", "--from"),
])
def test_bad_periods_are_rejected_naming_the_option(date, start, end, field):
    with pytest.raises(InvalidInput) as err:
        spec.parse_period(date, start, end)
    assert err.value.field == field


def test_a_local_time_that_does_not_exist_is_read_as_the_real_instant_it_names():
    # 02:30 on Madrid's spring-forward night does not exist; fold=0 means 01:30 UTC = 03:30 CEST
    state = state_at(office("sun 02:00-03:00"), at("2026-03-29 02:30"))
    assert (state.local_time.hour, state.local_time.minute, state.is_open) == (3, 30, False)
