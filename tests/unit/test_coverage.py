"""Coverage arithmetic: minute edges, overnight, DST, holidays, eligibility, tiny snapshot figures."""

from __future__ import annotations

from datetime import date

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from response_atlas.analysis import coverage as cv
from response_atlas.filters import Filters
from response_atlas.schedule import parse_schedule

ALL_2025 = Filters(date(2025, 1, 1), date(2025, 12, 31))
TINY = Filters(date(2025, 1, 1), date(2025, 6, 30))


class FrameSnapshot:
    """Just enough of ``Snapshot`` for the SQL: a ``calls`` table from a DataFrame."""

    def __init__(self, calls: pd.DataFrame):
        self.con = duckdb.connect(":memory:")
        self.con.register("calls_df", calls)
        self.con.execute("CREATE VIEW calls AS SELECT * FROM calls_df")

    def query(self, sql, params=None):
        return self.con.execute(sql, params or []).df()

    def query_columns(self, sql, params=None):
        return self.con.sql(sql, params=list(params or [])).to_arrow_table().to_pandas()


def make_calls(rows) -> pd.DataFrame:
    """rows: (received_at, category, tier, zone_ids[, area])."""
    out = []
    for i, row in enumerate(rows):
        ts, category, tier, zones, *rest = row
        t = pd.Timestamp(ts)
        out.append(
            {
                "call_id": f"C{i}",
                "received_at": t,
                "call_date": t.date(),
                "hour": t.hour,
                "weekday": t.weekday(),
                "category": category,
                "tier": tier,
                "area": rest[0] if rest else "Alpha",
                "zone_ids": list(zones),
                "h3_fine": "892a930f62fffff",
                "lat": 39.11,
                "lon": -84.54,
            }
        )
    return pd.DataFrame(out)


def team(team_id, program, schedule, zone_id):
    return cv.Team(team_id, program, parse_schedule(schedule), zone_id=zone_id)


def covered_calls(rows, teams, filters=ALL_2025):
    schedules = [t.schedule for t in teams]
    snap = FrameSnapshot(make_calls(rows))
    agg = cv.eligible_aggregate(
        snap, filters, cv.choose_bucket(schedules), tuple(cv.special_dates(schedules))
    )
    data = cv.compute_coverage(agg, teams, cv.filter_weeks(filters))
    return data.eligible, data.covered


ARC_DAY = team("ARC-1", "ARC", "Mon-Fri 07:00-15:00", "z1")


def test_call_at_14_59_is_covered_and_at_15_00_is_not():
    # 2025-02-03 is a Monday
    assert covered_calls(
        [("2025-02-03 14:59:00", "disorder", "alternative", ["z1"])], [ARC_DAY]
    ) == (1, 1)
    assert covered_calls(
        [("2025-02-03 15:00:00", "disorder", "alternative", ["z1"])], [ARC_DAY]
    ) == (1, 0)
    assert covered_calls(
        [("2025-02-03 06:59:59", "disorder", "alternative", ["z1"])], [ARC_DAY]
    ) == (1, 0)


def test_outside_the_zone_or_another_program_is_not_covered():
    rows = [
        ("2025-02-03 10:00", "disorder", "alternative", []),  # no zone
        ("2025-02-03 10:00", "disorder", "alternative", ["z2"]),  # someone else's zone
        ("2025-02-03 10:00", "disorder", "co_response", ["z1"]),  # not ARC-eligible
    ]
    assert covered_calls(rows, [ARC_DAY]) == (2, 0)


def test_overnight_shift_covers_the_next_morning():
    night = team("ARC-N", "ARC", "Fri-Sat 22:00-06:00", "z1")
    rows = [
        ("2025-02-07 22:00", "disorder", "alternative", ["z1"]),  # Fri 22:00: yes
        ("2025-02-08 05:59", "disorder", "alternative", ["z1"]),  # Sat 05:59 (Friday's shift): yes
        ("2025-02-09 03:00", "disorder", "alternative", ["z1"]),  # Sun 03:00 (Saturday's): yes
        ("2025-02-09 06:00", "disorder", "alternative", ["z1"]),  # Sun 06:00: no
        ("2025-02-07 03:00", "disorder", "alternative", ["z1"]),  # Fri 03:00 (no Thu shift): no
    ]
    assert covered_calls(rows, [night]) == (5, 3)


