"""Calls aggregation on the tiny snapshot: every figure recountable from tests/tiny_snapshot.py."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis import calls, periods
from response_atlas.filters import Filters
from response_atlas.publish import Audience

ALL = Filters(date(2025, 1, 1), date(2025, 6, 30))
PUBLIC = Audience(public=True, threshold=10)
STAFF = Audience(public=False, threshold=10)
SMALL = PUBLIC.small_label


def test_area_counts_and_rates(tiny_snapshot):
    out = calls.area_counts(tiny_snapshot, ALL).set_index("area")
    assert out["calls"].to_dict() == {"Alpha": 20, "Beta": 16, "Gamma": 12}
    # per 1,000 residents: 20/1000, 16/2000, 12/500
    assert out["rate_per_1000"].to_dict() == {"Alpha": 20.0, "Beta": 8.0, "Gamma": 24.0}
    assert calls.county_rate(tiny_snapshot, ALL) == pytest.approx(48 * 1000 / 3500, abs=0.01)
    totals = calls.total_calls(tiny_snapshot, ALL)
    assert {k: totals[k] for k in ("calls", "outside", "outside_areas", "no_location")} == {
        "calls": 48, "outside": 0, "outside_areas": 0, "no_location": 0}
    assert calls.published_totals(totals, PUBLIC) == {"outside": "0", "outside_areas": "0",
                                                      "no_location": "0"}


def test_area_counts_keep_zero_areas_and_respect_filters(tiny_snapshot):
    june = calls.area_counts(tiny_snapshot, ALL.with_(start=date(2025, 6, 1)))
    assert june.set_index("area")["calls"].to_dict() == {"Gamma": 12, "Alpha": 0, "Beta": 0}
    dv = calls.area_counts(tiny_snapshot, ALL.with_(categories=("domestic_violence",)))
    assert dv.set_index("area")["calls"].to_dict() == {"Alpha": 4, "Beta": 0, "Gamma": 0}
    only_beta = calls.area_counts(tiny_snapshot, ALL.with_(areas=("Beta",)))
    assert list(only_beta["area"]) == ["Beta"]
    # Beta's calls are at 14:59 (10) and 15:00 (6): hours 15-15 keeps the 6
    afternoon = calls.area_counts(tiny_snapshot, ALL.with_(hours=(15, 15)))
    assert afternoon.set_index("area").loc["Beta", "calls"] == 6


def test_hex_counts_leave_out_domestic_violence_and_overdose(tiny_snapshot):
    hexes = calls.hex_counts(tiny_snapshot, ALL)
    # one hexagon per area (calls sit at the area centre); Alpha loses its 4 DV calls
    assert sorted(hexes["calls"]) == [12, 16, 16]
    assert hexes["calls"].sum() == 44
    assert calls.hex_counts(tiny_snapshot, ALL.with_(categories=("domestic_violence",))).empty
    coarse = calls.hex_counts(tiny_snapshot, ALL, resolution="coarse")
    assert coarse["calls"].sum() == 44
    with pytest.raises(ValueError, match="resolution"):
        calls.hex_counts(tiny_snapshot, ALL, resolution="huge")


def test_published_hexes_drop_small_counts_and_round_the_rest():
    hexes = pd.DataFrame({"h3_cell": ["a", "b", "c", "d", "e"], "calls": [0, 1, 10, 11, 23],
                          "calls_key": [0, 5, 6, 7, 8]})
    shown = calls.publish_hexes(hexes, PUBLIC)
    assert list(shown["h3_cell"]) == ["a", "d", "e"] and "calls_key" not in shown
    assert shown["calls"].tolist()[:2] == [0, 15]  # 11 is never shown below 15
    assert shown["calls"].iloc[2] in (20, 25)
    assert calls.publish_hexes(hexes, STAFF)["calls"].tolist() == [0, 1, 10, 11, 23]


def test_hour_weekday_matrix(tiny_snapshot):
    grid = calls.hour_weekday_matrix(tiny_snapshot, ALL)
    assert grid.shape == (24, 7) and grid.to_numpy().sum() == 48
    # DV calls at 22:30 on 1-4 April 2025 (Tue, Wed, Thu, Fri)
    assert grid.loc[22].tolist() == [0, 1, 1, 1, 1, 0, 0]
    # 11:00: Gamma's weapon calls on 1-3 June 2025 (Sun, Mon, Tue) and Alpha's 11:15 calls on
    # 13 Jan (Mon) and 21 Mar (Fri)
    assert grid.loc[11].tolist() == [2, 1, 0, 0, 1, 0, 1]


def test_monthly_trend_fills_zero_months(tiny_snapshot):
    trend = calls.monthly_trend(tiny_snapshot, ALL)
    disorder = trend[trend["category"] == "disorder"].set_index("call_month")["calls"]
    assert disorder.to_dict() == {date(2025, m, 1): (10 if m == 2 else 0) for m in range(1, 7)}
    assert trend["calls"].sum() == 48
    empty = calls.monthly_trend(tiny_snapshot, ALL.with_(areas=("Nowhere",)))
    assert empty.empty


def test_area_panel_for_alpha(tiny_snapshot):
    panel = calls.area_panel(tiny_snapshot, ALL, "Alpha")
    assert panel.calls == 20 and panel.rate_per_1000 == 20.0
    assert panel.by_category.set_index("category")["calls"].to_dict() == {
        "behavioral_health": 12, "domestic_violence": 4, "other": 4}
    assert panel.by_tier.set_index("tier")["calls"].to_dict() == {
        "alternative": 12, "co_response": 4, "police_only": 4}
    assert list(panel.top_codes["incident_code"])[0] == "MHC - NON-VIOLENT"
    # hours: 03:05 x4 (thefts) and 22:30 x4 (DV) tie first, then 08:15 x2
    assert panel.busiest_hours[["hour", "calls"]].values.tolist() == [[3, 4], [22, 4], [8, 2]]
    assert panel.trend["calls"].tolist() == [4, 4, 4, 4, 4, 0]
    public = calls.area_panel(tiny_snapshot, ALL.with_(public_grid=True), "Alpha")
    assert 22 not in public.busiest_hours["hour"].tolist()  # DV calls never reach the hours
    shown = calls.publish_panel(panel, PUBLIC)
    assert shown.calls in (20, 25) and shown.rate_per_1000 == shown.calls  # 1,000 residents
    assert shown.by_category["calls"].isna().tolist() == [False, True, True]
    assert shown.county_rate_per_1000 in (round(v * 1000 / 3500, 2) for v in (45, 50))
    assert panel.county_rate_per_1000 == pytest.approx(13.71)
    assert panel.rate_ratio == pytest.approx(20 / 13.71, abs=0.01)
    with pytest.raises(ValueError, match="Unknown area"):
        calls.area_panel(tiny_snapshot, ALL, "Nowhere")


def test_period_comparison_first_vs_second_quarter(tiny_snapshot):
    q1, q2 = (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 6, 30))
    out = calls.period_comparison(tiny_snapshot, ALL, q1, q2).set_index("area")
    # Alpha: 12 BH calls Jan-Mar, then 4 DV + 4 thefts; Beta all in Q1; Gamma all in June
    assert out.loc["Alpha", ["calls_before", "calls_after", "change"]].tolist() == [12, 8, -4]
    assert out.loc["Beta", "change"] == -16 and out.loc["Gamma", "change"] == 12
    assert out.loc["Alpha", "pct_change"] == pytest.approx(-33.3)
    assert pd.isna(out.loc["Gamma", "pct_change"])  # nothing before: no percentage
    assert out.loc["Gamma", "rate_change"] == 24.0
    assert out["small_numbers"].all()  # every area has fewer than 20 calls in a period


def test_period_comparison_leaves_out_the_days_between_periods(tiny_snapshot):
    # One scan covers January to June; each period counts only its own days, as area_counts does.
    jan, jun = (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 6, 1), date(2025, 6, 30))
    out = calls.period_comparison(tiny_snapshot, ALL, jan, jun).set_index("area")
    for period, column in ((jan, "calls_before"), (jun, "calls_after")):
        alone = calls.area_counts(tiny_snapshot, ALL.with_(start=period[0], end=period[1]))
        assert out[column].to_dict() == alone.set_index("area")["calls"].to_dict()
    assert out["calls_after"].sum() > 0 and out.loc["Gamma", "calls_after"] == 12


def test_published_comparison_derives_change_and_rates_from_published_counts(tiny_snapshot):
    q1, q2 = (date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 6, 30))
    raw = calls.period_comparison(tiny_snapshot, ALL, q1, q2)
    out = calls.publish_comparison(raw, PUBLIC).set_index("area")
    assert "calls_before_key" not in out
    assert pd.isna(out.loc["Alpha", "calls_after"]) and pd.isna(out.loc["Alpha", "change"])
    assert out.loc["Beta", "calls_before"] in (15, 20) and out.loc["Beta", "calls_after"] == 0
    assert out.loc["Beta", "change"] == -out.loc["Beta", "calls_before"]
    assert out.loc["Beta", "rate_before"] == out.loc["Beta", "calls_before"] / 2
    assert out["small_numbers"].all()
    staff = calls.publish_comparison(raw, STAFF).set_index("area")
    assert staff.loc["Alpha", ["calls_before", "calls_after", "change"]].tolist() == [12, 8, -4]


def test_text_columns_keep_whole_numbers_whole():
    frame = pd.DataFrame({"calls": [float("nan"), 1200.0], "change": [2, -1500],
                          "rate": [0.25, 12.0]})
    shown = calls.text_columns(frame, "calls", ("change", "rate"), PUBLIC)
    assert shown.to_dict("list") == {"calls": [SMALL, "1,200"],
                                     "change": ["not shown", "-1,500"],
                                     "rate": ["not shown", "12.0"]}


def test_area_table_public_and_staff(tiny_snapshot):
    dv = ALL.with_(categories=("domestic_violence",))
    counts = calls.area_counts(tiny_snapshot, dv)
    public = calls.area_table(calls.publish_area_counts(counts, PUBLIC), PUBLIC).set_index("Area")
    assert public.loc["Alpha", "Calls"] == SMALL
    assert public.loc["Alpha", "Calls per 1,000 residents"] == "not shown"
    assert public.loc["Beta", "Calls"] == "0"
    assert public.loc["Beta", "Calls per 1,000 residents"] == "0.0"
    staff = calls.area_table(calls.publish_area_counts(counts, STAFF), STAFF).set_index("Area")
    assert staff.loc["Alpha", "Calls"] == 4
    # plain words for the kind of area, whole residents
    assert staff.loc["Gamma", "Kind"] == "Municipality"
    assert str(staff["Residents"].dtype) == "Int64" and staff.loc["Beta", "Residents"] == 2000
    # rates to one decimal, as the public table writes them
    odd = calls.publish_area_counts(counts, STAFF).assign(rate_per_1000=12.345)
    assert set(calls.area_table(odd, STAFF)["Calls per 1,000 residents"]) == {12.3}
    named = calls.publish_area_counts(counts, STAFF).assign(kind="cincinnati_neighborhood")
    assert set(calls.area_table(named, STAFF)["Kind"]) == {"Cincinnati neighborhood"}


def test_default_periods():
    # more than a year of data: latest quarter (to date) vs the same dates a year before
    before, after = periods.default_periods(date(2024, 1, 1), date(2025, 5, 20))
    assert after == (date(2025, 4, 1), date(2025, 5, 20))
    assert before == (date(2024, 4, 1), date(2024, 5, 20))
    # 181 days of data: the last 90 days against the 90 before them (half the span each)
    before, after = periods.default_periods(date(2025, 1, 1), date(2025, 6, 30))
    assert after == (date(2025, 4, 2), date(2025, 6, 30))
    assert before == (date(2025, 1, 2), date(2025, 4, 1))
    assert periods.days_in(before) == periods.days_in(after) == 90


def test_around_launch_and_quarters():
    before, after = periods.around_launch(date(2024, 6, 3), 30, date(2024, 1, 1), date(2024, 12, 31))
    assert before == (date(2024, 5, 4), date(2024, 6, 2)) and after[0] == date(2024, 6, 3)
    assert periods.days_in(before) == periods.days_in(after) == 30
    assert periods.quarter_of(date(2024, 11, 5)) == (date(2024, 10, 1), date(2024, 12, 31))
    assert periods.shift_year((date(2024, 2, 29), date(2024, 3, 1))) == (
        date(2023, 2, 28), date(2023, 3, 1))
