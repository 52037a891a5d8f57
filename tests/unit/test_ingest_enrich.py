"""Enrichment on hand-made polygons, DST handling, and the real Cincinnati files."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from shapely.geometry import box

from response_atlas.ingest.enrich import assign_areas, assign_zones, fix_coordinates, zone_keys
from response_atlas.ingest.refresh import run_refresh
from response_atlas.schema import zone_key_ids
from response_atlas.snapshot import current_snapshot_dir, open_snapshot


def test_border_point_goes_to_one_area_by_name_and_outside_is_minus_one():
    # "Zeta" listed first, "Beta" second: the border point goes to Beta (first by name).
    areas = gpd.GeoDataFrame({"area": ["Zeta", "Beta"]},
                             geometry=[box(-84.55, 39.10, -84.53, 39.12), box(-84.53, 39.10, -84.51, 39.12)],
                             crs="EPSG:4326")
    lat = np.array([39.11, 39.11, 39.11, 39.50])
    lon = np.array([-84.54, -84.53, -84.52, -84.52])
    assert assign_areas(lat, lon, areas).tolist() == [0, 1, 1, -1]
    zones = gpd.GeoDataFrame({"zone_id": ["z1", "z2"]},
                             geometry=[box(-84.55, 39.10, -84.51, 39.12), box(-84.53, 39.10, -84.51, 39.12)],
                             crs="EPSG:4326")
    assert assign_zones(lat, lon, zones).to_pylist() == [["z1"], ["z1", "z2"], ["z1", "z2"], []]


def test_fix_coordinates_counts():
    lat, lon, counts = fix_coordinates(pd.Series([39.1, -84.5, 0.0]), pd.Series([-84.5, 39.1, 0.0]))
    assert lat.tolist()[:2] == [39.1, 39.1] and np.isnan(lat.iloc[2])
    assert counts == {"zero coordinates: kept as no location": 1, "latitude/longitude swapped: fixed": 1}


def test_dst_nonexistent_shifts_forward_and_ambiguous_takes_first(tmp_path):
    from tests.unit.test_ingest_refresh import HEADER, calls_of, make_data_dir

    rows = ["G1,2025-03-09 02:30:00,THEFTR,1,,,39.11,-84.54\n",   # spring-forward gap
            "A1,2025-11-02 01:30:00,THEFTR,1,,,39.11,-84.54\n"]   # fall-back repeated hour
    data = make_data_dir(tmp_path / "d", rows, header=HEADER)
    assert run_refresh(data, progress=False).ok
    _, calls = calls_of(data)
    utc = calls.set_index("call_id")["received_utc"]
    assert str(utc["G1"].tz_convert("UTC"))[:19] == "2025-03-09 07:00:00"  # 03:00 EDT
    assert str(utc["A1"].tz_convert("UTC"))[:19] == "2025-11-02 05:30:00"  # first 01:30 (EDT)
    assert calls.set_index("call_id").loc["G1", "received_at"] == pd.Timestamp("2025-03-09 02:30")


def test_real_police_calls_in_cincinnati_neighborhoods(shared_data, tmp_path):
    real = shared_data / "real"
    shutil.copy(real / "calls" / "cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv",
                tmp_path / "calls.csv")
    shutil.copy(real / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson",
                tmp_path / "areas.geojson")
    shutil.copy(shared_data / "derived" / "cincinnati_sna_neighborhood_facts.csv",
                tmp_path / "area_facts.csv")
    result = run_refresh(tmp_path, progress=False)
    assert result.ok, result.errors
    assert any("invalid geometry repaired" in m for m in result.messages)
    snap = open_snapshot(current_snapshot_dir(tmp_path / "snapshots"))
    share = snap.query("SELECT avg((location_status = 'in_area')::INT) FROM calls").iloc[0, 0]
    assert share >= 0.95
    assert len(snap.areas) == 50 and snap.areas["population"].notna().all()
    assert snap.query("SELECT count(*) FROM calls WHERE category = 'unclassified'").iloc[0, 0] == 0


def test_zone_lists_from_bit_patterns_match_the_general_assignment():
    from response_atlas.ingest.enrich import _projected_xy, _zone_patterns
    from response_atlas.ingest.point_grid import PointGrid

    zones = gpd.GeoDataFrame({"zone_id": ["z1", "z2", "z3"]},
                             geometry=[box(-84.55, 39.10, -84.51, 39.12), box(-84.53, 39.10, -84.50, 39.13),
                                       box(-84.60, 39.00, -84.40, 39.20)], crs="EPSG:4326")
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(39.05, 39.15, 2000), rng.uniform(-84.58, -84.45, 2000)
    lat[:3], lon[:3] = 39.11, -84.53  # on a shared border
    calls_to_points = np.concatenate([rng.integers(0, 2000, 500), [2000, 2000]])  # 2000: no point
    general = assign_zones(lat, lon, zones).to_pylist() + [[]]
    patterns, keys = _zone_patterns(lat, zones, PointGrid(*_projected_xy(lat, lon)),
                                    calls_to_points)
    lists = patterns.cast(pa.list_(pa.string())).to_pylist()
    assert lists == [general[i] for i in calls_to_points]
    assert lists[-2:] == [[], []] and any(len(z) == 3 for z in lists)
    # The key is the sorted ids joined by "|", as DuckDB's list_sort + array_to_string gives.
    assert keys.cast(pa.string()).to_pylist() == ["|".join(sorted(z)) for z in lists]
    assert zone_keys(pa.array([["z3", "z1"], [], None])).to_pylist() == ["z1|z3", "", ""]
    # and the pages read the ids back from it (coverage, overview)
    assert [zone_key_ids(k) for k in ["z1|z3", ""]] == [{"z1", "z3"}, set()]


def test_zone_keys_keep_the_order_of_many_lists():
    # With many zones there is one list per distinct point: far more than one DuckDB vector.
    rng = np.random.default_rng(3)
    ids = [f"zone-{i}" for i in range(40)]
    lists = [[ids[j] for j in rng.choice(40, rng.integers(0, 4), replace=False)]
             for _ in range(20_000)]
    assert zone_keys(pa.array(lists)).to_pylist() == ["|".join(sorted(z)) for z in lists]


def test_distinct_points_repeated_and_nearly_unique():
    from response_atlas.ingest.enrich import distinct_points

    lat = np.array([39.1, 39.2, 39.1, 39.3, 39.2])
    lon = np.array([-84.5, -84.6, -84.5, -84.7, -84.6])
    codes, first = distinct_points(lat, lon, sample=3)  # a repeat among the first three
    assert codes.tolist() == [0, 1, 0, 2, 1] and first.tolist() == [0, 1, 3]
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(39, 39.3, 50), rng.uniform(-84.8, -84.3, 50)
    codes, first = distinct_points(lat, lon, sample=10)  # offset per call: every point its own
    assert codes.tolist() == first.tolist() == list(range(50))


def test_chunks_sharing_one_grid_match_chunks_on_their_own(shared_data):
    """enrich_calls_table with share_places (one grid around the places, boxes classified once,
    H3 parent checks kept) gives each chunk the same table as with places shared afresh, and
    the areas and zones of a grid around the points alone; calls far outside the places are
    outside every area."""
    from response_atlas.ingest.enrich import enrich_calls_table, share_places
    from response_atlas.ingest.places import load_areas
    from response_atlas.locations import county_outline
    from response_atlas.triage_rules import default_rules_text, load_rules

    areas, *_ = load_areas(shared_data / "real" / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson")
    zones = gpd.GeoDataFrame({"zone_id": ["z1", "z2"]},
                             geometry=[box(-84.55, 39.10, -84.45, 39.16), box(-84.50, 39.12, -84.40, 39.20)],
                             crs="EPSG:4326")
    rng = np.random.default_rng(2)
    n = 3_000
    calls = pd.DataFrame({
        "call_id": [f"C{i}" for i in range(n)],
        "received_at": pd.Timestamp("2025-05-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "incident_code": rng.choice(["MHC - NON-VIOLENT", "THEFTR", "DISORD"], n),
        "lat": rng.uniform(39.0, 39.3, n), "lon": rng.uniform(-84.75, -84.3, n),
        **{c: pd.Series([None] * n, dtype="string") for c in
           ("priority", "disposition", "address", "agency", "beat", "district")},
        **{c: pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]") for c in
           ("dispatched_at", "arrived_at", "closed_at")},
        "source_file": "calls.csv", "source_row": np.arange(1, n + 1),
    })
    calls.loc[0, ["lat", "lon"]] = [41.5, -81.7]  # Cleveland: outside the grid altogether
    rules = load_rules(default_rules_text())
    many = gpd.GeoDataFrame(  # over 16 zones: zone lists are built per point, not per pattern
        {"zone_id": [f"m{i}" for i in range(20)]},
        geometry=[box(-84.7 + 0.02 * i, 39.05, -84.66 + 0.02 * i, 39.25) for i in range(20)],
        crs="EPSG:4326")
    for zone_set in (zones, many):
        shared = share_places(areas, zone_set)
        for part in (slice(0, 1_000), slice(1_000, 3_000)):
            alone, _, where_alone = enrich_calls_table(calls.iloc[part], areas, zone_set, rules)
            kept, _, where_kept = enrich_calls_table(calls.iloc[part], areas, zone_set, rules,
                                                     shared=shared)
            assert kept.equals(alone) and where_kept == where_alone
            lat, lon = calls["lat"].to_numpy()[part], calls["lon"].to_numpy()[part]
            index = assign_areas(lat, lon, areas)  # a grid around these points, no cover
            names = areas["area"].to_numpy(dtype=object)
            # a city-only layer: outside it but inside the county outline is "Outside the areas"
            in_county = shapely.intersects_xy(county_outline(), lon, lat)
            assert kept.column("area").to_pylist() == [
                names[i] if i >= 0 else "Outside the areas" if county else "Outside county"
                for i, county in zip(index, in_county, strict=True)]
            assert kept.column("zone_ids").to_pylist() == assign_zones(lat, lon, zone_set).to_pylist()
        assert max(len(z) for z in kept.column("zone_ids").to_pylist()) >= 2  # overlapping zones
    first, _, _ = enrich_calls_table(calls.iloc[:1], areas, zones, rules, shared=share_places(areas, zones))
    assert first.column("area").to_pylist() == ["Outside county"]
