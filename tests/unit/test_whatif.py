"""What-if deltas on the tiny snapshot, hand-computed (see tests/tiny_snapshot.py)."""

from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest
from shapely.geometry import box

from response_atlas.analysis import coverage as cv
from response_atlas.analysis import whatif as wi
from response_atlas.filters import Filters
from response_atlas.privacy import to_safe_csv
from response_atlas.schedule import ScheduleError
from tests.tiny_snapshot import area_frame

TINY = Filters(date(2025, 1, 1), date(2025, 6, 30))  # 181 days
WEEKS = 181 / 7


@pytest.fixture(scope="module")
def base(tiny_snapshot):
    teams, _ = cv.teams_from_zones(tiny_snapshot.zones)
    return cv.eligible_aggregate(tiny_snapshot, TINY), teams


def run(base, scenario):
    agg, teams = base
    return wi.evaluate_scenario(agg, teams, scenario, WEEKS, areas=area_frame())


def test_extend_by_an_hour_after(base):
    # ARC-1 Mon-Fri 07:00-16:00 picks up A07 (Mon 15:15) only: +1 call for +5 team-hours a week.
    r = run(base, wi.Scenario("late", "extend", team_id="ARC-1", minutes_after=60))
    assert (r.program, r.eligible, r.baseline_covered, r.scenario_covered) == ("ARC", 22, 15, 16)
    assert (r.baseline_team_hours, r.scenario_team_hours, r.extra_team_hours) == (40.0, 45.0, 5.0)
    assert r.covered_per_extra_team_hour == pytest.approx(1 / (5 * WEEKS))


def test_shift_keeps_hours(base):
    # 08:00-16:00: A07 (Mon 15:15) gained, nothing lost (no weekday ARC call before 08:00).
    r = run(base, wi.Scenario("later", "shift", team_id="ARC-1", shift_minutes=60))
    assert r.extra_covered == 1 and r.extra_team_hours == 0.0
    assert math.isnan(r.covered_per_extra_team_hour)
    # 06:00-14:00 loses Beta's six weekday 14:59 calls and A06 (Thu 14:15).
    r = run(base, wi.Scenario("earlier", "shift", team_id="ARC-1", shift_minutes=-60))
    assert r.extra_covered == -7


def test_add_weekend_team_on_existing_zone(base):
    # Sat-Sun 09:00-17:00 on arc-1: A05 (Sat 13:15), A09 (Sun 09:15) and Beta's 4 weekend calls.
    r = run(
        base,
        wi.Scenario(
            "weekend", "add_team", program="ARC", schedule="Sat-Sun 09:00-17:00", zone_id="arc-1"
        ),
    )
    assert r.extra_covered == 6 and r.extra_team_hours == 16.0
    assert r.covered_per_extra_team_hour == pytest.approx(6 / (16 * WEEKS))


def test_drawn_zones(base):
    beta = box(-84.53, 39.10, -84.51, 39.12).__geo_interface__
    r = run(
        base,
        wi.Scenario(
            "beta 24/7",
            "draw_zone",
            program="ARC",
            schedule="24/7",
            geojson={"type": "Feature", "properties": {}, "geometry": beta},
        ),
    )
    assert r.extra_covered == 4 and r.extra_team_hours == 168.0  # Beta's weekend calls
    alpha = box(-84.55, 39.10, -84.53, 39.12).__geo_interface__
    r = run(
        base,
        wi.Scenario(
            "dv alpha", "draw_zone", program="DVERT", schedule="Daily 20:00-02:00", geojson=alpha
        ),
    )
    # The 4 domestic calls (22:30) are matched by area, never by cell.
    assert (r.eligible, r.baseline_covered, r.scenario_covered) == (4, 0, 4)
    assert (r.baseline_team_hours, r.extra_team_hours) == (168.0, 42.0)


def test_scenario_errors(base):
    with pytest.raises(wi.ScenarioError, match="No team 'X'"):
        run(base, wi.Scenario("x", "extend", team_id="X", minutes_after=60))
    with pytest.raises(ScheduleError, match="unknown day"):
        run(
            base,
            wi.Scenario(
                "x", "add_team", program="ARC", schedule="Mon-Fry 07:00-15:00", zone_id="arc-1"
            ),
        )
    with pytest.raises(wi.ScenarioError, match="Draw a zone"):
        run(base, wi.Scenario("x", "draw_zone", program="ARC", schedule="24/7"))
    with pytest.raises(wi.ScenarioError, match="polygon"):
        run(
            base,
            wi.Scenario(
                "x",
                "draw_zone",
                program="ARC",
                schedule="24/7",
                geojson={"type": "Point", "coordinates": [-84.5, 39.1]},
            ),
        )
    with pytest.raises(wi.ScenarioError, match="Unknown program"):
        run(base, wi.Scenario("x", "add_team", program="POLICE", schedule="24/7", zone_id="arc-1"))


