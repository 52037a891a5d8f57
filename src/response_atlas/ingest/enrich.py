"""Enrich validated calls once: location checks, area, zones, H3 cells, triage, times, intervals.

Spatial work runs on the distinct points only (block-masked addresses repeat a lot) and in
EPSG:3735 (Ohio South, feet). A point on a border shared by two areas goes to the area that
comes first by name, so the result never depends on file order. Points in no area are kept as
``Outside county``; calls without usable coordinates as ``No location``.

Coordinates: (0, 0) or a zero component means "no location"; a pair that only makes sense
swapped (latitude around -84, longitude around 39) is swapped back and counted.

Time zone: ``received_at`` is local wall time. For ``received_utc``, wall times that do not exist
(the spring-forward hour) shift forward to 03:00, and ambiguous ones (the repeated fall-back hour)
take the first occurrence (daylight time).
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import Transformer

from response_atlas.config import GEOGRAPHIC_CRS, H3_COARSE, H3_FINE, PROJECTED_CRS, TIMEZONE
from response_atlas.schema import (
    AREA_MISSING_LABEL,
    AREA_OUTSIDE_LABEL,
    LOCATION_IN_AREA,
    LOCATION_MISSING,
    LOCATION_OUTSIDE,
    SNAPSHOT_CALL_COLUMNS,
)
from response_atlas.triage_rules import Ruleset, classify_codes

# A generous box around Hamilton County and its neighbours, used only to spot swapped pairs.
REGION_LAT = (38.0, 40.5)
REGION_LON = (-86.0, -83.0)


def fix_coordinates(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Clear zero/missing coordinates and swap back lat/lon pairs given the wrong way round."""
    lat, lon = lat.astype("float64").copy(), lon.astype("float64").copy()
    zero = (lat == 0) | (lon == 0)
    lat[zero], lon[zero] = np.nan, np.nan
    swapped = lat.between(*REGION_LON) & lon.between(*REGION_LAT)
    lat[swapped], lon[swapped] = lon[swapped].to_numpy(), lat[swapped].to_numpy()
    counts = {}
    if zero.any():
        counts["zero coordinates: kept as no location"] = int(zero.sum())
    if swapped.any():
        counts["latitude/longitude swapped: fixed"] = int(swapped.sum())
    return lat, lon, counts


