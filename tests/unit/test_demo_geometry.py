"""Demo geometry and embedded facts: real names, points inside their own polygons, a full tiling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from response_atlas.demo.addresses import allocate
from response_atlas.demo.facts import load_area_facts, load_county_outline
from response_atlas.demo.geometry import build_area_polygons, sample_points_in


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
    outline = pd.read_csv(shared_data / "derived" / "hamilton_county_outline_simplified.csv")
    coords = np.asarray(load_county_outline().exterior.coords)
    assert len(outline) == 44
    assert np.allclose(coords[: len(outline)], outline[["lon", "lat"]].to_numpy())


def test_area_polygons_contain_their_points_and_tile_the_county():
    facts = load_area_facts()
    outline = load_county_outline()
    polys = build_area_polygons(facts["lon"].to_numpy(), facts["lat"].to_numpy(), outline)
    assert len(polys) == 81
    for poly, lon, lat, name in zip(polys, facts["lon"], facts["lat"], facts["name"], strict=True):
        assert poly.is_valid, name
        assert poly.contains(Point(lon, lat)), name
    total = sum(p.area for p in polys)
    union = shapely.union_all(polys)
    assert total == pytest.approx(outline.area, rel=1e-6)  # no gaps ...
    assert union.area == pytest.approx(total, rel=1e-6)  # ... and no overlaps


def test_voronoi_of_two_points_splits_a_square_in_half():
    square = box(0, 0, 2, 2)
    left, right = build_area_polygons(np.array([0.5, 1.5]), np.array([1.0, 1.0]), square)
    # Halfway in plane coordinates is x = 1 (equal scaling on both sides).
    assert left.area == pytest.approx(2.0)
    assert left.bounds[2] == pytest.approx(1.0)
    assert right.contains(Point(1.5, 1.0))


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
