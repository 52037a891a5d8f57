"""Enrich validated calls once: location checks, area, zones, H3 cells, triage, times, intervals.

Spatial work runs on the distinct points only (block-masked addresses repeat a lot) and in
EPSG:3735 (Ohio South, feet). A point on a border shared by two areas goes to the area that
comes first by name, so the result never depends on file order. Points in no area are kept as
``Outside county`` when they are outside the county outline too, else ``Outside the areas``
(``locations.py``); calls without usable coordinates as ``No location``.

Coordinates: (0, 0) or a zero component means "no location"; a pair that only makes sense
swapped (latitude around -84, longitude around 39) is swapped back and counted.

Time zone: ``received_at`` is local wall time. For ``received_utc``, wall times that do not exist
(the spring-forward hour) shift forward to 03:00, and ambiguous ones (the repeated fall-back hour)
take the first occurrence (daylight time).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from response_atlas.config import GEOGRAPHIC_CRS, H3_COARSE, H3_FINE, PROJECTED_CRS, TIMEZONE
from response_atlas.ingest.h3_cells import ParentCheck, fine_and_coarse_cells
from response_atlas.ingest.point_grid import BoxCover, GridFrame, PointGrid
from response_atlas.locations import (
    AREA_OUTSIDE_AREAS_LABEL,
    LOCATION_OUTSIDE_AREAS,
    county_outline,
)
from response_atlas.schema import (
    AREA_MISSING_LABEL,
    AREA_OUTSIDE_LABEL,
    DERIVED_CALL_SQL,
    LOCATION_IN_AREA,
    LOCATION_MISSING,
    LOCATION_OUTSIDE,
    SNAPSHOT_CALL_COLUMNS,
)
from response_atlas.triage_rules import Ruleset, classify_codes

# Calls enriched at a time by a refresh (:func:`enrich_in_chunks`). Every array of a chunk is a
# few megabytes, which the allocators hand out again to the next chunk; enriching 5 million
# calls at once touched gigabytes of fresh memory, and on the development VM the kernel time of
# zeroing it cost more than the work itself (5M calls: 8 s at once, 3.3-3.9 s in 1M chunks).
CHUNK_ROWS = 1_000_000

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


def _projected_xy(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projected (EPSG:3735) x and y arrays: the pyproj transformation ``GeoSeries.to_crs`` applies."""
    x, y = _TO_PROJECTED.transform(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


_TO_PROJECTED = Transformer.from_crs(GEOGRAPHIC_CRS, PROJECTED_CRS, always_xy=True)


def _project_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_projected_xy`` with longitude first: the projection a :class:`PointGrid` is given."""
    return _projected_xy(lat, lon)


def _prepared(geoms: gpd.GeoSeries) -> np.ndarray:
    polygons = np.asarray(geoms.to_crs(PROJECTED_CRS).to_numpy(), dtype=object)  # new geometries
    shapely.prepare(polygons)
    return polygons


def _point_grid(lat, lon, points) -> PointGrid:
    if isinstance(points, PointGrid):
        return points
    if points is not None:  # shapely points already projected
        coords = shapely.get_coordinates(points)
        return PointGrid(coords[:, 0].copy(), coords[:, 1].copy())
    return PointGrid(lon, lat, project=_project_lonlat)


def _by_name(areas: gpd.GeoDataFrame) -> np.ndarray:
    """Positions of ``areas`` in name order (the order border points are settled in)."""
    return np.argsort(areas["area"].to_numpy(dtype=str), kind="stable")


def _area_polygons(areas: gpd.GeoDataFrame) -> np.ndarray:
    """The areas' polygons, projected and prepared, in name order (:func:`_by_name`)."""
    return _prepared(areas.geometry.iloc[_by_name(areas)])


def _zone_polygons(zones: gpd.GeoDataFrame) -> np.ndarray:
    """The zones' polygons, projected and prepared, in row order (a zone's number)."""
    return _prepared(zones.geometry.reset_index(drop=True))


def assign_areas(lat: np.ndarray, lon: np.ndarray, areas: gpd.GeoDataFrame,
                 points: object | None = None, cover: BoxCover | None = None) -> np.ndarray:
    """Index into ``areas`` for each point (-1: in no area); borders go to the first by name.

    ``points``: the same points already projected, to share the sorting with zones.
    ``cover``: the areas' :class:`SharedPlaces` cover, on the grid ``points`` was built on.
    """
    out = np.full(len(lat), -1, dtype=np.int64)
    if len(lat) == 0 or areas.empty:
        return out
    order = _by_name(areas)
    found = _point_grid(lat, lon, points).hits_per_polygon(
        cover if cover is not None else _area_polygons(areas))
    for rank in range(len(found) - 1, -1, -1):  # last by name first: the first by name wins
        out[found[rank]] = order[rank]
    return out


def assign_zones(lat: np.ndarray, lon: np.ndarray, zones: gpd.GeoDataFrame,
                 points: object | None = None, cover: BoxCover | None = None) -> pa.ListArray:
    """For each point, the list of zone ids whose polygon contains it (border included).

    ``points``, ``cover``: as for :func:`assign_areas`.
    """
    offsets = np.zeros(len(lat) + 1, dtype=np.int32)
    if len(lat) == 0 or zones.empty:
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([], type=pa.string()))
    polygons = cover if cover is not None else _zone_polygons(zones)
    point_idx, zone_idx = _point_grid(lat, lon, points).hits(polygons)
    if len(zones) <= 32:  # few zones: a point x zone membership grid is cheaper than a sort
        member = np.zeros((len(lat), len(zones)), dtype=bool)
        member[point_idx, zone_idx] = True
        flat = np.flatnonzero(member)
        point_idx, zone_idx = flat // len(zones), flat % len(zones)
    else:
        order = np.lexsort((zone_idx, point_idx))
        point_idx, zone_idx = point_idx[order], zone_idx[order]
    offsets[1:] = np.bincount(point_idx, minlength=len(lat))
    offsets = np.cumsum(offsets, dtype=np.int32)
    values = pa.array(zones["zone_id"].astype(str).tolist(), type=pa.string()).take(pa.array(zone_idx))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _plain(values: pa.Array) -> pa.Array:
    """Dictionary-encoded text (alone or inside lists) as plain strings."""
    if pa.types.is_dictionary(values.type):
        return values.cast(pa.string())
    if pa.types.is_list(values.type) and pa.types.is_dictionary(values.type.value_type):
        return values.cast(pa.list_(pa.string()))
    return values


