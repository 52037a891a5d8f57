"""Pairs of periods to compare: a quarter against the same quarter a year earlier, or the same
number of days before and after a launch date. Pure date arithmetic, clipped to the data."""

from __future__ import annotations

from datetime import date, timedelta

Period = tuple[date, date]  # inclusive


def quarter_of(day: date) -> Period:
    """The calendar quarter holding ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


def shift_year(period: Period, years: int = -1) -> Period:
    """The same dates ``years`` earlier or later (29 February becomes 28 February)."""

    def move(d: date) -> date:
        try:
            return d.replace(year=d.year + years)
        except ValueError:
            return d.replace(year=d.year + years, day=28)

    return move(period[0]), move(period[1])


def days_in(period: Period) -> int:
    return (period[1] - period[0]).days + 1


def latest_quarter_vs_last_year(first: date, last: date) -> tuple[Period, Period] | None:
    """(before, after): the latest quarter in the data (clipped to ``last``) and the same dates a
    year earlier; None when the data do not reach back that far."""
    q_start, _ = quarter_of(last)
    after = (q_start, last)
    before = shift_year(after, -1)
    if before[0] < first:
        return None
    return before, after


def around_launch(launch: date, days: int, first: date, last: date) -> tuple[Period, Period]:
    """(before, after): ``days`` days before ``launch`` and ``days`` days from it, clipped to the
    data so both periods have the same length."""
    days = max(1, min(days, (launch - first).days, (last - launch).days + 1))
    return (launch - timedelta(days=days), launch - timedelta(days=1)), (
        launch, launch + timedelta(days=days - 1))


def default_periods(first: date, last: date, days: int = 91) -> tuple[Period, Period]:
    """The latest quarter against the same quarter a year earlier when the data reach back;
    otherwise the last ``days`` days against the ``days`` days before them."""
    quarter = latest_quarter_vs_last_year(first, last)
    if quarter is not None:
        return quarter
    span = (last - first).days + 1
    days = max(1, min(days, span // 2))
    after = (last - timedelta(days=days - 1), last)
    before = (after[0] - timedelta(days=days), after[0] - timedelta(days=1))
    return before, after
