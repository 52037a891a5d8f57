"""Demo geometry and embedded facts: the 81 real areas, simplified shapes that tile the county."""

from __future__ import annotations

import json
import runpy

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box, shape

from response_atlas.config import PROJECT_ROOT
from response_atlas.demo.addresses import allocate
from response_atlas.demo.facts import load_area_facts
from response_atlas.demo.geometry import (
    AREAS_RESOURCE,
    inner_polygon,
    load_area_shapes,
    sample_points_in,
)

RESOURCE = PROJECT_ROOT / "src" / "response_atlas" / "resources" / AREAS_RESOURCE
CCHMC_LAYER = "hamilton_county_neighborhoods_and_municipalities_cchmc_2020tracts.geojson"


def km2(polygons) -> np.ndarray:
    """Areas in km2 (UTM zone 16N, true to about 0.1% in the county)."""
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)
    plane = shapely.transform(np.array(polygons, dtype=object),
                              lambda xy: np.column_stack(utm.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(plane) / 1e6


@pytest.fixture(scope="module")
def shapes() -> list:
    return load_area_shapes(load_area_facts()["name"].to_numpy())


def test_embedded_facts_are_the_81_real_areas():
    facts = load_area_facts()
    assert len(facts) == 81
    assert facts["name"].is_unique
    assert facts["kind"].value_counts().to_dict() == {
        "cincinnati_neighborhood": 41, "municipality": 30, "township": 10}
    assert 820_000 < facts["population"].sum() < 835_000  # ~828,000 residents (DESIGN.md)
    assert {"Downtown", "OTR-Pendleton", "Westwood", "Anderson Twp.-Newtown"} <= set(facts["name"])


def test_embedded_facts_equal_the_shared_derived_file(shared_data):
    real = pd.read_csv(shared_data / "derived" / "hamilton_county_area_facts.csv")
    pd.testing.assert_frame_equal(load_area_facts(), real)


def test_shapes_hold_their_points_and_have_the_real_land_areas(shapes):
    facts = load_area_facts()
    assert len(shapes) == 81
    for poly, lon, lat, name in zip(shapes, facts["lon"], facts["lat"], facts["name"], strict=True):
        assert poly.is_valid, name
        assert poly.contains(Point(lon, lat)), name
    # the facts' land areas were measured on the unsimplified layer: 50 m moves them by < 2%
    assert km2(shapes) == pytest.approx(facts["area_km2"].to_numpy(), rel=0.02)


def test_shapes_share_edges_without_gaps_or_overlaps(shapes):
    assert shapely.coverage_is_valid(np.array(shapes, dtype=object))
    union = shapely.union_all(shapes)
    total = sum(p.area for p in shapes)
    assert union.area == pytest.approx(total, rel=1e-9)  # no overlaps
    assert union.geom_type == "Polygon" and not union.interiors  # one county, no holes
    assert km2([union])[0] == pytest.approx(1069, rel=0.005)  # Hamilton County, ~1,069 km2


def test_shapes_follow_the_real_layer(shapes, shared_data):
    layer = json.loads((shared_data / "real" / "boundaries" / CCHMC_LAYER).read_text())
    real = {f["properties"]["neighborhood_2020"]: shape(f["geometry"]) for f in layer["features"]}
    names = load_area_facts()["name"]
    assert set(real) == set(names)
    for name, simple in zip(names, shapes, strict=True):
        moved = simple.symmetric_difference(real[name]).area / real[name].area
        assert moved < 0.05, name  # a few % of the smallest areas, far less of the big ones
    county = shapely.union_all(list(real.values()))
    assert shapely.union_all(shapes).area == pytest.approx(county.area, rel=1e-3)


def test_resource_is_small_and_made_by_its_script(shared_data, tmp_path):
    assert RESOURCE.stat().st_size < 300_000
    script = runpy.run_path(str(PROJECT_ROOT / "scripts" / "make_demo_areas.py"))
    out = tmp_path / AREAS_RESOURCE
    assert script["main"](["--shared", str(shared_data), "--out", str(out)]) == 0
    assert out.read_bytes() == RESOURCE.read_bytes()


def test_unknown_area_names_are_named():
    with pytest.raises(ValueError, match=r"demo_areas\.geojson: no shape for areas \['Atlantis'\]"):
        load_area_shapes(np.array(["Downtown", "Atlantis"]))


def test_inner_polygon_keeps_a_margin_and_rejects_slivers():
    square = box(0, 0, 1, 1)
    inner = inner_polygon(square, 0.1)
    assert inner.bounds == pytest.approx((0.1, 0.1, 0.9, 0.9))
    with pytest.raises(ValueError, match="narrower than"):
        inner_polygon(box(0, 0, 1, 0.001), 0.1)


def test_sample_points_in_stays_inside():
    tri = shapely.Polygon([(0, 0), (1, 0), (0, 1)])
    pts = sample_points_in(tri, 500, np.random.default_rng(1))
    assert pts.shape == (500, 2)
    assert shapely.contains_xy(tri, pts[:, 0], pts[:, 1]).all()


def test_allocate_is_exact_and_respects_minimum():
    parts = allocate(100, np.array([1.0, 1.0, 2.0]), minimum=10)
    assert parts.sum() == 100
    # 70 spare split 17.5 / 17.5 / 35; the tie for the last unit goes to the first part.
    assert parts.tolist() == [28, 27, 45]
    with pytest.raises(ValueError):
        allocate(5, np.array([1.0, 1.0]), minimum=3)