def _minutes(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Minutes between two ``datetime64[us]`` arrays; NaN where either is missing."""
    delta = np.asarray(later, dtype="datetime64[us]") - np.asarray(earlier, dtype="datetime64[us]")
    seconds = delta.view("int64") / 1_000_000  # the same arithmetic as Timedelta.total_seconds
    minutes = np.where(np.isnat(delta), np.nan, seconds) / 60.0
    # A negative interval is a clock or entry error: leave it empty rather than distort medians.
    return np.where(minutes >= 0, minutes, np.nan)


# Impossible orderings of a call's times, counted per kind for the refresh report: each
# (later, earlier, kind, the interval figures the call is then left out of).
IMPOSSIBLE_ORDERS = (
    ("dispatched_at", "received_at", "dispatched before received", "time to dispatch"),
    ("arrived_at", "dispatched_at", "arrived before dispatched", "travel time"),
    ("arrived_at", "received_at", "arrived before received", "response time"),
    ("closed_at", "arrived_at", "closed before arrived", "time on scene"),
    ("closed_at", "received_at", "closed before received", "time on scene"),
)
IMPOSSIBLE_PREFIX = "impossible interval: "


def count_impossible(times: dict[str, np.ndarray]) -> dict[str, int]:
    """Calls per impossible ordering (``IMPOSSIBLE_ORDERS``), keyed for ``EnrichTotals.fixes``.

    The interval figures themselves are blanked by :func:`_minutes` (a negative interval is
    empty), so the pages' medians and shares never include them.
    """
    counts = {}
    for later, earlier, kind, figures in IMPOSSIBLE_ORDERS:
        n = int(np.count_nonzero(times[later] < times[earlier]))  # (NaT compares False)
        if n:
            counts[f"{IMPOSSIBLE_PREFIX}{kind} (left out of: {figures})"] = n
    return counts


def _nullable(values: np.ndarray) -> pa.Array:
    """Float64 Arrow values with NaN stored as null (as pandas writes them)."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A pandas text column as Arrow strings (zero copy for Arrow-backed columns).

    Arrow-backed columns keep their string type (32- or 64-bit offsets), and a category of
    text stays a dictionary of strings: all are the same text to Parquet and DuckDB, and
    converting would copy every value.
    """
    array = pa.array(values, from_pandas=True)
    if pa.types.is_dictionary(array.type):  # (pandas gives categories as large strings)
        array = array.cast(pa.dictionary(array.type.index_type, pa.string()))
    elif not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _classify(codes: pa.ChunkedArray, rules: Ruleset) -> dict[str, pa.DictionaryArray]:
    """Triage columns, classifying each distinct code once: one label per code, an index per call."""
    encoded = pc.dictionary_encode(codes).combine_chunks()
    uniques = encoded.dictionary.to_pylist()
    table = classify_codes(pd.Series(uniques, dtype=object), rules)
    table.loc[len(table)] = ["", "", "unclassified", "police_only", None]
    index = encoded.indices.fill_null(len(table) - 1).to_numpy()
    return {c: _dictionary(index, pa.array(table[c].tolist(), type=pa.string(), from_pandas=True))
            for c in table.columns}


def _dictionary(index: np.ndarray, labels: pa.Array) -> pa.DictionaryArray:
    """``labels`` spread by ``index``, over a dictionary of the distinct labels.

    A null label becomes a null entry (Parquet dictionaries hold no null). The labels are made
    distinct first because Parquet keeps a column dictionary-encoded only when its dictionary
    has no repeats: with repeats pyarrow writes every value out in full, a column four times
    larger and slower to scan and to write.
    """
    encoded = pc.dictionary_encode(labels)
    codes = encoded.indices
    per_row = codes.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)[index]
    mask = codes.is_null().to_numpy(zero_copy_only=False)[index] if codes.null_count else None
    return pa.DictionaryArray.from_arrays(pa.array(per_row, type=pa.int32(), mask=mask),
                                          encoded.dictionary)


def _h3_columns(lat: np.ndarray, lon: np.ndarray, full_index: np.ndarray, no_point: np.ndarray,
                check: ParentCheck | None = None) -> tuple[pa.DictionaryArray, pa.DictionaryArray]:
    """Fine and coarse H3 cells per call (null where a call has no point)."""
    out = []
    for cells in fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE, check):
        per_point = np.append(cells.indices.to_numpy(zero_copy_only=False), 0).astype(np.int32)
        out.append(pa.DictionaryArray.from_arrays(pa.array(per_point[full_index], mask=no_point),
                                                  cells.dictionary))
    return out[0], out[1]


def distinct_points(lat: np.ndarray, lon: np.ndarray, sample: int = 10_000,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the number of its distinct point, and each distinct point's first row.

    Spatial work then runs once per distinct point (block-level extracts repeat points a lot).
    Extracts whose coordinates are offset per call (Cincinnati police) repeat almost none: when
    the first ``sample`` points are nearly all distinct, every point counts as its own, since
    hashing a million keys would save nothing (a repeat left in only costs one extra test).
    """
    def keys(lat, lon):  # one int64 key per point at 1e-7 degrees (about 1 cm)
        return (np.round(lat * 1e7).astype(np.int64) << 32) + (np.round(lon * 1e7).astype(np.int64) + 2**31)

    if len(lat) > sample and len(np.unique(keys(lat[:sample], lon[:sample]))) > 0.9 * sample:
        every = np.arange(len(lat), dtype=np.int64)
        return every, every
    key = keys(lat, lon)
    # A hash factorize (no sort): codes follow first appearance, so a code is new exactly where
    # it exceeds every earlier one, which gives each distinct point's first row.
    codes, _ = pd.factorize(key)
    codes = codes.astype(np.int64, copy=False)
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1]))) if len(codes) else codes
    return codes, np.flatnonzero(codes > seen)