def test_compare_and_download(base):
    scenarios = [
        wi.Scenario("late", "extend", team_id="ARC-1", minutes_after=60),
        wi.Scenario(
            "=weekend", "add_team", program="ARC", schedule="Sat-Sun 09:00-17:00", zone_id="arc-1"
        ),
    ]
    table = wi.compare_scenarios([run(base, s) for s in scenarios])
    assert table["extra covered"].tolist() == [1, 6]
    assert table["share with change"].tolist() == pytest.approx([16 / 22, 21 / 22])
    csv = to_safe_csv(table).decode()
    assert "'=weekend" in csv  # formula-like names neutralized
    text = wi.scenarios_to_json(scenarios)
    assert wi.scenarios_from_json(text) == scenarios
    assert json.loads(text)[0]["minutes_after"] == 60
    assert pd.DataFrame([s.to_dict() for s in scenarios]).shape[0] == 2


def test_format_comparison_for_display(base):
    table = wi.compare_scenarios(
        [
            run(base, wi.Scenario("late", "extend", team_id="ARC-1", minutes_after=60)),
            run(base, wi.Scenario("later", "shift", team_id="ARC-1", shift_minutes=60)),
        ]
    )
    shown = wi.format_comparison(table)
    assert list(shown.columns) == ["late", "later"]
    assert shown.loc["share now", "late"] == "68%"
    assert shown.loc["share with change", "late"] == "73%"  # 16 / 22
    assert shown.loc["extra covered", "later"] == "+1"
    assert shown.loc["extra team-hours/week", "late"] == "+5.0"
    assert shown.loc["extra covered per extra team-hour", "later"] == "n/a"


def test_scenarios_off_the_15_minute_grid_need_a_finer_aggregate(tiny_snapshot, base):
    agg, teams = base
    odd = wi.Scenario("odd", "extend", team_id="ARC-1", minutes_after=20)  # ends 15:20
    assert agg.attrs["bucket"] == 15
    with pytest.raises(wi.ScenarioError, match="too coarsely"):
        wi.evaluate_scenario(agg, teams, odd, WEEKS)
    bucket, keep = wi.needed_aggregation(teams, odd)
    assert bucket == 5
    fine = cv.eligible_aggregate(tiny_snapshot, TINY, bucket, keep)
    r = wi.evaluate_scenario(fine, teams, odd, WEEKS)
    assert r.extra_covered == 1  # A07 at 15:15
    # A holiday in a new team's schedule must be kept as a date in the aggregate.
    xmas = wi.Scenario(
        "h",
        "add_team",
        program="ARC",
        schedule="Daily 08:00-20:00 except 2025-02-01",
        zone_id="arc-1",
    )
    assert wi.needed_aggregation(teams, xmas)[1] == (date(2025, 2, 1), date(2025, 2, 2))
    with pytest.raises(wi.ScenarioError):
        wi.evaluate_scenario(agg, teams, xmas, WEEKS)
    held = cv.eligible_aggregate(tiny_snapshot, TINY, *wi.needed_aggregation(teams, xmas))
    # Gained: A05 (Sat), A07 (Mon 15:15), A09 (Sun) and Beta's weekend calls on 2, 8 and 9 Feb;
    # not Beta's call on Saturday 1 Feb, the holiday.
    assert wi.evaluate_scenario(held, teams, xmas, WEEKS).extra_covered == 6


def test_scenarios_round_trip_through_csv():
    import io

    drawn = wi.Scenario(
        "drawn",
        "draw_zone",
        program="ARC",
        schedule="24/7",
        geojson=box(-84.53, 39.10, -84.51, 39.12).__geo_interface__,
    )
    drawn.geojson = json.loads(json.dumps(drawn.geojson))  # tuples -> lists, as from a browser
    scenarios = [wi.Scenario("late", "extend", team_id="ARC-1", minutes_after=60), drawn]
    csv = to_safe_csv(wi.scenarios_frame(scenarios))
    back = wi.scenarios_from_frame(pd.read_csv(io.BytesIO(csv)))
    assert back == scenarios
