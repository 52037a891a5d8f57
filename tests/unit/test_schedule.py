"""Schedule grammar, on-duty checks (minute edges, overnight, holidays, DST days), edits."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from response_atlas.schedule import ScheduleError, is_valid_schedule, parse_schedule

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def at(schedule_text: str, weekday: int, hhmm: str, day: str | None = None) -> bool:
    h, m = (int(x) for x in hhmm.split(":"))
    s = parse_schedule(schedule_text)
    dates = None if day is None else np.array([day], dtype="datetime64[D]")
    return bool(s.on_duty(np.array([weekday]), np.array([h * 60 + m]), dates)[0])


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("24/7", 168.0),
        ("Mon-Fri 07:00-15:00", 40.0),
        ("Mon-Fri 07:00-15:00; Sat 10:00-18:00", 48.0),
        ("Mon,Wed,Fri 09:00-17:00", 24.0),
        ("Fri-Sat 22:00-06:00", 16.0),
        ("Mon 00:00-24:00", 24.0),
        ("mon - fri 07:00-11:00, 13:00-17:00", 40.0),
        ("Daily 08:00-20:00", 84.0),
        ("Sat-Mon 10:00-12:00", 6.0),  # ranges wrap around the week
        ("Mon-Fri 07:00-15:00; Mon-Fri 11:00-19:00", 60.0),  # overlap counted once
        ("Tue 07:00-07:00", 24.0),  # equal start and end: a 24-hour shift
    ],
)
def test_valid_forms_and_weekly_hours(text, hours):
    s = parse_schedule(text)
    assert s.weekly_hours() == hours
    assert parse_schedule(s.to_text()) == s  # to_text round-trips


def test_minute_edges_of_a_day_shift():
    text = "Mon-Fri 07:00-15:00"
    assert at(text, MON, "14:59")
    assert not at(text, MON, "15:00")  # the end is exclusive
    assert at(text, FRI, "07:00")
    assert not at(text, MON, "06:59")
    assert not at(text, SAT, "10:00")


def test_overnight_span_belongs_to_the_day_it_starts():
    text = "Fri-Sat 22:00-06:00"
    assert at(text, FRI, "22:00")
    assert at(text, SAT, "05:59")  # Friday's shift
    assert at(text, SUN, "03:00")  # Saturday's shift
    assert not at(text, SUN, "06:00")
    assert not at(text, FRI, "03:00")  # Thursday has no shift
    assert not at(text, SUN, "22:00")


def test_overnight_from_sunday_wraps_into_monday():
    assert at("Sun 23:00-01:00", MON, "00:30")
    assert not at("Sun 23:00-01:00", SUN, "00:30")


def test_24_7_and_24_00_end():
    assert at("24/7", SUN, "23:59") and at("24/7", MON, "00:00")
    assert at("Mon 18:00-24:00", MON, "23:59")
    assert not at("Mon 18:00-24:00", TUE, "00:00")


def test_holidays_only_apply_when_dates_are_given():
    text = "Mon-Fri 07:00-15:00 except 2025-12-25, 2026-01-01"
    assert parse_schedule(text).holidays == {date(2025, 12, 25), date(2026, 1, 1)}
    assert at(text, THU, "09:00")  # no dates: holidays ignored
    assert not at(text, THU, "09:00", "2025-12-25")
    assert at(text, THU, "09:00", "2025-12-18")


def test_holiday_stops_the_overnight_spill_of_its_own_shift_only():
    text = "Daily 22:00-06:00 except 2025-12-25"
    assert not at(text, THU, "23:00", "2025-12-25")  # the holiday's shift
    assert not at(text, FRI, "02:00", "2025-12-26")  # ...and its spill past midnight
    assert at(text, THU, "02:00", "2025-12-25")  # Wednesday's shift still ends on the 25th


def test_dst_days_use_the_wall_clock():
    # 2025-03-09 (spring forward, 02:00-03:00 skipped) and 2025-11-02 (01:00-02:00 twice): Sundays.
    text = "Sun 01:00-05:00"
    s = parse_schedule(text)
    assert s.weekly_hours() == 4.0  # nominal wall-clock hours
    assert at(text, SUN, "03:30", "2025-03-09")
    assert at(text, SUN, "01:30", "2025-11-02")
    assert not at(text, SUN, "05:00", "2025-11-02")


def test_vectorized_with_missing_dates():
    s = parse_schedule("Mon 07:00-15:00 except 2025-01-06")
    got = s.on_duty(
        np.array([0, 0, 0]),
        np.array([420, 420, 900]),
        np.array(["2025-01-06", "NaT", "2025-01-13"], dtype="datetime64[D]"),
    )
    assert got.tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("Mon-Fry 07:00-15:00", "unknown day range 'mon-fry'"),
        ("Funday 07:00-15:00", "unknown day 'funday'"),
        ("Mon 25:00-26:00", "'25:00' is not a time of day"),
        ("Mon 07:60-08:00", "'07:60' is not a time of day"),
        ("Mon 24:00-03:00", "'24:00' can only end a span"),
        ("07:00-15:00", "missing days"),
        ("Mon-Fri 7-15", "no time range like 07:00-15:00"),
        ("Mon 07:00-15:00 lunch", "could not read 'lunch'"),
        ("Mon 07:00-15:00 except 2025-13-01", "holiday '2025-13-01' is not a date"),
        ("Mon 07:00-15:00 except", "'except' must be followed by dates"),
    ],
)
def test_errors_name_the_bad_part(text, fragment):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    assert is_valid_schedule(text) is not None


def test_every_problem_is_listed():
    with pytest.raises(ScheduleError) as info:
        parse_schedule("Mon-Fry 07:00-15:00; Tue 25:00-26:00")
    assert len(info.value.problems) == 3


def test_matrix_fractions():
    m = parse_schedule("Mon 07:30-09:00; Sat 22:00-01:00").matrix()
    assert m.shape == (7, 24)
    assert m[MON, 7] == 0.5 and m[MON, 8] == 1.0 and m[MON, 9] == 0.0
    assert m[SAT, 23] == 1.0 and m[SUN, 0] == 1.0 and m[SUN, 1] == 0.0
    assert m.sum() == 1.5 + 3


def test_extend_and_shift():
    s = parse_schedule("Mon-Fri 07:00-15:00")
    longer = s.extend(60, 120)
    assert longer.to_text() == "Mon-Fri 06:00-17:00"
    assert longer.weekly_hours() == 55.0
    assert s.shift(120).to_text() == "Mon-Fri 09:00-17:00"
    night = s.shift(-480)  # 23:00-07:00 starting the day before
    assert night.weekly_hours() == 40.0
    assert night.on_duty(
        np.array([SUN, THU, FRI]), np.array([23 * 60, 23 * 60, 23 * 60])
    ).tolist() == [
        True,
        True,
        False,
    ]
    assert s.extend(0, 10_000).weekly_hours() == 120.0  # capped at 24 h per shift
    assert s.extend(-240, -240).spans == ()  # shortened away
    assert s.extend(0, 0) == s
