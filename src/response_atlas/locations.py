"""Where a call is, in the words the snapshot uses: in an area, outside the areas, outside the
county, or without a location (issue 21, point 9).

"Outside the county" is decided against Hamilton County's outline (TIGER 2019 county boundary
simplified to 44 vertices, about 300 m: ``demo.facts.COUNTY_OUTLINE_CSV``), not against the areas
layer: a city-only layer leaves most of the county outside its areas, and those calls are
"outside the areas", not outside the county. A point within about 300 m of the county line may
fall on the wrong side of the simplified outline.

(The in-area, outside-county and no-location values live in ``schema``; the new ones are here
until they move there.)
"""

from __future__ import annotations

from functools import lru_cache

from response_atlas.schema import (
    AREA_MISSING_LABEL,
    AREA_OUTSIDE_LABEL,
    LOCATION_IN_AREA,
    LOCATION_MISSING,
    LOCATION_OUTSIDE,
)

LOCATION_OUTSIDE_AREAS = "outside_areas"
AREA_OUTSIDE_AREAS_LABEL = "Outside the areas"
# Area labels that name no area (pages list areas without them).
UNPLACED_LABELS = (AREA_MISSING_LABEL, AREA_OUTSIDE_LABEL, AREA_OUTSIDE_AREAS_LABEL)
LOCATION_STATUSES = (LOCATION_IN_AREA, LOCATION_OUTSIDE_AREAS, LOCATION_OUTSIDE, LOCATION_MISSING)
LOCATION_WORDS = {
    LOCATION_IN_AREA: "in an area",
    LOCATION_OUTSIDE_AREAS: "in the county but outside the areas",
    LOCATION_OUTSIDE: "outside the county",
    LOCATION_MISSING: "without a location",
}


# Hamilton County's outline, 44 lon/lat vertices: the Census Bureau's TIGER/Line 2019 county
# outline (public domain) simplified to about 300 m (area within 0.05% of the original). A call
# within about 300 m of the county line can fall on the wrong side of it.
COUNTY_OUTLINE_CSV = """\
lon,lat
-84.82016,39.10549
-84.81945,39.30515
-84.64181,39.30504
-84.63004,39.31206
-84.52354,39.30326
-84.50464,39.30596
-84.48514,39.30154
-84.26239,39.28838
-84.26534,39.28142
-84.25630,39.27657
-84.26145,39.26465
-84.29363,39.24863
-84.29944,39.23515
-84.30723,39.23435
-84.31998,39.22370
-84.31032,39.20908
-84.28546,39.21352
-84.27620,39.20173
-84.28873,39.18170
-84.29942,39.17421
-84.29507,39.16723
-84.30174,39.15943
-84.31998,39.02153
-84.35782,39.04073
-84.40733,39.04583
-84.42625,39.05304
-84.43273,39.06683
-84.43539,39.10089
-84.44639,39.11529
-84.45882,39.12148
-84.48051,39.11754
-84.50616,39.09518
-84.52377,39.09227
-84.55136,39.09936
-84.57110,39.08275
-84.60789,39.07330
-84.63250,39.07655
-84.65434,39.09390
-84.68607,39.10080
-84.71810,39.13662
-84.74278,39.14756
-84.76106,39.14291
-84.78777,39.11531
-84.82016,39.10549
"""


@lru_cache(maxsize=1)
def county_outline():
    """Hamilton County's outline (a shapely polygon, lon/lat), prepared for point tests."""
    import shapely

    outline = shapely.Polygon(
        [tuple(map(float, line.split(","))) for line in COUNTY_OUTLINE_CSV.splitlines()[1:]])
    shapely.prepare(outline)
    return outline


def placed_share(locations: dict) -> float | None:
    """The share of calls placed in an area, from a manifest's ``locations`` (None: no calls)."""
    total = sum(int(v) for v in (locations or {}).values())
    return int((locations or {}).get(LOCATION_IN_AREA, 0)) / total if total else None