def _points(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Shapely points in the projected CRS.

    The coordinates are projected as arrays and the points built once, in the projected CRS:
    the same pyproj transformation ``GeoSeries.to_crs`` applies, without building and then
    rewriting a million geographic points.
    """
    x, y = _TO_PROJECTED.transform(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return shapely.points(x, y)


_TO_PROJECTED = Transformer.from_crs(GEOGRAPHIC_CRS, PROJECTED_CRS, always_xy=True)


def assign_areas(lat: np.ndarray, lon: np.ndarray, areas: gpd.GeoDataFrame,
                 points: np.ndarray | None = None) -> np.ndarray:
    """Index into ``areas`` for each point (-1: in no area); borders go to the first by name.

    ``points``: the same points already projected (``_points``), to share the work with zones.
    """
    out = np.full(len(lat), -1, dtype=np.int64)
    if len(lat) == 0 or areas.empty:
        return out
    order = np.argsort(areas["area"].to_numpy(dtype=str), kind="stable")
    projected = areas.geometry.to_crs(PROJECTED_CRS).iloc[order].reset_index(drop=True)
    points = _points(lat, lon) if points is None else points
    point_idx, poly_idx = projected.sindex.query(points, predicate="intersects")
    if len(point_idx):
        best = np.full(len(lat), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point_idx, poly_idx)
        hit = best != np.iinfo(np.int64).max
        out[hit] = order[best[hit]]
    return out


def assign_zones(lat: np.ndarray, lon: np.ndarray, zones: gpd.GeoDataFrame,
                 points: np.ndarray | None = None) -> pa.ListArray:
    """For each point, the list of zone ids whose polygon contains it (border included)."""
    offsets = np.zeros(len(lat) + 1, dtype=np.int32)
    if len(lat) == 0 or zones.empty:
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([], type=pa.string()))
    projected = zones.geometry.to_crs(PROJECTED_CRS).reset_index(drop=True)
    points = _points(lat, lon) if points is None else points
    point_idx, zone_idx = projected.sindex.query(points, predicate="intersects")
    order = np.lexsort((zone_idx, point_idx))
    point_idx, zone_idx = point_idx[order], zone_idx[order]
    np.add.at(offsets, point_idx + 1, 1)
    offsets = np.cumsum(offsets, dtype=np.int32)
    values = pa.array(zones["zone_id"].astype(str).to_numpy()[zone_idx], type=pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell ids (hex strings) for points; None where a coordinate is missing."""
    out = np.empty(len(lat), dtype=object)
    to_cell = h3.latlng_to_cell
    for i, (y, x) in enumerate(zip(lat.tolist(), lon.tolist(), strict=True)):
        out[i] = None if y != y or x != x else to_cell(y, x, resolution)  # NaN != NaN
    return out


def _minutes(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    delta = (later - earlier).dt.total_seconds().to_numpy() / 60.0
    # A negative interval is a clock or entry error: leave it empty rather than distort medians.
    return np.where(delta >= 0, delta, np.nan)


_STR = pd.ArrowDtype(pa.string())


def _text(values: pd.Series | np.ndarray) -> pd.Series:
    # Arrow-backed strings write to Parquet without a per-value Python round trip.
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        return pd.Series(pa.chunked_array(values.array._pa_array), dtype=_STR)
    return pd.Series(pa.array(values, type=pa.string(), from_pandas=True), dtype=_STR)


def _classify(codes: pd.Series, rules: Ruleset) -> dict[str, pd.Series]:
    """Triage columns, classifying each distinct code once and spreading with an Arrow take."""
    keys, uniques = pd.factorize(codes, use_na_sentinel=True)
    table = classify_codes(pd.Series(uniques, dtype=object).astype(object), rules)
    table.loc[len(table)] = ["", "", "unclassified", "police_only", None]
    keys = np.where(keys < 0, len(table) - 1, keys)
    take = pa.array(keys)
    return {c: pd.Series(pa.array(table[c].tolist(), type=pa.string(), from_pandas=True).take(take),
                        dtype=_STR)
            for c in table.columns}


def enrich_calls(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                 rules: Ruleset) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """The snapshot calls table (``SNAPSHOT_CALL_COLUMNS``) plus fixes and location counts."""
    lat, lon, fixes = fix_coordinates(calls["lat"], calls["lon"])
    has_point = lat.notna().to_numpy() & lon.notna().to_numpy()
    # Distinct points only: one int64 key per point at 1e-7 degrees (about 1 cm).
    p_lat = lat.to_numpy()[has_point]
    p_lon = lon.to_numpy()[has_point]
    key = (np.round(p_lat * 1e7).astype(np.int64) << 32) + (np.round(p_lon * 1e7).astype(np.int64) + 2**31)
    _, first, codes = np.unique(key, return_index=True, return_inverse=True)
    u_lat, u_lon = p_lat[first], p_lon[first]

    points = _points(u_lat, u_lon)
    area_of_point = assign_areas(u_lat, u_lon, areas, points=points)
    # Area and status as small label lists plus one index per call (an Arrow take builds the
    # string columns without a Python object per call).
    names = areas["area"].to_numpy(dtype=object)
    n_names = len(names)
    missing_slot, outside_slot = n_names, n_names + 1
    area_index = np.full(len(calls), missing_slot, dtype=np.int64)
    point_area = area_of_point[codes]
    in_area = point_area >= 0
    idx_point = np.flatnonzero(has_point)
    area_index[idx_point[in_area]] = point_area[in_area]
    area_index[idx_point[~in_area]] = outside_slot
    area_labels = pa.array([*names, AREA_MISSING_LABEL, AREA_OUTSIDE_LABEL], type=pa.string())
    status_labels = pa.array([*[LOCATION_IN_AREA] * n_names, LOCATION_MISSING, LOCATION_OUTSIDE],
                             type=pa.string())
    take_area = pa.array(area_index)

    full_index = np.full(len(calls), len(u_lat), dtype=np.int64)  # last slot: no point
    full_index[idx_point] = codes
    take_point = pa.array(full_index)
    zone_lists = assign_zones(u_lat, u_lon, zones, points=points)
    zone_lists = pa.concat_arrays([zone_lists, pa.array([[]], type=pa.list_(pa.string()))])
    zone_ids = zone_lists.take(take_point)
    fine = pa.array(np.append(h3_cells(u_lat, u_lon, H3_FINE), None), type=pa.string())
    coarse = pa.array(np.append(h3_cells(u_lat, u_lon, H3_COARSE), None), type=pa.string())

    triage = _classify(calls["incident_code"], rules)
    received = calls["received_at"]
    local = received.dt.tz_localize(TIMEZONE, ambiguous=np.ones(len(received), dtype=bool),
                                    nonexistent="shift_forward")
    day = received.to_numpy().astype("datetime64[D]")
    out = pd.DataFrame({
        "call_id": _text(calls["call_id"]),
        "received_at": received,
        "received_utc": local.dt.tz_convert("UTC"),
        "call_date": pd.Series(pa.array(day, type=pa.date32()), dtype=pd.ArrowDtype(pa.date32())),
        "call_month": pd.Series(pa.array(day.astype("datetime64[M]").astype("datetime64[D]"),
                                         type=pa.date32()), dtype=pd.ArrowDtype(pa.date32())),
        "hour": received.dt.hour.astype("int8"),
        "weekday": received.dt.day_of_week.astype("int8"),
        "incident_code": _text(calls["incident_code"]),
        "incident_base": triage["incident_base"],
        "modifiers": triage["modifiers"],
        "priority": _text(calls["priority"]),
        "disposition": _text(calls["disposition"]),
        "address": _text(calls["address"]),
        "lat": lat.to_numpy(),
        "lon": lon.to_numpy(),
        "area": pd.Series(area_labels.take(take_area), dtype=_STR),
        "location_status": pd.Series(status_labels.take(take_area), dtype=_STR),
        "zone_ids": pd.Series(zone_ids, dtype=pd.ArrowDtype(pa.list_(pa.string()))),
        "h3_fine": pd.Series(fine.take(take_point), dtype=_STR),
        "h3_coarse": pd.Series(coarse.take(take_point), dtype=_STR),
        "category": triage["category"],
        "tier": triage["tier"],
        "rule_id": triage["rule_id"],
        "dispatch_min": _minutes(calls["dispatched_at"], received),
        "travel_min": _minutes(calls["arrived_at"], calls["dispatched_at"]),
        "response_min": _minutes(calls["arrived_at"], received),
        "on_scene_min": _minutes(calls["closed_at"], calls["arrived_at"]),
        "arrest": calls["disposition"].str.contains("ARREST", case=False, regex=False)
                  .fillna(False).astype(bool).to_numpy(),
        "agency": _text(calls["agency"]),
        "beat": _text(calls["beat"]),
        "district": _text(calls["district"]),
        "source_file": _text(calls["source_file"].astype(str).to_numpy()),
        "source_row": calls["source_row"].astype("int32").to_numpy(),
    })
    slots = np.bincount(area_index, minlength=n_names + 2)
    locations = {LOCATION_IN_AREA: int(slots[:n_names].sum()),
                 LOCATION_OUTSIDE: int(slots[outside_slot]),
                 LOCATION_MISSING: int(slots[missing_slot])}
    return out[list(SNAPSHOT_CALL_COLUMNS)], fixes, locations
