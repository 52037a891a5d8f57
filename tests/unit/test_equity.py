"""Equity analysis on hand-checkable numbers (the tiny snapshot and small frames)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis.equity import (
    EquityInputError,
    Grouping,
    band_groups,
    build_equity_report,
    definitions,
    parse_cuts,
    poisson_rate_ci,
    public_view,
    quintile_groups,
    rate_per,
    rate_ratio_ci,
)
from response_atlas.filters import Filters
from response_atlas.publish import Audience

PUBLIC = Audience(public=True, threshold=10)
STAFF = Audience(public=False, threshold=10)
ALL = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))


def test_rate_ratio_and_interval_by_hand():
    # Alpha 20 calls / 1,000 vs Gamma 12 / 500: (0.020)/(0.024) = 0.8333
    # SE = sqrt(1/20 + 1/12) = 0.36515; exp(ln 0.8333 -/+ 1.96 * 0.36515) = 0.4074 .. 1.7046
    ratio, lo, hi = rate_ratio_ci(20, 1000, 12, 500)
    assert ratio == pytest.approx(0.8333, abs=1e-4)
    assert lo == pytest.approx(0.4074, abs=1e-4)
    assert hi == pytest.approx(1.7046, abs=1e-4)
    ratio, lo, hi = rate_ratio_ci(16, 2000, 12, 500)
    assert (round(ratio, 4), round(lo, 4), round(hi, 4)) == (0.3333, 0.1577, 0.7046)
    assert all(pd.isna(x) for x in rate_ratio_ci(0, 1000, 12, 500))


def test_rates_and_exact_poisson_interval():
    assert rate_per(20, 1000) == 20.0
    assert rate_per(16, 2000) == 8.0
    assert pd.isna(rate_per(5, 0))
    lo, hi = poisson_rate_ci(20, 1000)  # exact Poisson 95% for 20 events: 12.22 .. 30.89
    assert (round(lo, 2), round(hi, 2)) == (12.22, 30.89)
    assert poisson_rate_ci(0, 1000)[0] == 0.0


def test_population_weighted_quintiles():
    values = pd.Series({"Alpha": 60.0, "Beta": 20.0, "Gamma": 5.0})
    pop = pd.Series({"Alpha": 1000, "Beta": 2000, "Gamma": 500})
    # sorted Gamma, Beta, Alpha; midpoints 250, 1500, 3000 of 3500 -> fifths 1, 3, 5
    groups, desc = quintile_groups(values, pop, "of residents are Black")
    assert groups["Gamma"].startswith("Q1 lowest")
    assert groups["Beta"].startswith("Q3 middle")
    assert groups["Alpha"].startswith("Q5 highest")
    assert list(groups.cat.categories) == [groups["Gamma"], groups["Beta"], groups["Alpha"]]
    assert "highest fifth (60%" in desc[groups["Alpha"]]


def test_bands_are_left_closed():
    values = pd.Series([5, 10, 24.9, 25, 60])
    groups, desc = band_groups(values, (10, 25, 50), "of residents are Black")
    assert groups.tolist() == ["Under 10%", "10% to under 25%", "10% to under 25%",
                               "25% to under 50%", "50% or more"]
    assert desc["50% or more"] == "areas where 50% or more of residents are Black"


def test_parse_cuts_validates():
    assert parse_cuts("50, 10,25%") == (10.0, 25.0, 50.0)
    with pytest.raises(EquityInputError, match="numbers"):
        parse_cuts("ten, 20")
    with pytest.raises(EquityInputError, match="between 0 and 100"):
        parse_cuts("10, 120")


def test_report_rates_by_area_and_group(tiny_snapshot):
    report = build_equity_report(tiny_snapshot, ALL)
    a = report.areas
    assert a["calls_rate"].to_dict() == {"Alpha": 20.0, "Beta": 8.0, "Gamma": 24.0}
    assert a["eligible"].to_dict() == {"Alpha": 12, "Beta": 10, "Gamma": 0}
    assert a["served"].to_dict() == {"Alpha": 3, "Beta": 1, "Gamma": 0}  # A00, A03, A12; B00
    assert a["arrests"].to_dict() == {"Alpha": 4, "Beta": 0, "Gamma": 3}
    assert report.reference == "Under 10%"  # lowest band by default
    ratios = report.ratios["calls"]["ratio"]
    assert ratios.round(4).to_dict() == {"Under 10%": 1.0, "10% to under 25%": 0.3333,
                                         "50% or more": 0.8333}
    assert report.launch == date(2025, 1, 10)
    # trend: Alpha has 12 calls in Q1 and 8 in Q2
    t = report.trend.set_index(["period", "group"])["count"]
    assert t[(date(2025, 1, 1), "50% or more")] == 12
    assert t[(date(2025, 4, 1), "50% or more")] == 8


def test_groups_pool_areas_and_filters_apply(tiny_snapshot):
    grouping = Grouping("pct_poverty", "bands", (20.0,))
    report = build_equity_report(tiny_snapshot, ALL, grouping)
    g = report.groups
    # Beta (10%) and Gamma (5%) pool: 28 calls over 2,500 residents = 11.2 per 1,000
    assert g.loc["Under 20%", "calls"] == 28
    assert g.loc["Under 20%", "calls_rate"] == pytest.approx(11.2)
    assert g.loc["20% or more", "calls_rate"] == 20.0
    alt = build_equity_report(tiny_snapshot, ALL.with_(tiers=("alternative",)))
    assert alt.areas["calls"].to_dict() == {"Alpha": 12, "Beta": 10, "Gamma": 0}
    two = build_equity_report(tiny_snapshot, ALL.with_(areas=("Alpha", "Beta")))
    assert sorted(two.areas.index) == ["Alpha", "Beta"]


def test_public_view_publishes_counts_and_derives_rates_from_them(tiny_snapshot):
    report = build_equity_report(tiny_snapshot, ALL)
    view = public_view(report, PUBLIC)
    t = view.area_table.set_index("Area")
    calls = int(t.loc["Alpha", "911 calls"])  # 20 stays 20 (a multiple of 5)
    assert calls == 20 and t.loc["Alpha", "911 calls per 1,000 residents"] == "20.0"
    assert t.loc["Beta", "Calls eligible for an alternative response"] == "fewer than 11"
    assert t.loc["Alpha", "Calls eligible for an alternative response"] in ("15", "20")
    assert t.loc["Alpha", "Calls that ended in an arrest per 1,000 residents"] == "not shown"
    assert t.loc["Gamma", "Calls eligible for an alternative response"] == "0"
    counts = t[[c for c in t.columns if "per 1,000" not in c and c.startswith(("911", "Calls"))]]
    assert counts.shape[1] == 4
    for value in counts.to_numpy().ravel():  # hidden, zero, or a rounded count above 10
        assert value == "fewer than 11" or int(value) == 0 or (int(value) % 5 == 0
                                                                and int(value) > 10)
    assert pd.isna(view.area_values.loc["Beta", "eligible_rate"])
    # the group rate and its exact Poisson range come from the published group count
    g = view.group_table.set_index("Group")
    beta = next(grp for grp in g.index if grp.startswith("10%"))  # Beta alone: 16 calls
    published = int(g.loc[beta, "911 calls"])
    assert published in (15, 20)
    assert g.loc[beta, "Per 1,000 residents"] == f"{published / 2000 * 1000:.1f}"
    lo, hi = poisson_rate_ci(published, 2000)
    assert g.loc[beta, "95% range of the rate"] == f"{lo:.1f} to {hi:.1f}"
    # trend: Alpha's group has 8 calls in Q2 (hidden) and 12 in Q1 (rounded)
    alpha = view.trend_table[view.trend_table["Group"] == "50% or more"]
    alpha = alpha.set_index("Quarter")["911 calls"].to_dict()
    assert alpha["2025 Q2"] == "fewer than 11" and alpha["2025 Q1"] in ("15",)
    staff = public_view(report, STAFF).area_table.set_index("Area")
    assert staff.loc["Beta", "Calls eligible for an alternative response"] == 10


def test_headline_sentence_and_definitions(tiny_snapshot):
    report = build_equity_report(tiny_snapshot, ALL)
    view = public_view(report, STAFF)
    assert view.headlines[0] == (
        "In areas where 50% or more of residents are Black, there were 0.8 calls to 911 per "
        "1,000 residents for every 1 in areas where under 10% of residents are Black "
        "(20.0 compared with 24.0 per 1,000 residents)."
    )
    assert "between 0.4 and 1.7" in view.headlines[1]
    public = public_view(report, PUBLIC)  # from published counts: 20 and 12 -> 15
    assert "(20.0 compared with 30.0 per 1,000 residents)" in public.headlines[0]
    text = definitions(report)
    assert "ACS) 2023 5-year" in text and "10 January 2025" in text
    # a measure whose group counts are hidden: no comparison is published
    arrests = public_view(build_equity_report(tiny_snapshot, ALL, measure="arrests"), PUBLIC)
    assert "too small to publish" in arrests.headlines[0]


def test_empty_period_gives_no_rates_and_no_error(tiny_snapshot):
    empty = Filters(start=date(2024, 1, 1), end=date(2024, 12, 31))
    report = build_equity_report(tiny_snapshot, empty)
    assert int(report.areas["calls"].sum()) == 0
    assert report.trend.empty
    view = public_view(report, PUBLIC)
    assert view.trend_table.empty
