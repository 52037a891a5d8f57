"""Demo team zones: two ARC crisis teams downtown, a county-wide QRT and DVERT in a few places."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Central Cincinnati, where the ARC teams work (all present in the 81-area facts).
ARC_AREAS = (
    "Downtown", "OTR-Pendleton", "West End", "CUF", "Mt. Auburn", "Corryville", "Clifton",
    "Walnut Hills", "E. Walnut Hills", "Mt. Adams", "Avondale", "Lower Price Hill-Queensgate",
    "Camp Washington",
)
# DVERT in a subset of jurisdictions: the west-side neighborhoods and three municipalities.
DVERT_AREAS = (
    "W. Price Hill", "E. Price Hill", "Westwood", "Riverside-Sedamsville", "Sayler Park",
    "Cheviot", "Norwood", "Lincoln Hts.", "Forest Park",
)

# Schedules the demo writes; every one matches SCHEDULE_PATTERN.
SCHEDULE_PATTERN = re.compile(r"^(24/7|Mon-Fri (?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-4]):[0-5]\d)$")


@dataclass(frozen=True)
class Zone:
    """One team zone: id, team, program, weekly schedule, areas covered (None: whole county), base."""

    zone_id: str
    team_id: str
    program: str
    schedule: str
    areas: tuple[str, ...] | None
    base_area: str
    start_hour: int = 0  # on-duty hours [start_hour, end_hour) on weekdays; 0-24 for 24/7
    end_hour: int = 24
    weekdays_only: bool = False


ZONES = (
    Zone("arc-1", "ARC-1", "ARC", "Mon-Fri 07:00-15:00", ARC_AREAS, "Downtown", 7, 15, True),
    Zone("arc-2", "ARC-2", "ARC", "Mon-Fri 11:00-19:00", ARC_AREAS, "OTR-Pendleton", 11, 19, True),
    Zone("qrt-1", "QRT-1", "QRT", "Mon-Fri 08:00-16:00", None, "Downtown", 8, 16, True),
    Zone("dvert-1", "DVERT-1", "DVERT", "24/7", DVERT_AREAS, "W. Price Hill"),
)


def zone_geometry(zone: Zone, names: np.ndarray, polygons: list[BaseGeometry]) -> BaseGeometry:
    """The zone polygon: the union of its areas (all areas: the county)."""
    index = {n: i for i, n in enumerate(names)}
    areas = names if zone.areas is None else zone.areas
    missing = [str(a) for a in areas if a not in index]
    if missing:
        raise ValueError(f"zone {zone.zone_id}: unknown areas {missing}")
    # The areas share edges exactly (one simplified coverage), so the cheap coverage union is exact.
    return shapely.coverage_union_all([polygons[index[a]] for a in areas])


def zone_area_mask(zone: Zone, names: np.ndarray) -> np.ndarray:
    """Boolean per area: is the area inside this zone."""
    if zone.areas is None:
        return np.ones(len(names), dtype=bool)
    return np.isin(names, zone.areas)


def on_duty(zone: Zone, weekday: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Boolean per call time: is the team on duty (weekday 0=Monday, local hour)."""
    ok = (hour >= zone.start_hour) & (hour < zone.end_hour)
    if zone.weekdays_only:
        ok &= weekday < 5
    return ok