def test_dst_days_use_local_wall_time():
    early = team("ARC-E", "ARC", "Sun 01:00-05:00", "z1")
    rows = [
        ("2025-03-09 03:30", "disorder", "alternative", ["z1"]),  # spring forward Sunday
        ("2025-11-02 01:30", "disorder", "alternative", ["z1"]),  # fall back (01:30 twice)
        ("2025-11-02 01:30", "disorder", "alternative", ["z1"]),
        ("2025-03-09 05:00", "disorder", "alternative", ["z1"]),
    ]
    assert covered_calls(rows, [early]) == (4, 3)


def test_holidays_in_the_aggregate():
    holiday = team("ARC-H", "ARC", "Mon-Fri 07:00-15:00 except 2025-12-25", "z1")
    rows = [
        ("2025-12-25 09:00", "disorder", "alternative", ["z1"]),  # Thursday, holiday
        ("2025-12-18 09:00", "disorder", "alternative", ["z1"]),  # the Thursday before
        ("2025-12-26 09:00", "disorder", "alternative", ["z1"]),  # the day after
    ]
    assert covered_calls(rows, [holiday]) == (3, 2)


def test_odd_schedule_boundaries_bucket_exactly():
    odd = team("ARC-O", "ARC", "Mon 07:10-07:20", "z1")
    assert cv.choose_bucket([odd.schedule]) == 5
    rows = [
        ("2025-02-03 07:05", "disorder", "alternative", ["z1"]),
        ("2025-02-03 07:10", "disorder", "alternative", ["z1"]),
        ("2025-02-03 07:19", "disorder", "alternative", ["z1"]),
        ("2025-02-03 07:20", "disorder", "alternative", ["z1"]),
    ]
    assert covered_calls(rows, [odd]) == (4, 2)
    assert cv.choose_bucket([parse_schedule("Mon-Fri 07:00-15:00")]) == 15


def test_eligibility_mapping():
    teams = [
        team("ARC-1", "ARC", "24/7", "z1"),
        team("DV-1", "DVERT", "24/7", "z1"),
        team("QRT-1", "QRT", "24/7", "z1"),
    ]
    snap = FrameSnapshot(
        make_calls(
            [
                ("2025-02-03 10:00", "domestic_violence", "alternative", ["z1"]),  # DVERT only
                ("2025-02-03 10:00", "domestic_violence", "police_only", ["z1"]),  # nobody
                ("2025-02-03 10:00", "substance_use", "alternative", ["z1"]),  # ARC and QRT
                ("2025-02-03 10:00", "substance_use", "police_only", ["z1"]),  # QRT
                ("2025-02-03 10:00", "behavioral_health", "co_response", ["z1"]),  # nobody
            ]
        )
    )
    agg = cv.eligible_aggregate(snap, ALL_2025)
    data = cv.compute_coverage(agg, teams, 52)
    table = cv.coverage_by_program(data).set_index("program")
    assert table["eligible"].to_dict() == {"ARC": 1, "QRT": 2, "DVERT": 1}
    assert table["covered"].to_dict() == {"ARC": 1, "QRT": 2, "DVERT": 1}
    # Sensitive calls never carry an H3 cell in the aggregate
    assert agg.loc[agg["program"].isin(["QRT", "DVERT"]), "h3"].isna().all()
    assert agg.loc[agg["program"] == "ARC", "h3"].isna().all()  # substance_use, even for ARC


# --- the tiny snapshot ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_data(tiny_snapshot):
    teams, notes = cv.teams_from_zones(tiny_snapshot.zones)
    assert notes == []
    agg = cv.eligible_aggregate(tiny_snapshot, TINY)
    return cv.compute_coverage(agg, teams, cv.filter_weeks(TINY))


