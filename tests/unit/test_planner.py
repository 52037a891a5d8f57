"""Planner arithmetic on hand-computed cases (capacity cap, costs, $1M months, funding gap)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from response_atlas.analysis import planner as pl
from response_atlas.analysis.coverage import baseline_coverage, teams_from_zones


def loads(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["team_id", "program", "weekly_hours", "covered"])


INPUTS = pl.PlanInputs(
    calls_per_shift=6, shift_hours=8, team_hour_cost=296, police_call_hour_cost=150,
    ems_transport_cost=1000, jail_booking_cost=500, police_hours_per_call=1.0,
    police_arrest_share=0.1, police_transport_share=0.2, team_transport_share=0.05,
    without_police_share=0.8, budget=1_000_000,
)


def test_team_hour_cost_is_derived_from_the_second_team():
    assert pl.FULL_TIME_TEAM_HOURS == 2080
    assert round(pl.SECOND_TEAM_COST / pl.FULL_TIME_TEAM_HOURS, 2) == 295.67
    assert pl.PlanInputs().team_hour_cost == 296


def test_two_teams_one_capped_by_capacity():
    # Two weeks of data: x26 to a year. Each 40-hour team: 2,080 h, 260 shifts, 1,560 calls.
    r = pl.plan(loads(("T1", "ARC", 40.0, 10), ("T2", "ARC", 40.0, 100)), 200, 2.0, INPUTS)
    assert r.eligible_per_year == 5200
    assert r.covered_per_year == 2860  # (10 + 100) x 26
    assert r.capacity_per_year == 3120
    assert r.served_per_year == 1820  # 260 + min(2600, 1560)
    assert r.share_served == pytest.approx(0.35)
    assert r.team_hours_per_year == 4160
    assert r.team_hours_needed == pytest.approx(2860 / 6 * 8)  # 3,813.3
    assert r.police_hours_freed == pytest.approx(1456)  # 1820 x 0.8 x 1 h
    assert r.annual_cost == 1_231_360  # 4160 x 296
    assert r.police_cost_per_call == pytest.approx(400)  # 150 + 0.1 x 500 + 0.2 x 1000
    assert r.cost_per_call == pytest.approx(1_231_360 / 1820 + 50)  # 726.57
    assert r.police_cost_avoided == pytest.approx(1456 * 400)
    assert r.months_budget_lasts == pytest.approx(12 * 1_000_000 / 1_231_360)  # 9.75
    assert r.budget_share_of_plan == pytest.approx(0.8121, abs=1e-4)
    assert r.served_with_budget == pytest.approx(1820 * 1_000_000 / 1_231_360)
    assert r.team_hours_with_budget == pytest.approx(1_000_000 / 296)
    assert r.funding_gap_per_year == 231_360
    per_team = pl.team_breakdown(loads(("T1", "ARC", 40.0, 10), ("T2", "ARC", 40.0, 100)), 2.0,
                                 INPUTS)
    assert per_team[["covered", "capacity", "served"]].values.tolist() == [
        [260, 1560, 260], [2600, 1560, 1560]]


def test_one_team_within_budget_has_no_gap():
    r = pl.plan(loads(("ARC-1", "ARC", 40.0, 52)), 520, 52.0, pl.PlanInputs())
    assert r.annual_cost == 615_680
    assert r.months_budget_lasts == pytest.approx(12 * 1_000_000 / 615_680)  # 19.5 months
    assert r.budget_share_of_plan == 1.0 and r.served_with_budget == 52
    assert r.funding_gap_per_year == 0
    assert r.cost_per_call == pytest.approx(615_680 / 52)


def test_no_teams_or_no_calls():
    r = pl.plan(loads(), 100, 10.0, pl.PlanInputs())
    assert r.annual_cost == 0 and math.isinf(r.months_budget_lasts)
    assert math.isnan(r.cost_per_call)
    assert pl.format_figure("Months the budget covers", r.months_budget_lasts) == "no cost"
    assert pl.format_figure("Cost per call served, team ($)", r.cost_per_call) == "n/a"
    with pytest.raises(ValueError):
        pl.plan(loads(), 1, 0.0, pl.PlanInputs())


def test_compare_and_format():
    a = pl.plan(loads(("T1", "ARC", 40.0, 10)), 20, 1.0, INPUTS)
    b = pl.plan(loads(("T1", "ARC", 80.0, 10)), 20, 1.0, INPUTS)
    table = pl.compare_plans([("One team", a), ("Double hours", b)])
    assert list(table.columns) == ["figure", "One team", "Double hours"]
    row = table.set_index("figure").loc["Annual cost ($)"]
    assert row.tolist() == [615_680, 1_231_360]
    shown = pl.format_comparison(table).set_index("figure")
    assert shown.loc["Annual cost ($)", "Double hours"] == "$1,231,360"
    assert shown.loc["Share of eligible calls served", "One team"] == "50%"  # 520 of 1,040
    assert shown.loc["Months the budget covers", "One team"] == "19.5"


def test_teams_from_table_lists_every_problem():
    table = pd.DataFrame([
        {"include": True, "team_id": "ARC-1", "program": "ARC", "zone_id": "arc-1",
         "schedule": "Mon-Fri 07:00-15:00"},
        {"include": True, "team_id": "ARC-2", "program": "ARC", "zone_id": "nowhere",
         "schedule": "Mon-Fry 11:00-19:00"},
        {"include": False, "team_id": "off", "program": "ARC", "zone_id": "arc-1",
         "schedule": "24/7"},
        {"include": None, "team_id": None, "program": None, "zone_id": None, "schedule": None},
    ])
    teams, problems = pl.teams_from_table(table, ["arc-1", "dvert-1"])
    assert [t.team_id for t in teams] == ["ARC-1"] and teams[0].weekly_hours == 40
    assert problems[0].startswith("row 2 (ARC-2): choose one of the zones")
    assert "unknown day range 'mon-fry'" in problems[1]
    assert len(problems) == 2


def test_on_the_tiny_snapshot(tiny_snapshot):
    from response_atlas.ui.context import default_filters

    filters = default_filters(tiny_snapshot)  # 2025-01-10 .. 2025-06-12: 154 days, 22 weeks
    data = baseline_coverage(tiny_snapshot, filters)
    assert data.weeks == 22
    table = pl.team_loads(data)
    assert table[["team_id", "covered"]].values.tolist() == [["ARC-1", 15], ["DVERT-1", 0]]
    assert pl.eligible_for(data, ["ARC"]) == 22
    result = pl.plan(table, pl.eligible_for(data, ["ARC", "DVERT"]), data.weeks, pl.PlanInputs())
    assert result.covered_per_year == pytest.approx(15 * 52 / 22)
    assert result.team_hours_per_year == (40 + 168) * 52
    rates = pl.snapshot_rates(tiny_snapshot, filters)
    # 22 ARC-eligible calls, each 8 min travel + 30 min on scene; none arrested or transported;
    # 3 ARC contacts, one asked for police backup.
    assert rates["police_hours_per_call"] == pytest.approx(38 / 60)
    assert rates["police_arrest_share"] == 0 and rates["police_transport_share"] == 0
    assert rates["without_police_share"] == pytest.approx(2 / 3)
    assert rates["team_transport_share"] == 0
    teams, _ = teams_from_zones(tiny_snapshot.zones)
    assert pl.teams_table(teams)["schedule"].tolist() == ["Mon-Fri 07:00-15:00", "24/7"]
