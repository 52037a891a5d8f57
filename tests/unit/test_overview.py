"""Overview figures on the tiny snapshot; every number recounted by hand from tests/tiny_snapshot.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis import overview as ov
from response_atlas.filters import Filters
from response_atlas.publish import Audience

PUBLIC = Audience(public=True, threshold=10)
STAFF = Audience(public=False, threshold=10)
YEAR = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))


@pytest.fixture(scope="module")
def result(tiny_snapshot):
    return ov.compute_overview(tiny_snapshot, YEAR)


def test_counts_for_the_whole_year(result):
    # 20 Alpha + 16 Beta + 12 Gamma; eligible = 12 MHC non-violent (Alpha) + 10 trespassing (Beta)
    assert (result.calls, result.eligible) == (48, 22)
    # 7 blocks have 3+ calls within 90 days; 45XX ELM ST is DV only and never counts at block level
    assert result.repeat_locations == 6
    assert result.data_as_of == "2025-06-12"


def test_repeat_headline_is_the_repeat_pages_list_length(tiny_snapshot, result):
    from response_atlas.analysis.repeats import RepeatRule, find_repeat_locations

    rule = RepeatRule(ov.REPEAT_THRESHOLD, ov.REPEAT_WINDOW_DAYS)
    assert len(find_repeat_locations(tiny_snapshot, YEAR, rule)) == result.repeat_locations


def test_coverage_applies_arc_hours(result):
    # all 22 eligible calls are in Alpha/Beta (zone arc-1, Mon-Fri 07:00-15:00).
    # Alpha off duty: Sat 15 Mar, Sun 19 Jan, Mon 17 Feb at 15:15 -> 9 of 12 on duty.
    # Beta at 14:59 on 1-10 Feb 2025: Sat 1, Sun 2, Sat 8, Sun 9 off -> 6 of 10 on duty.
    assert result.eligible_in_zone == 22
    assert result.eligible_on_duty == 15
    assert result.hours_applied is True
    assert result.zone_programs == ("ARC",)


def test_monthly_series(result):
    m = result.monthly.set_index("month")
    assert len(m) == 12  # empty months are present with 0, so sparklines show the gap
    assert m.loc[pd.Timestamp("2025-02-01"), ["calls", "eligible", "eligible_on_duty"]].tolist() == [14, 14, 9]
    assert m.loc[pd.Timestamp("2025-06-01"), "calls"] == 12
    assert m["calls"].sum() == 48 and m["eligible_on_duty"].sum() == 15


def test_filters_narrow_every_figure(tiny_snapshot):
    beta = ov.compute_overview(tiny_snapshot, YEAR.with_(areas=("Beta",)))
    assert (beta.calls, beta.eligible, beta.repeat_locations, beta.eligible_on_duty) == (16, 10, 2, 6)
    june = ov.compute_overview(tiny_snapshot, YEAR.with_(start=date(2025, 6, 1)))
    assert (june.calls, june.eligible, june.eligible_on_duty) == (12, 0, 0)


def test_empty_selection_gives_zeros_not_errors(tiny_snapshot):
    none = ov.compute_overview(tiny_snapshot, Filters(date(2024, 1, 1), date(2024, 1, 31)))
    assert (none.calls, none.eligible, none.repeat_locations, none.eligible_on_duty) == (0, 0, 0, 0)
    texts = {m.key: m.text for m in ov.overview_metrics(none, PUBLIC)}
    assert texts == {"calls": "0", "eligible": "no calls", "repeat": "0", "coverage": "no calls"}


def test_public_metrics_are_published_counts_and_shares_of_them(result):
    public = {m.key: m for m in ov.overview_metrics(result, PUBLIC)}
    calls = public["calls"].value
    assert calls in (45, 50) and public["calls"].text == f"{calls:.0f}"  # 48, rounded to 5
    assert public["repeat"].text == "fewer than 11" and public["repeat"].suppressed
    # shares are of published counts: eligible 22 -> 20 or 25, on duty 15 -> 15 (or 20)
    assert public["eligible"].value in (20 / calls, 25 / calls)
    assert public["coverage"].value in (15 / 20, 20 / 20, 15 / 25, 20 / 25)
    assert public["eligible"].text == f"{public['eligible'].value:.0%}"
    # asked again, the same calls give the same figures
    assert [m.text for m in ov.overview_metrics(result, PUBLIC)] == [
        m.text for m in public.values()]
    staff = {m.key: m for m in ov.overview_metrics(result, STAFF)}
    assert staff["repeat"].text == "6"
    assert staff["coverage"].text == "68%"
    assert "22 calls" in staff["eligible"].help


def test_hours_not_applied_when_a_schedule_is_unreadable():
    r = ov.OverviewResult(calls=100, eligible=50, repeat_locations=0, eligible_in_zone=30,
                          eligible_on_duty=0, hours_applied=False, zone_programs=("ARC",),
                          data_as_of="2025-01-01", monthly=pd.DataFrame())
    cov = ov.overview_metrics(r, STAFF)[3]
    assert cov.text == "60%" and "hours not applied" in cov.help
    # public: 30 of 50 are already multiples of 5 and stay exact
    assert ov.overview_metrics(r, PUBLIC)[3].text == "60%"


@pytest.mark.parametrize(("part", "whole", "text"), [
    (0, 0, "no calls"), (0, 20, "0%"), (float("nan"), 20, "too few calls to show"),
    (15, float("nan"), "too few calls to show"), (20, 20, "100%"), (25, 20, "100%"),
])
def test_shares_of_published_counts(part, whole, text):
    # a part rounded above its whole (independent rounding) is capped at 100%
    assert ov.format_share(part, whole, PUBLIC)[0] == text


def test_sparkline_series_are_published_counts_and_shares():
    monthly = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=4, freq="MS"),
                            "calls": [0, 4, 14, 30], "calls_key": [0, 1, 2, 3],
                            "eligible": [0, 3, 14, 30], "eligible_key": [0, 1, 2, 3],
                            "eligible_on_duty": [0, 0, 12, 12], "eligible_on_duty_key": [0, 0, 9, 9]})
    public = ov.published_monthly(monthly, PUBLIC)
    assert public["calls"].isna().tolist() == [False, True, False, False]
    assert public["calls"].iloc[3] == 30 and public["calls"].iloc[2] in (15.0,)
    # the same calls (same key) give the same rounding, so the share is exactly 1
    assert public["eligible"].isna().tolist() == [True, True, False, False]
    assert public["eligible"].iloc[2] == 1.0 and public["eligible"].iloc[3] == 1.0
    staff = ov.published_monthly(monthly, STAFF)
    assert staff["calls"].tolist() == [0, 4, 14, 30]
    assert staff["coverage"].iloc[2] == pytest.approx(12 / 14)


def test_coverage_agrees_with_the_coverage_page(tiny_snapshot, result):
    coverage = pytest.importorskip("response_atlas.analysis.coverage")
    arc = coverage.coverage_by_program(coverage.baseline_coverage(tiny_snapshot, YEAR))
    arc = arc.set_index("program").loc["ARC"]
    assert (arc["eligible"], arc["covered"]) == (result.eligible_in_zone, result.eligible_on_duty)


def test_busiest_areas_rank_by_rate_and_hide_small_counts_in_public():
    counts = pd.DataFrame({"area": ["A", "B", "C", "D", "E", "F"],
                           "calls": [40, 30, 5, 0, 25, 12],
                           "rate_per_1000": [4.0, 15.0, 50.0, 0.0, 5.0, 6.0]})
    staff = ov.busiest_areas(counts, STAFF, n=3)
    assert staff.values.tolist() == [["C", "5", "50.0"], ["B", "30", "15.0"], ["F", "12", "6.0"]]
    # public: ranks and rates come from the published counts (C hidden, F 12 -> 15); hidden
    # areas rank after the shown ones, by name
    published = counts.assign(calls=[40, 30, float("nan"), 0, 25, 15],
                              rate_per_1000=[4.0, 15.0, float("nan"), 0.0, 5.0, 7.5])
    public = ov.busiest_areas(published, PUBLIC)
    assert public.values.tolist() == [
        ["B", "30", "15.0"], ["F", "15", "7.5"], ["E", "25", "5.0"], ["A", "40", "4.0"],
        ["D", "0", "0.0"]]
    assert ov.busiest_areas(published, PUBLIC, n=6).values.tolist()[-1] == [
        "C", "fewer than 11", "not shown"]