def test_tiny_by_program(tiny_data):
    table = cv.coverage_by_program(tiny_data).set_index("program")
    # ARC: Alpha's 12 MHC non-violent + Beta's 10 trespassing. Uncovered: A05 (Sat), A07 (Mon
    # 15:15), A09 (Sun), and Beta's 4 weekend calls at 14:59 (1, 2, 8, 9 Feb).
    assert table.loc["ARC", ["eligible", "covered", "uncovered"]].tolist() == [22, 15, 7]
    # DVERT: 4 domestic calls in Alpha, but the DVERT zone is Gamma only.
    assert table.loc["DVERT", ["eligible", "covered"]].tolist() == [4, 0]
    assert table.loc["QRT", "eligible"] == 0 and np.isnan(table.loc["QRT", "share_covered"])
    assert table.loc["ARC", "team_hours_week"] == 40.0
    assert tiny_data.share == pytest.approx(15 / 26)


def test_tiny_by_area_hour_weekday(tiny_data):
    by_area = cv.coverage_by_area(tiny_data, "ARC").set_index("area")
    assert by_area.loc["Beta", ["eligible", "covered"]].tolist() == [10, 6]
    assert by_area.loc["Alpha", ["eligible", "covered"]].tolist() == [12, 9]
    by_hour = cv.coverage_by_hour(tiny_data, "ARC").set_index("hour")
    assert len(by_hour) == 24
    assert by_hour.loc[14, ["eligible", "covered"]].tolist() == [11, 7]  # A06 + 10 Beta
    assert by_hour.loc[15, ["eligible", "covered"]].tolist() == [1, 0]  # A07
    by_day = cv.coverage_by_weekday(tiny_data, "ARC").set_index("weekday")
    assert by_day.loc[5, ["eligible", "covered"]].tolist() == [3, 0]  # A05, B00, B07


def test_tiny_gap_matrix_and_maps(tiny_data):
    m = cv.uncovered_matrix(tiny_data)
    assert m.sum() == 7 + 4
    assert m[0, 15] == 1  # A07, Monday 15:15
    assert m[5, 14] == 2 and m[6, 14] == 2  # Beta weekend calls
    assert m[1, 22] == 1  # a domestic call (Tue 22:30), uncovered
    overlay = cv.schedule_matrices(tiny_data.teams, "ARC")
    assert list(overlay) == ["ARC-1"] and overlay["ARC-1"][0, 7:15].tolist() == [1.0] * 8
    gaps = cv.gap_areas(tiny_data)
    assert gaps[["area", "uncovered"]].values.tolist() == [["Alpha", 7], ["Beta", 4]]
    # the page hands over the per-area table it already has: the same answers
    by_area = cv.coverage_by_area(tiny_data, "ARC")
    pd.testing.assert_frame_equal(cv.gap_areas(tiny_data, program="ARC", by_area=by_area),
                                  cv.gap_areas(tiny_data, program="ARC"))
    assert cv.unplaced_uncovered(tiny_data, "ARC", by_area=by_area) == \
        cv.unplaced_uncovered(tiny_data, "ARC")
    hexes = cv.gap_hexagons(tiny_data)
    assert hexes["uncovered"].sum() == 7  # the 4 domestic calls are never in a hexagon


def test_distance_beyond(tiny_snapshot):
    # Base of arc-1 is the center of Alpha+Beta; each area's calls sit 0.01 deg of longitude
    # (about 0.86 km at 39.1 N) from it.
    assert cv.haversine_km(39.11, -84.53, 39.11, -84.54) == pytest.approx(0.863, abs=0.002)
    near = cv.calls_beyond_distance(tiny_snapshot, TINY, tiny_snapshot.zones, 1.0).set_index(
        "zone_id"
    )
    assert near.loc["arc-1", ["eligible_in_zone", "beyond"]].tolist() == [22, 0]
    # Every zone with a base is listed, one without eligible calls as zeros (no share).
    assert near.loc["dvert-1", ["eligible_in_zone", "beyond"]].tolist() == [0, 0]
    assert np.isnan(near.loc["dvert-1", "share_beyond"])
    far = cv.calls_beyond_distance(tiny_snapshot, TINY, tiny_snapshot.zones, 0.5).set_index(
        "zone_id"
    )
    assert far.loc["arc-1", "beyond"] == 22 and far.loc["arc-1", "share_beyond"] == 1.0


