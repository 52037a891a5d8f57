"""The grid-bucketed point-in-polygon index gives exactly the per-point ``intersects_xy`` answer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon, box

from response_atlas.ingest.point_grid import PointGrid


def brute_force_pairs(x, y, polygons) -> set[tuple[int, int]]:
    """Every (point, polygon) pair by testing each point against each polygon."""
    pairs = set()
    for i, geom in enumerate(polygons):
        if geom is None:
            continue
        for p in np.flatnonzero(shapely.intersects_xy(geom, x, y)):
            pairs.add((int(p), i))
    return pairs


def grid_pairs(x, y, polygons, side=8) -> set[tuple[int, int]]:
    points, polys = PointGrid(x, y, side=side).hits(np.asarray(polygons, dtype=object))
    pairs = set(zip(points.tolist(), polys.tolist(), strict=True))
    assert len(pairs) == len(points), "a pair was reported twice"
    return pairs


def test_borders_vertices_holes_overlaps_and_missing_points():
    ring = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))  # a hole
    polygons = [box(0, 0, 5, 10), box(5, 0, 10, 10), ring, None,
                Polygon([(2, 2), (8, 3), (3, 9)]), Polygon()]
    x = np.array([5.0, 0.0, 10.0, 5.0, 2.0, 4.5, 11.0, np.nan, 8.0, 3.0, 7.3])
    y = np.array([5.0, 0.0, 10.0, 10.0, 2.0, 4.5, 5.0, 1.0, 3.0, 9.0, 6.1])
    expected = brute_force_pairs(x, y, polygons)
    assert (0, 0) in expected and (0, 1) in expected  # the shared border is in both
    assert not any(p == 7 for p, _ in expected)  # the missing point is in nothing
    for side in (1, 2, 3, 8, 64):
        assert grid_pairs(x, y, polygons, side) == expected


def test_random_points_on_the_real_neighborhoods_match_per_point_tests(shared_data):
    areas = gpd.read_file(shared_data / "real" / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson")
    polygons = shapely.make_valid(areas.to_crs(3735).geometry.to_numpy())
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = shapely.total_bounds(polygons)
    x, y = rng.uniform(x0 - 500, x1 + 500, 20_000), rng.uniform(y0 - 500, y1 + 500, 20_000)
    vertices = shapely.get_coordinates(polygons)[::7]  # points exactly on boundaries
    x, y = np.concatenate([x, vertices[:, 0]]), np.concatenate([y, vertices[:, 1]])
    assert grid_pairs(x, y, polygons, side=64) == brute_force_pairs(x, y, polygons)


def test_no_points_or_no_polygons():
    empty = PointGrid(np.array([np.nan]), np.array([np.nan]))
    assert [len(a) for a in empty.hits(np.array([box(0, 0, 1, 1)]))] == [0, 0]
    grid = PointGrid(np.array([0.5]), np.array([0.5]))
    assert [len(a) for a in grid.hits(np.array([], dtype=object))] == [0, 0]


def test_points_bucketed_in_degrees_match_per_point_tests_in_feet(shared_data):
    """Bucketed on longitude/latitude, projected only near edges: same pairs as projecting all."""
    from response_atlas.ingest.enrich import _project_lonlat

    areas = gpd.read_file(shared_data / "real" / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson")
    feet = shapely.make_valid(areas.to_crs(3735).geometry.to_numpy())
    degrees = shapely.make_valid(areas.geometry.to_numpy())
    rng = np.random.default_rng(8)
    x0, y0, x1, y1 = shapely.total_bounds(degrees)
    lon, lat = rng.uniform(x0 - 0.01, x1 + 0.01, 20_000), rng.uniform(y0 - 0.01, y1 + 0.01, 20_000)
    vertices = shapely.get_coordinates(degrees)[::5]
    lon, lat = np.concatenate([lon, vertices[:, 0]]), np.concatenate([lat, vertices[:, 1]])
    x, y = _project_lonlat(lon, lat)
    grid = PointGrid(lon, lat, side=64, project=_project_lonlat)
    points, polys = grid.hits(feet)
    assert set(zip(points.tolist(), polys.tolist(), strict=True)) == brute_force_pairs(x, y, feet)
    assert grid._done.mean() < 0.5  # most points were settled by their box, never projected


def test_a_cover_made_once_on_a_fixed_grid_serves_every_chunk_of_points(shared_data):
    """One grid around the polygons (padded), its boxes classified once: each chunk's pairs are
    the per-point answer, points outside the grid are in nothing, and a cover made for another
    grid is refused."""
    import pytest

    from response_atlas.ingest.point_grid import BoxCover, GridFrame

    areas = gpd.read_file(shared_data / "real" / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson")
    polygons = shapely.make_valid(areas.to_crs(3735).geometry.to_numpy())
    x0, y0, x1, y1 = shapely.total_bounds(polygons)
    frame = GridFrame(x0 - 100, y0 - 100, x1 + 100, y1 + 100, side=64)
    cover = BoxCover(frame, polygons)
    rng = np.random.default_rng(11)
    vertices = shapely.get_coordinates(polygons)[::9]
    for chunk in range(3):
        x = np.concatenate([rng.uniform(x0 - 3000, x1 + 3000, 5_000), vertices[chunk::3, 0], [np.nan]])
        y = np.concatenate([rng.uniform(y0 - 3000, y1 + 3000, 5_000), vertices[chunk::3, 1], [1.0]])
        points, polys = PointGrid(x, y, frame=frame).hits(cover)
        assert set(zip(points.tolist(), polys.tolist(), strict=True)) == brute_force_pairs(x, y, polygons)
    other = GridFrame(x0, y0, x1, y1, side=64)
    with pytest.raises(ValueError, match="another grid"):
        PointGrid(np.array([x0]), np.array([y0]), frame=other).hits(cover)
