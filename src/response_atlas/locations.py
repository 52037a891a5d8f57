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


@lru_cache(maxsize=1)
def county_outline():
    """Hamilton County's outline (a shapely polygon, lon/lat), prepared for point tests."""
    import shapely

    from response_atlas.demo.facts import load_county_outline

    outline = load_county_outline()
    shapely.prepare(outline)
    return outline


def placed_share(locations: dict) -> float | None:
    """The share of calls placed in an area, from a manifest's ``locations`` (None: no calls)."""
    total = sum(int(v) for v in (locations or {}).values())
    return int((locations or {}).get(LOCATION_IN_AREA, 0)) / total if total else None
