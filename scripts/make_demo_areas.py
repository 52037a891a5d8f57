"""Make ``src/response_atlas/resources/demo_areas.geojson``: Hamilton County's 81 areas, simplified.

Run once; the output is committed and the demo generator reads it (``demo/geometry.py``)::

    python scripts/make_demo_areas.py            # reads ../shared/data beside the project

Input: the US Census Bureau's TIGER/Line 2020 census tracts for Hamilton County (public domain)
and the tract-to-area crosswalk of the 81-area layer (41 Cincinnati neighborhood groupings, 30
municipalities, 10 townships; the grouping Cincinnati Children's Hospital publishes as
``neigh_cchmc``). Each area is the union of its tracts, so neighbours share edges exactly.

The areas are simplified together as one coverage (``shapely.coverage_simplify``, GEOS's
coverage simplifier) in a metric plane, so shared edges stay shared: no gaps, no overlaps.
Simplifying each area on its own would move the two copies of an edge differently.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from response_atlas.demo.facts import load_area_facts  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TRACTS = Path("real/boundaries/hamilton_county_census_tracts_2020.geojson")
CROSSWALK = Path("real/demographics/hamilton_tract_to_cincy_neighborhood_2020.csv")
OUTPUT = ROOT / "src" / "response_atlas" / "resources" / "demo_areas.geojson"
PLANE = "EPSG:3735"  # NAD83 / Ohio South, in US survey feet: lengths true to 0.01% in the county
FEET_PER_METRE = 1 / 0.3048006096
TOLERANCE_M = 50.0  # about the size of a city block: drops vertices a county map cannot show
DECIMALS = 5  # about 1 m; shared vertices round to the same numbers, so edges stay shared
ATTRIBUTION = ("US Census Bureau, TIGER/Line 2020 census tracts (public domain), grouped into "
               "81 areas by the tract-to-area crosswalk of the Cincinnati Children's Hospital "
               "(CCHMC) layer; simplified to about 50 m with scripts/make_demo_areas.py")


def read_tracts(path: Path) -> dict[str, BaseGeometry]:
    """Tract GEOID -> polygon (lon/lat)."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["census_tract_id_2020"]: shape(f["geometry"]) for f in features}


def dissolve_areas(tracts: dict[str, BaseGeometry], crosswalk: pd.DataFrame,
                   names: list[str]) -> list[BaseGeometry]:
    """One polygon per area name (in ``names`` order): the union of its tracts."""
    unknown = sorted(set(crosswalk["census_tract_id"]) - set(tracts))
    if unknown:
        raise SystemExit(f"{CROSSWALK}: tracts not in {TRACTS.name}: {unknown}")
    groups = crosswalk.groupby("neighborhood")["census_tract_id"].apply(list)
    missing = sorted(set(names) - set(groups.index))
    if missing:
        raise SystemExit(f"{CROSSWALK}: no tracts for areas {missing}")
    return [shapely.coverage_union_all(np.array([tracts[t] for t in groups[n]])) for n in names]


def simplify_coverage(areas: list[BaseGeometry], tolerance_m: float) -> np.ndarray:
    """The areas simplified as one coverage in the metric plane, back in rounded lon/lat."""
    to_plane = Transformer.from_crs("EPSG:4326", PLANE, always_xy=True)
    to_lonlat = Transformer.from_crs(PLANE, "EPSG:4326", always_xy=True)

    def reproject(transformer: Transformer):
        return lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    plane = shapely.transform(np.array(areas, dtype=object), reproject(to_plane))
    simple = shapely.coverage_simplify(plane, tolerance_m * FEET_PER_METRE)
    lonlat = shapely.transform(simple, reproject(to_lonlat))
    return shapely.transform(lonlat, lambda xy: np.round(xy, DECIMALS))


def check_areas(areas: np.ndarray, facts: pd.DataFrame) -> None:
    """Stop with a message if the simplified areas are not a clean tiling holding their points."""
    problems = [f"{n}: invalid polygon" for n, g in zip(facts["name"], areas, strict=True)
                if not g.is_valid]
    problems += [f"{r.name}: its interior point ({r.lon}, {r.lat}) is outside the shape"
                 for r, g in zip(facts.itertuples(), areas, strict=True)
                 if not g.contains(Point(r.lon, r.lat))]
    if not shapely.coverage_is_valid(areas):
        problems.append("the areas overlap or their shared edges do not match")
    if problems:
        raise SystemExit("simplified areas rejected:\n  " + "\n  ".join(problems))


def geojson_text(names: list[str], areas: np.ndarray) -> str:
    """A FeatureCollection, one feature per line (small diffs when it is made again)."""
    lines = []
    for name, geom in zip(names, areas, strict=True):
        if isinstance(geom, MultiPolygon) and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        feature = {"type": "Feature", "properties": {"name": name}, "geometry": mapping(geom)}
        lines.append(json.dumps(feature, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "attribution": ATTRIBUTION})[:-1]
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    """Read the tracts, dissolve, simplify, check and write the resource."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE_M, help="metres")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    facts = load_area_facts()
    names = facts["name"].tolist()
    tracts = read_tracts(args.shared / TRACTS)
    crosswalk = pd.read_csv(args.shared / CROSSWALK, dtype=str)
    areas = simplify_coverage(dissolve_areas(tracts, crosswalk, names), args.tolerance)
    check_areas(areas, facts)
    text = geojson_text(names, areas)
    args.out.write_text(text, encoding="utf-8")
    vertices = len(shapely.get_coordinates(areas))
    print(f"wrote {args.out} ({len(text.encode()) / 1000:.0f} KB, {len(names)} areas, "
          f"{vertices:,} vertices, tolerance {args.tolerance:g} m)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