def enrich_calls_table(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                       rules: Ruleset, dictionary: bool = False, shared: SharedPlaces | None = None,
                       ) -> tuple[pa.Table, dict[str, int], dict[str, int]]:
    """The snapshot calls table (``SNAPSHOT_CALL_COLUMNS``) as Arrow, plus fixes and location counts.

    Built column by column in Arrow (no pandas copy of the result) and written as it is.
    ``dictionary``: leave the few-valued text columns (area, triage, H3 cells) dictionary-encoded,
    as one label per distinct value plus an index per call: cheaper to build and to write to
    Parquet, and read back as plain strings (``snapshot_writer.write_arrow_table``). Otherwise
    they are plain strings. ``shared``: work kept from the previous chunks of the same areas
    and zones (:func:`share_places`; made here when not given).
    """
    lat, lon, fixes = fix_coordinates(calls["lat"], calls["lon"])
    has_point = lat.notna().to_numpy() & lon.notna().to_numpy()
    p_lat = lat.to_numpy()[has_point]
    p_lon = lon.to_numpy()[has_point]
    codes, first = distinct_points(p_lat, p_lon)
    # (every point its own: the distinct points are the points, no copy)
    u_lat, u_lon = (p_lat, p_lon) if len(first) == len(p_lat) else (p_lat[first], p_lon[first])

    # The spatial tests, the H3 cells and the Arrow takes release the GIL: they run side by side
    # in threads while the codes are classified and the times derived on this thread.
    n = len(calls)
    idx_point = np.flatnonzero(has_point)
    full_index = np.full(n, len(u_lat), dtype=np.int64)  # last slot: no point
    full_index[idx_point] = codes
    pool = ThreadPoolExecutor(max_workers=4)
    try:
        columns = _enrich_columns(calls, areas, zones, rules, pool, u_lat, u_lon, codes, idx_point,
                                  full_index, lat, lon, shared or share_places(areas, zones))
    finally:
        pool.shutdown()
    area_index = columns.pop("_area_index")
    columns = {c: v.result() if isinstance(v, Future) else v for c, v in columns.items()}
    columns["h3_fine"], columns["h3_coarse"] = columns.pop("_h3")
    columns["zone_ids"], columns["zone_key"] = columns.pop("_zones")
    columns.update(columns.pop("_per_call"))
    fixes.update(columns.pop("_impossible"))
    if not dictionary:
        columns = {c: _plain(v) for c, v in columns.items()}
    out = pa.table({c: columns[c] for c in SNAPSHOT_CALL_COLUMNS})
    n_names = len(areas)
    slots = np.bincount(area_index, minlength=n_names + 3)
    locations = {LOCATION_IN_AREA: int(slots[:n_names].sum()),
                 LOCATION_OUTSIDE_AREAS: int(slots[n_names + 2]),
                 LOCATION_OUTSIDE: int(slots[n_names + 1]),
                 LOCATION_MISSING: int(slots[n_names])}
    return out, fixes, locations


