"""Demo area shapes: Hamilton County's 81 real areas, simplified, and points sampled inside them.

The shapes ship in ``resources/demo_areas.geojson`` (2020 census tracts grouped into the 81 areas,
simplified to about 50 m as one coverage so neighbours share edges; made once by
``scripts/make_demo_areas.py``). Every area holds the interior point of its embedded facts.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

AREAS_RESOURCE = "demo_areas.geojson"


def load_area_shapes(names: np.ndarray) -> list[BaseGeometry]:
    """The real (simplified) lon/lat polygon of each area in ``names``, in that order."""
    path = resources.files("response_atlas") / "resources" / AREAS_RESOURCE
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    by_name = {f["properties"]["name"]: shape(f["geometry"]) for f in features}
    missing = [str(n) for n in names if n not in by_name]
    if missing:  # the facts and the shapes are made from the same 81-area layer
        raise ValueError(f"{AREAS_RESOURCE}: no shape for areas {missing}")
    return [by_name[n] for n in names]


def sample_points_in(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random (lon, lat) points inside ``polygon`` by rejection sampling."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    while len(out) < n:
        k = max(64, int((n - len(out)) * 2.5))
        cand = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        inside = shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def inner_polygon(polygon: BaseGeometry, margin_deg: float) -> BaseGeometry:
    """The polygon shrunk by ``margin_deg``; points in it jittered by less stay in ``polygon``."""
    inner = polygon.buffer(-margin_deg)
    if inner.is_empty:  # no real area is this thin; a silent fallback would let calls escape
        raise ValueError(f"polygon at {polygon.bounds} is narrower than {margin_deg} degrees")
    return inner