def test_empty_filter_gives_empty_tables(tiny_snapshot):
    none = Filters(date(2025, 1, 1), date(2025, 6, 30), areas=("Gamma",), tiers=("alternative",))
    teams, _ = cv.teams_from_zones(tiny_snapshot.zones)
    data = cv.compute_coverage(cv.eligible_aggregate(tiny_snapshot, none), teams, 26)
    assert data.eligible == 0 and np.isnan(data.share)
    assert cv.coverage_by_program(data)["eligible"].tolist() == [0, 0, 0]
    assert cv.uncovered_matrix(data).sum() == 0
    assert cv.gap_hexagons(data).empty and cv.gap_areas(data).empty


def test_bad_zone_schedule_is_left_out_with_a_note():
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["a", "b"],
            "team_id": ["A", "B"],
            "program": ["ARC", "ARC"],
            "schedule": ["Mon-Fri 07:00-15:00", "Mon-Fry 07:00"],
            "base_lat": [39.1, None],
            "base_lon": [-84.5, None],
        },
        geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)],
        crs="EPSG:4326",
    )
    teams, notes = cv.teams_from_zones(zones)
    assert [t.team_id for t in teams] == ["A"] and teams[0].base_lat == 39.1
    assert len(notes) == 1 and "Zone b (B)" in notes[0]


def test_drawn_zone_membership(tiny_snapshot):
    from tests.tiny_snapshot import area_frame

    cells = tiny_snapshot.query("SELECT DISTINCT h3_fine FROM calls")["h3_fine"]
    beta = box(-84.53, 39.10, -84.51, 39.12)  # Beta's square
    inside_cells, inside_areas = cv.drawn_zone_membership(
        beta.__geo_interface__, cells, area_frame()
    )
    beta_cell = tiny_snapshot.query("SELECT DISTINCT h3_fine FROM calls WHERE area='Beta'")
    assert inside_cells == frozenset(beta_cell["h3_fine"])
    assert inside_areas == {"Beta"}


def test_baseline_coverage_keeps_its_aggregation_settings(tiny_snapshot):
    import pickle

    data = pickle.loads(pickle.dumps(cv.baseline_coverage(tiny_snapshot, TINY)))  # as cached
    assert (data.eligible, data.covered) == (26, 15)
    assert data.rows.attrs == {"bucket": 15, "keep_dates": ()}
    assert cv.aggregate_fits(data.rows, [parse_schedule("Mon 07:00-15:15")])
    assert not cv.aggregate_fits(data.rows, [parse_schedule("Mon 07:00-15:20")])
    assert not cv.aggregate_fits(data.rows, [parse_schedule("Mon 07:00-15:00 except 2025-02-03")])


def test_calls_without_a_place_are_not_a_gap_area():
    teams = [team("ARC-1", "ARC", "Mon-Fri 07:00-15:00", "z1")]
    snap = FrameSnapshot(
        make_calls(
            [
                ("2025-02-03 20:00", "disorder", "alternative", [], "No location"),
                ("2025-02-03 20:00", "disorder", "alternative", [], "Outside county"),
                ("2025-02-03 20:00", "disorder", "alternative", [], "Alpha"),
            ]
        )
    )
    data = cv.compute_coverage(cv.eligible_aggregate(snap, ALL_2025), teams, 52)
    assert cv.gap_areas(data)["area"].tolist() == ["Alpha"]
    assert cv.unplaced_uncovered(data) == 2