def _zone_patterns(u_lat: np.ndarray, zones: gpd.GeoDataFrame, points: PointGrid,
                   full_index: np.ndarray, cover: BoxCover | None = None,
                   ) -> tuple[pa.ListArray, pa.DictionaryArray]:
    """Zone lists and zone keys per call for a few zones (the same as :func:`assign_zones` and
    :func:`zone_keys`).

    Each call's set of zones is a bit pattern; the few patterns present are listed once and
    each call's list is copied from its pattern's as zone numbers, over a dictionary of the
    zone ids (no string per call). The key is the pattern's, as a dictionary index.
    """
    k = len(zones)
    found = points.hits_per_polygon(cover if cover is not None else _zone_polygons(zones))
    pattern = np.zeros(len(u_lat) + 1, dtype=np.int64)  # last slot: a call without a point
    for z, inside in enumerate(found):  # each point once per zone: a plain fancy assignment
        pattern[inside] |= 1 << z
    per_call = pattern[full_index]
    present = np.flatnonzero(np.bincount(per_call, minlength=1 << k))
    slot = np.zeros(1 << k, dtype=np.int64)
    slot[present] = np.arange(len(present))
    members = [[z for z in range(k) if p >> z & 1] for p in present.tolist()]
    # One row of zone numbers per pattern, padded with -1: each call's row, flattened without
    # the padding, is the child array of the lists (no per-call loop, no string copies).
    width = max(1, max(len(m) for m in members))
    table = np.full((len(members), width), -1, dtype=np.int8)
    for row, zones_in in enumerate(members):
        table[row, : len(zones_in)] = zones_in
    call_slot = slot[per_call]
    counts = (table >= 0).sum(axis=1).astype(np.int32)[call_slot]
    offsets = np.zeros(len(per_call) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    child = table[call_slot].ravel()
    child = child[child >= 0].astype(np.int32)
    names = zones["zone_id"].astype(str).tolist()
    ids = pa.array(names, type=pa.string())
    lists = pa.ListArray.from_arrays(pa.array(offsets),
                                     pa.DictionaryArray.from_arrays(pa.array(child), ids))
    keys = zone_keys(pa.array([[names[z] for z in m] for m in members], type=pa.list_(pa.string())))
    return lists, pa.DictionaryArray.from_arrays(pa.array(call_slot.astype(np.int32)), keys)


def zone_keys(zone_lists: pa.Array) -> pa.Array:
    """One text key per zone list: the ids sorted and joined by ``|`` (empty: ``''``).

    Computed by the SQL that derives the key on snapshots written before it was stored
    (``schema.DERIVED_CALL_SQL``), so the two agree by construction; in DuckDB, not a Python
    loop, because with many zones there is one list per distinct point.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("lists", pa.table({"zone_ids": zone_lists}))
        keys = con.sql(f"SELECT {DERIVED_CALL_SQL['zone_key']} AS k FROM lists").to_arrow_table()
    finally:
        con.close()
    return keys.column("k").combine_chunks().cast(pa.string())


def _zones_per_point(u_lat: np.ndarray, u_lon: np.ndarray, zones: gpd.GeoDataFrame,
                     points: PointGrid, full_index: np.ndarray, cover: BoxCover | None = None,
                     ) -> tuple[pa.Array, pa.Array]:
    """Zone lists and keys per call, built per distinct point (the last slot: no point)."""
    per_point = assign_zones(u_lat, u_lon, zones, points, cover)
    take = pa.array(full_index)
    lists = pa.concat_arrays([per_point, pa.array([[]], type=pa.list_(pa.string()))]).take(take)
    if zones.empty:  # every key is "": one dictionary entry, no pass over the points
        return lists, pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(full_index), np.int32)),
                                                     pa.array([""]))
    keys = pa.concat_arrays([zone_keys(per_point), pa.array([""])]).take(take)
    return lists, keys


def _enrich_columns(calls, areas, zones, rules, pool, u_lat, u_lon, codes, idx_point,
                    full_index, lat, lon, shared: SharedPlaces) -> dict:
    """The snapshot columns, some as pool jobs (``Future``), plus ``_area_index``."""
    # H3 first: it needs no projection, so it runs while the points are projected and sorted.
    no_point = full_index == len(u_lat)
    h3_job = pool.submit(_h3_columns, u_lat, u_lon, full_index, no_point, shared.parents)
    # Times, intervals and text need no place: built beside the spatial work, not after it.
    per_call_job = pool.submit(_per_call_columns, calls, lat, lon)
    points = PointGrid(u_lon, u_lat, frame=shared.frame)
    area_job = pool.submit(assign_areas, u_lat, u_lon, areas, points, shared.area_cover)
    if 0 < len(zones) <= 16:
        zone_job = pool.submit(_zone_patterns, u_lat, zones, points, full_index, shared.zone_cover)
    else:  # many zones (or none): lists and keys per distinct point, spread to the calls
        zone_job = pool.submit(_zones_per_point, u_lat, u_lon, zones, points, full_index,
                               shared.zone_cover)
    triage = _classify(_arrow_text(calls["incident_code"]), rules)
    # Area and status as small label lists plus one index per call (an Arrow take builds the
    # string columns without a Python object per call).
    names = areas["area"].to_numpy(dtype=object)
    n_names = len(names)
    missing_slot, outside_slot, outside_areas_slot = n_names, n_names + 1, n_names + 2
    area_index = np.full(len(calls), missing_slot, dtype=np.int64)
    point_slot = area_job.result()  # per distinct point: its area, or a slot below
    outside = np.flatnonzero(point_slot < 0)
    # Only the points in no area are tested against the county outline (few, one polygon).
    in_county = shapely.intersects_xy(county_outline(), u_lon[outside], u_lat[outside])
    point_slot[outside] = np.where(in_county, outside_areas_slot, outside_slot)
    area_index[idx_point] = point_slot[codes]
    area_labels = pa.array([*names, AREA_MISSING_LABEL, AREA_OUTSIDE_LABEL, AREA_OUTSIDE_AREAS_LABEL],
                           type=pa.string())
    status_labels = pa.array([*[LOCATION_IN_AREA] * n_names, LOCATION_MISSING, LOCATION_OUTSIDE,
                              LOCATION_OUTSIDE_AREAS], type=pa.string())
    area_column = _dictionary(area_index, area_labels)
    status_column = _dictionary(area_index, status_labels)
    columns = {
        "incident_base": triage["incident_base"],
        "modifiers": triage["modifiers"],
        "area": area_column,
        "location_status": status_column,
        "category": triage["category"],
        "tier": triage["tier"],
        "rule_id": triage["rule_id"],
    }
    return {**columns, "_h3": h3_job, "_zones": zone_job, "_per_call": per_call_job,
            "_area_index": area_index}


def _per_call_columns(calls: pd.DataFrame, lat: pd.Series, lon: pd.Series) -> dict[str, pa.Array]:
    """The columns that depend on the call alone: times, intervals, arrests and the text as read."""
    received = calls["received_at"].to_numpy().astype("datetime64[us]", copy=False)
    received_arrow = pa.array(received, type=pa.timestamp("us"))
    # DST: the repeated fall-back hour takes daylight time (earliest); the skipped spring-forward
    # hour shifts to 03:00 (Arrow's "latest": the first instant after the gap).
    utc = pc.assume_timezone(received_arrow, TIMEZONE, ambiguous="earliest",
                             nonexistent="latest").cast(pa.timestamp("us", tz="UTC"))
    times = {c: calls[c].to_numpy().astype("datetime64[us]", copy=False)
             for c in ("dispatched_at", "arrived_at", "closed_at")}
    impossible = count_impossible({**times, "received_at": received})
    disposition = _arrow_text(calls["disposition"])
    return {
        "call_id": _arrow_text(calls["call_id"]),
        "received_at": received_arrow,
        "received_utc": utc,
        "call_date": pc.cast(received_arrow, pa.date32()),
        "call_month": pc.cast(pc.floor_temporal(received_arrow, unit="month"), pa.date32()),
        "hour": pc.cast(pc.hour(received_arrow), pa.int8()),
        "weekday": pc.cast(pc.day_of_week(received_arrow), pa.int8()),
        "minute_of_day": pc.cast(pc.add(pc.multiply(pc.hour(received_arrow), 60),
                                        pc.minute(received_arrow)), pa.int16()),
        "incident_code": _arrow_text(calls["incident_code"]),
        "priority": _arrow_text(calls["priority"]),
        "disposition": disposition,
        "address": _arrow_text(calls["address"]),
        "lat": _nullable(lat.to_numpy()),
        "lon": _nullable(lon.to_numpy()),
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
        "_impossible": impossible,
    }


@dataclass(frozen=True)
class SharedPlaces:
    """Work every chunk of a refresh shares: one grid around the areas and zones, whose boxes
    are classified against their projected polygons once each (:class:`BoxCover`), and the H3
    parent checks made so far. Without it each chunk classified its own grid's boxes again
    (about 0.1 s a chunk)."""

    frame: GridFrame
    area_cover: BoxCover
    zone_cover: BoxCover
    parents: ParentCheck


# The grid around the places reaches this far beyond their bounds (a fraction of their extent):
# straight edges in feet bow slightly in degrees, and a point outside the grid is in no place.
_FRAME_MARGIN = 0.01


def share_places(areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> SharedPlaces:
    """:class:`SharedPlaces` for ``areas`` and ``zones``: the box covers of both, in one grid."""
    bounds = [frame.to_crs(GEOGRAPHIC_CRS).total_bounds for frame in (areas, zones) if not frame.empty]
    x0, y0 = (min(b[0] for b in bounds), min(b[1] for b in bounds)) if bounds else (0.0, 0.0)
    x1, y1 = (max(b[2] for b in bounds), max(b[3] for b in bounds)) if bounds else (0.0, 0.0)
    pad_x, pad_y = _FRAME_MARGIN * (x1 - x0), _FRAME_MARGIN * (y1 - y0)
    frame = GridFrame(x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y, project=_project_lonlat)
    empty = np.empty(0, dtype=object)
    area_polygons = _area_polygons(areas) if not areas.empty else empty
    zone_polygons = _zone_polygons(zones) if not zones.empty else empty
    return SharedPlaces(frame, BoxCover(frame, area_polygons), BoxCover(frame, zone_polygons),
                        ParentCheck())


@dataclass
class EnrichTotals:
    """What :func:`enrich_in_chunks` has enriched so far: rows, fixes, location counts and the
    first and last ``received_at``."""

    rows: int = 0
    fixes: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    first_received: object = None  # datetime.datetime once a row is enriched
    last_received: object = None

    def add(self, table: pa.Table, fixes: dict[str, int], locations: dict[str, int]) -> None:
        """Count one enriched chunk in."""
        self.rows += table.num_rows
        for totals, counts in ((self.fixes, fixes), (self.locations, locations)):
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + n
        bounds = pc.min_max(table.column("received_at"))
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low is not None:
            self.first_received = low if self.first_received is None else min(self.first_received, low)
            self.last_received = high if self.last_received is None else max(self.last_received, high)


def chunk_slices(rows: int, chunk_rows: int = CHUNK_ROWS, min_chunks: int = 1) -> list[slice]:
    """Consecutive row slices of at most ``chunk_rows`` rows, at least ``min_chunks`` of them
    (when there are that many rows), as equal as possible."""
    chunks = max(1, -(-rows // chunk_rows), min(min_chunks, rows))
    size = -(-rows // chunks) if rows else 0
    return [slice(i * size, min(rows, (i + 1) * size)) for i in range(chunks)]


def enrich_in_chunks(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                     rules: Ruleset, totals: EnrichTotals,
                     slices: list[slice] | None = None) -> Iterator[pa.Table]:
    """:func:`enrich_calls_table` (dictionary-encoded) over consecutive row slices of ``calls``
    (default: :func:`chunk_slices`).

    Yields one table per slice, in row order, and counts each into ``totals``. Every step of
    the enrichment depends on the call alone (a point's area, a code's triage), so the chunks
    hold the same rows as one table of all the calls; only the dictionaries differ per chunk.
    """
    shared = share_places(areas, zones)
    for rows in slices if slices is not None else chunk_slices(len(calls)):
        table, fixes, locations = enrich_calls_table(calls.iloc[rows], areas, zones, rules,
                                                     dictionary=True, shared=shared)
        totals.add(table, fixes, locations)
        yield table


def enrich_calls(calls: pd.DataFrame, areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                 rules: Ruleset) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """:func:`enrich_calls_table` as a pandas frame (Arrow-backed columns), for small inputs."""
    table, fixes, locations = enrich_calls_table(calls, areas, zones, rules)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    for column in ("received_at", "received_utc", "lat", "lon", "dispatch_min", "travel_min",
                   "response_min", "on_scene_min", "arrest", "source_row", "hour", "weekday"):
        frame[column] = table.column(column).to_pandas()
    return frame, fixes, locations
