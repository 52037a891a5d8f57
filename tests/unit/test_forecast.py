"""The demand forecast: backtest against seasonal naive, interval coverage, schedule sums, rules."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from response_atlas.analysis import forecast as fc
from response_atlas.schedule import parse_schedule

FIRST = date(2024, 11, 1)
HOUR_SHAPE = np.array([3, 2, 2, 1, 1, 1, 2, 4, 6, 7, 8, 8, 8, 8, 8, 8, 8, 7, 7, 6, 5, 5, 4, 4.0])
WEEK_SHAPE = np.array([1.0, 1.0, 1.05, 1.1, 1.2, 1.3, 0.85])


def synthetic_counts(days: int, per_day: float, seed: int = 1, group: str = "z1") -> pd.DataFrame:
    """Poisson calls with a daily, a weekly and a yearly cycle (``hourly_counts``' columns)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        day = FIRST + timedelta(days=d)
        rate = per_day * WEEK_SHAPE[day.weekday()] * (1 + 0.12 * np.sin(2 * np.pi * d / 365.25))
        calls = rng.poisson(rate * HOUR_SHAPE / HOUR_SHAPE.sum())
        rows += [(group, day, int(h), int(calls[h])) for h in np.flatnonzero(calls)]
    return pd.DataFrame(rows, columns=["group", "call_date", "hour", "calls"])


@pytest.fixture(scope="module")
def cycles_model() -> fc.ForecastModel:
    counts = synthetic_counts(500, 30.0)
    end = FIRST + timedelta(days=499)
    return fc.forecast_counts(counts, FIRST, end, fc.ForecastOptions(horizon_weeks=4))


def test_backtest_beats_seasonal_naive_on_daily_and_weekly_cycles(cycles_model):
    test = cycles_model.backtest.set_index("method")
    assert test.loc[fc.METHOD_MODEL, "origins"] == 13  # one every 4 weeks over the last year
    assert test.loc[fc.METHOD_MODEL, "MASE"] < test.loc[fc.METHOD_NAIVE, "MASE"]
    assert test.loc[fc.METHOD_MODEL, "cell MASE"] < test.loc[fc.METHOD_NAIVE, "cell MASE"]
    assert test.loc[fc.METHOD_MODEL, "cell MASE"] < test.loc[fc.METHOD_LAST_YEAR, "cell MASE"]
    assert [g.method for g in cycles_model.groups] == [fc.METHOD_MODEL]
    assert "beats seasonal naive" in fc.backtest_verdict(cycles_model)


def test_intervals_cover_close_to_their_level(cycles_model):
    test = cycles_model.backtest.set_index("method")
    assert abs(test.loc[fc.METHOD_MODEL, "days in 80%"] - 0.80) <= 0.08
    assert abs(test.loc[fc.METHOD_MODEL, "days in 95%"] - 0.95) <= 0.04


def test_forecast_follows_the_weekly_cycle(cycles_model):
    daily = fc.daily_table(cycles_model)
    assert len(daily) == 28 and daily["date"].iloc[0] == FIRST + timedelta(days=500)
    by_weekday = daily.groupby(pd.to_datetime(daily["date"]).dt.day_of_week)["mean"].mean()
    assert by_weekday.idxmax() == 5 and by_weekday.idxmin() == 6  # Saturday high, Sunday low
    assert (daily["lo95"] <= daily["lo80"]).all() and (daily["lo80"] <= daily["mean"]).all()
    assert (daily["mean"] <= daily["hi80"]).all() and (daily["hi80"] <= daily["hi95"]).all()


def test_falls_back_to_seasonal_naive_when_the_model_is_no_better():
    # The last year repeats one noisy week exactly: nothing forecasts it better than last week.
    noisy = synthetic_counts(140, 30.0, seed=3)
    week = synthetic_counts(7, 30.0, seed=4)
    rows = [noisy]
    for k in range(20, 72):
        rows.append(week.assign(call_date=[d + timedelta(days=7 * k) for d in week["call_date"]]))
    counts = pd.concat(rows, ignore_index=True)
    end = FIRST + timedelta(days=72 * 7 - 1)
    model = fc.forecast_counts(counts, FIRST, end, fc.ForecastOptions(horizon_weeks=4))
    assert [g.method for g in model.groups] == [fc.METHOD_NAIVE]
    assert "no better than seasonal naive" in model.notes[0]
    # seasonal naive repeats the last week
    last_week = fc.hourly_matrix(counts, FIRST, end)["z1"][-7:]
    assert np.allclose(np.median(model.groups[0].samples[:, :7], axis=0), last_week)


def test_schedule_figure_is_the_sum_of_its_cells(cycles_model):
    schedule = parse_schedule("Mon-Fri 07:00-15:00")
    plan = fc.teams_from_pairs([("z1", "Mon-Fri 07:00-15:00")])
    inside = fc.expected_in_plan(cycles_model, plan)
    cells = fc.cell_table(cycles_model, "z1")
    on = schedule.matrix()[cells["weekday"], cells["hour"]] == 1
    assert inside.mean == pytest.approx(cells.loc[on, "mean"].sum())
    assert inside.lo80 < inside.mean < inside.hi80
    everything = fc.expected_in_plan(cycles_model, fc.teams_from_pairs([("z1", "24/7")]))
    assert everything.mean == pytest.approx(fc.monthly_total(cycles_model).mean)


def test_best_hours_to_add_are_busy_hours_no_team_works(cycles_model):
    plan = fc.teams_from_pairs([("z1", "Mon-Fri 07:00-15:00")])
    best = fc.best_hours_to_add(cycles_model, plan, ["z1"])
    assert len(best) == 3 and best["mean"].is_monotonic_decreasing
    duty = parse_schedule("Mon-Fri 07:00-15:00").matrix()
    assert (duty[best["weekday"], best["hour"]] == 0).all()
    cells = fc.cell_table(cycles_model, "z1")
    off = cells[duty[cells["weekday"], cells["hour"]] == 0]
    assert best["mean"].iloc[0] == pytest.approx(off["mean"].max())
    words = fc.hours_to_add_table(best)
    assert words["Hour no team works"].str.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:00").all()


def test_overlapping_zones_are_not_counted_twice():
    both = synthetic_counts(120, 20.0, group="a|b")
    only_a = synthetic_counts(120, 10.0, seed=2, group="a")
    counts = pd.concat([both, only_a], ignore_index=True)
    end = FIRST + timedelta(days=119)
    model = fc.forecast_counts(counts, FIRST, end,
                               fc.ForecastOptions(horizon_weeks=4, backtest=False))
    one = fc.expected_in_plan(model, fc.teams_from_pairs([("a", "24/7")]))
    two = fc.expected_in_plan(model, fc.teams_from_pairs([("a", "24/7"), ("b", "24/7")]))
    assert one.mean == pytest.approx(two.mean)
    b_only = fc.expected_in_plan(model, fc.teams_from_pairs([("b", "24/7")]))
    assert b_only.mean < one.mean
    assert set(model.zone_ids) == {"a", "b"}


def test_too_little_history_is_said_plainly():
    counts = synthetic_counts(30, 10.0)
    with pytest.raises(fc.ForecastUnavailable, match="at least 56 days"):
        fc.forecast_counts(counts, FIRST, FIRST + timedelta(days=29))


def test_options_are_checked():
    with pytest.raises(ValueError, match="1 to 8 weeks"):
        fc.ForecastOptions(horizon_weeks=9)
    with pytest.raises(ValueError, match="unknown program"):
        fc.ForecastOptions(program="XYZ")
