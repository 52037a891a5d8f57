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
import pyarrow.compute as pc
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

try:  # optional: vectorized H3 (requirements.txt pins it)
    from h3ronpy import cells_to_string as _cells_to_string
    from h3ronpy import vector as _vector_h3
except ImportError:  # pragma: no cover - the per-point h3 loop is used instead
    _vector_h3 = _cells_to_string = None

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


def h3_cell_array(lat: np.ndarray, lon: np.ndarray, resolution: int) -> pa.Array:
    """H3 cell ids (hex strings) as an Arrow array; null where a coordinate is missing.

    Vectorized with h3ronpy (Rust, the same H3 library underneath) when it is installed; the
    per-point ``h3`` loop otherwise (about 4x slower on a million points).
    """
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    if _vector_h3 is None:
        return pa.array(h3_cells(lat, lon, resolution), type=pa.string())
    ok = ~(np.isnan(lat) | np.isnan(lon))
    cells = pa.array(_cells_to_string(_vector_h3.coordinates_to_cells(lat[ok], lon[ok], resolution)))
    cells = cells.cast(pa.string())
    if ok.all():
        return cells
    positions = np.full(len(lat), -1, dtype=np.int64)
    positions[ok] = np.arange(int(ok.sum()))
    return cells.take(pa.array(positions, mask=~ok))


def _minutes(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Minutes between two ``datetime64[us]`` arrays; NaN where either is missing."""
    delta = np.asarray(later, dtype="datetime64[us]") - np.asarray(earlier, dtype="datetime64[us]")
    seconds = delta.view("int64") / 1_000_000  # the same arithmetic as Timedelta.total_seconds
    minutes = np.where(np.isnat(delta), np.nan, seconds) / 60.0
    # A negative interval is a clock or entry error: leave it empty rather than distort medians.
    return np.where(minutes >= 0, minutes, np.nan)


def _nullable(values: np.ndarray) -> pa.Array:
    """Float64 Arrow values with NaN stored as null (as pandas writes them)."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A pandas text column as Arrow strings (zero copy for Arrow-backed columns)."""
    array = pa.array(values, type=pa.string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _classify(codes: pa.ChunkedArray, rules: Ruleset) -> dict[str, pa.ChunkedArray]:
    """Triage columns, classifying each distinct code once and spreading with an Arrow take."""
    encoded = pc.dictionary_encode(codes).combine_chunks()
    uniques = encoded.dictionary.to_pylist()
    table = classify_codes(pd.Series(uniques, dtype=object), rules)
    table.loc[len(table)] = ["", "", "unclassified", "police_only", None]
    take = encoded.indices.fill_null(len(table) - 1)
    return {c: pa.chunked_array([pa.array(table[c].tolist(), type=pa.string(), from_pandas=True).take(take)])
            for c in table.columns}


def enrich_calls_table(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                       rules: Ruleset) -> tuple[pa.Table, dict[str, int], dict[str, int]]:
    """The snapshot calls table (``SNAPSHOT_CALL_COLUMNS``) as Arrow, plus fixes and location counts.

    Built column by column in Arrow (no pandas copy of the result) and written as it is.
    """
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
    no_cell = pa.array([None], type=pa.string())
    fine = pa.concat_arrays([h3_cell_array(u_lat, u_lon, H3_FINE), no_cell])
    coarse = pa.concat_arrays([h3_cell_array(u_lat, u_lon, H3_COARSE), no_cell])

    triage = _classify(_arrow_text(calls["incident_code"]), rules)
    received = calls["received_at"].to_numpy().astype("datetime64[us]", copy=False)
    received_arrow = pa.array(received, type=pa.timestamp("us"))
    # DST: the repeated fall-back hour takes daylight time (earliest); the skipped spring-forward
    # hour shifts to 03:00 (Arrow's "latest": the first instant after the gap).
    utc = pc.assume_timezone(received_arrow, TIMEZONE, ambiguous="earliest",
                             nonexistent="latest").cast(pa.timestamp("us", tz="UTC"))
    times = {c: calls[c].to_numpy().astype("datetime64[us]", copy=False)
             for c in ("dispatched_at", "arrived_at", "closed_at")}
    disposition = _arrow_text(calls["disposition"])
    columns = {
        "call_id": _arrow_text(calls["call_id"]),
        "received_at": received_arrow,
        "received_utc": utc,
        "call_date": pc.cast(received_arrow, pa.date32()),
        "call_month": pc.cast(pc.floor_temporal(received_arrow, unit="month"), pa.date32()),
        "hour": pc.cast(pc.hour(received_arrow), pa.int8()),
        "weekday": pc.cast(pc.day_of_week(received_arrow), pa.int8()),
        "incident_code": _arrow_text(calls["incident_code"]),
        "incident_base": triage["incident_base"],
        "modifiers": triage["modifiers"],
        "priority": _arrow_text(calls["priority"]),
        "disposition": disposition,
        "address": _arrow_text(calls["address"]),
        "lat": _nullable(lat.to_numpy()),
        "lon": _nullable(lon.to_numpy()),
        "area": area_labels.take(take_area),
        "location_status": status_labels.take(take_area),
        "zone_ids": zone_ids,
        "h3_fine": fine.take(take_point),
        "h3_coarse": coarse.take(take_point),
        "category": triage["category"],
        "tier": triage["tier"],
        "rule_id": triage["rule_id"],
        "dispatch_min": _nullable(_minutes(times["dispatched_at"], received)),
        "travel_min": _nullable(_minutes(times["arrived_at"], times["dispatched_at"])),
        "response_min": _nullable(_minutes(times["arrived_at"], received)),
        "on_scene_min": _nullable(_minutes(times["closed_at"], times["arrived_at"])),
        "arrest": pc.match_substring(disposition, "ARREST", ignore_case=True).fill_null(False),
        "agency": _arrow_text(calls["agency"]),
        "beat": _arrow_text(calls["beat"]),
        "district": _arrow_text(calls["district"]),
        "source_file": _arrow_text(calls["source_file"]),
        "source_row": pa.array(calls["source_row"].to_numpy(), type=pa.int32()),
    }
    out = pa.table({c: columns[c] for c in SNAPSHOT_CALL_COLUMNS})
    slots = np.bincount(area_index, minlength=n_names + 2)
    locations = {LOCATION_IN_AREA: int(slots[:n_names].sum()),
                 LOCATION_OUTSIDE: int(slots[outside_slot]),
                 LOCATION_MISSING: int(slots[missing_slot])}
    return out, fixes, locations


def enrich_calls(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                 rules: Ruleset) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """:func:`enrich_calls_table` as a pandas frame (Arrow-backed columns), for small inputs."""
    table, fixes, locations = enrich_calls_table(calls, areas, zones, rules)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in ("received_at", "received_utc", "lat", "lon", "dispatch_min", "travel_min",
                   "response_min", "on_scene_min", "arrest", "source_row", "hour", "weekday"):
        frame[column] = table.column(column).to_pandas()
    return frame, fixes, locations
