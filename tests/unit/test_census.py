"""Census facts by area-weighted interpolation: hand-built squares, then the real Hamilton County files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from response_atlas.config import PROJECTED_CRS
from response_atlas.ingest.census import (
    CensusError,
    build_area_facts,
    interpolate_area_facts,
    load_tract_figures,
)

FT = 3280.84  # feet per km: squares 1 km wide in EPSG:3735
X0, Y0 = 1_400_000, 400_000  # a point in Hamilton County, State Plane feet


def _squares(rows: list[tuple[str, float, float, float, float]], column: str) -> gpd.GeoDataFrame:
    geoms = [box(X0 + a * FT, Y0 + b * FT, X0 + c * FT, Y0 + d * FT) for _, a, b, c, d in rows]
    frame = gpd.GeoDataFrame({column: [r[0] for r in rows]}, geometry=geoms, crs=PROJECTED_CRS)
    return frame.to_crs("EPSG:4326")  # inputs arrive in lon/lat like the real files


def test_population_splits_by_area_and_shares_weight_by_people():
    # Two 1 km x 1 km tracts side by side; area "Mid" takes the east half of T1 and the west half
    # of T2, "West" the west half of T1 only, "Far" touches no tract.
    tracts = _squares([("T1", 0, 0, 1, 1), ("T2", 1, 0, 2, 1)], "tract")
    areas = _squares([("West", 0, 0, 0.5, 1), ("Mid", 0.5, 0, 1.5, 1), ("Far", 5, 5, 6, 6)], "hood")
    figures = pd.DataFrame({"tract": ["T1", "T2"], "population": [1000.0, 3000.0],
                            "share_black": [0.10, 0.50], "share_poverty": [0.20, 0.40]})
    facts = interpolate_area_facts(areas, "hood", tracts, figures, kind="test").set_index("name")
    # Mid: 500 people from T1 + 1500 from T2 = 2000; black share (500*.1 + 1500*.5) / 2000 = 40%
    assert facts.loc["Mid", "population"] == pytest.approx(2000, abs=1)
    assert facts.loc["Mid", "pct_black"] == pytest.approx(40.0, abs=0.1)
    assert facts.loc["Mid", "pct_poverty"] == pytest.approx(35.0, abs=0.1)  # (100 + 600) / 2000
    assert facts.loc["West", "population"] == pytest.approx(500, abs=1)
    assert facts.loc["West", "pct_black"] == pytest.approx(10.0, abs=0.1)
    assert facts.loc["Mid", "area_km2"] == pytest.approx(1.0, abs=0.01)
    assert facts.loc["Far", "population"] == 0 and pd.isna(facts.loc["Far", "pct_black"])
    assert set(facts["kind"]) == {"test"}


def test_tract_without_share_does_not_dilute_the_others():
    tracts = _squares([("T1", 0, 0, 1, 1), ("T2", 1, 0, 2, 1)], "tract")
    areas = _squares([("Both", 0, 0, 2, 1)], "hood")
    figures = pd.DataFrame({"tract": ["T1", "T2"], "population": [1000.0, 1000.0],
                            "share_black": [0.30, None], "share_poverty": [0.2, 0.4]})
    facts = interpolate_area_facts(areas, "hood", tracts, figures).set_index("name")
    assert facts.loc["Both", "population"] == 2000
    assert facts.loc["Both", "pct_black"] == pytest.approx(30.0)  # T2 unknown, not counted as 0
    assert facts.loc["Both", "kind"] == "area"


def test_missing_columns_are_listed_together(tmp_path):
    (tmp_path / "pop.csv").write_text("geoid,people\n1,5\n")
    (tmp_path / "acs.csv").write_text("census_tract_id_2020,prop_poverty\n1,0.1\n")
    with pytest.raises(CensusError) as err:
        load_tract_figures(tmp_path / "pop.csv", tmp_path / "acs.csv")
    assert len(err.value.problems) == 2
    assert "prop_black_and_not_hispanic_or_latino" in str(err.value)


@pytest.mark.parametrize(
    ("boundary", "preset", "derived", "count", "total"),
    [
        ("cincinnati_sna_neighborhoods_cagis2022.geojson", "cagis_sna",
         "cincinnati_sna_neighborhood_facts.csv", 50, 305_093),
        ("hamilton_county_neighborhoods_and_municipalities_cchmc_2020tracts.geojson",
         "hamilton_county_areas", "hamilton_county_area_facts.csv", 81, 827_671),
    ],
)
def test_real_tracts_match_the_derived_facts(shared_data, boundary, preset, derived, count, total):
    real = shared_data / "real"
    facts = build_area_facts(
        real / "boundaries" / boundary,
        real / "boundaries" / "hamilton_county_census_tracts_2020.geojson",
        real / "demographics" / "hamilton_county_tract_income_rent_pop_acs_chanfriendly.csv",
        real / "demographics" / "hamilton_county_tract_acs_measures_2023.csv",
        layer=preset,
    ).set_index("name")
    expected = pd.read_csv(shared_data / "derived" / derived).set_index("name")
    assert len(facts) == count and set(facts.index) == set(expected.index)
    assert facts["population"].sum() == pytest.approx(total, rel=0.002)
    joined = facts.join(expected.add_suffix("_expected"))
    rel = (joined["population"] - joined["population_expected"]).abs() / joined["population_expected"]
    assert rel.max() < 0.02  # within 2% in every area
    for column in ("pct_black", "pct_poverty"):
        assert (joined[column] - joined[f"{column}_expected"]).abs().max() <= 0.5  # percentage points
    assert (joined["area_km2"] - joined["area_km2_expected"]).abs().max() <= 0.1
    if preset == "cagis_sna":
        assert set(facts["kind"]) == {"cincinnati_neighborhood"}
        assert facts.loc["Avondale", "population"] == pytest.approx(12_703, rel=0.01)
