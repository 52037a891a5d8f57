"""Synthetic area polygons: a Voronoi tessellation of the real interior points, clipped to the county.

Distances are taken in a local equal-scale plane (longitude shrunk by cos(latitude)) so cells are
not stretched east-west. The generator point is always inside its own Voronoi cell, and every
interior point lies inside the county outline, so every area contains its own interior point.
Unweighted on purpose: area-weighted relaxation was tried and did not bring cell sizes closer to
the real land areas (the log-size correlation is already about 0.84), so it was left out.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

COS_LAT = math.cos(math.radians(39.17))  # Hamilton County's middle latitude


def _to_plane(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy * np.array([COS_LAT, 1.0]))


def _to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy / np.array([COS_LAT, 1.0]))


def _voronoi_cells(points: np.ndarray, outline: Polygon) -> list[BaseGeometry]:
    """Voronoi cells of ``points`` (plane coordinates) clipped to ``outline``, in input order."""
    regions = shapely.voronoi_polygons(MultiPoint(points), extend_to=outline.buffer(1.0))
    cells: list[BaseGeometry | None] = [None] * len(points)
    pts = shapely.points(points)
    for region in shapely.get_parts(regions):
        hit = np.flatnonzero(shapely.contains(region, pts))
        if len(hit):
            cells[int(hit[0])] = region.intersection(outline)
    missing = [i for i, c in enumerate(cells) if c is None]
    if missing:  # shapely always returns one region per input point; this guards a GEOS change
        raise RuntimeError(f"no Voronoi cell for points {missing}")
    return cells  # type: ignore[return-value]


def build_area_polygons(lons: np.ndarray, lats: np.ndarray, outline: Polygon) -> list[BaseGeometry]:
    """Polygons (lon/lat), one per interior point, tiling ``outline``; each contains its point."""
    anchors = np.column_stack([np.asarray(lons, float) * COS_LAT, np.asarray(lats, float)])
    return [_to_lonlat(c) for c in _voronoi_cells(anchors, _to_plane(outline))]


def sample_points_in(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random (lon, lat) points inside ``polygon`` by rejection sampling."""
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        k = max(64, int((n - len(out)) * 2.5))
        cand = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        inside = shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def inner_polygon(polygon: BaseGeometry, margin_deg: float) -> BaseGeometry:
    """The polygon shrunk by ``margin_deg`` (falls back to the polygon when that empties it)."""
    inner = polygon.buffer(-margin_deg)
    return polygon if inner.is_empty or inner.area < polygon.area * 0.2 else inner


def point_of(lon: float, lat: float) -> Point:
    """A shapely point from lon/lat (readability helper)."""
    return Point(lon, lat)
