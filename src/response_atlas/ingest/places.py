"""Areas (with facts), team zones and team contacts: read, validate, repair, report.

- Areas: the name property is configurable (canonical ``name``; the CAGIS file uses
  ``neighborhood``, the county layer ``neighborhood_2020``; ``--area-name-property`` or the
  folder's ``sources.yaml``); invalid polygons are repaired with ``make_valid``; pieces that
  share a name are joined into one (multi)polygon; features without a name, and features that
  are not polygons, are counted rejections. Facts are joined by name; areas without facts keep
  NaN and are reported.
- Zones: ``zone_id, team_id, program, schedule, base_lat, base_lon``; a schedule that
  ``schedule.parse_schedule`` refuses, or an unknown program, rejects the zone (counted, named).
- Contacts: validated with pandera against ``schema.CONTACT_COLUMNS`` and ``OUTCOMES``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa

from response_atlas.config import PROJECTED_CRS
from response_atlas.ingest.calls import parse_times, reject
from response_atlas.ingest.presets import AREA_NAME_PROPERTIES, pick_time_format
from response_atlas.ingest.readers import (
    ExtractError,
    read_csv_text,
    read_geojson,
    repair_geometries,
    table_to_frame,
)
from response_atlas.schedule import ScheduleError, parse_schedule
from response_atlas.schema import CONTACT_COLUMNS, OUTCOMES, PROGRAMS, SNAPSHOT_CONTACT_COLUMNS

SQ_FT_TO_KM2 = 0.09290304e-6
AREA_COLUMNS = ["area", "kind", "population", "pct_black", "pct_poverty", "area_km2", "geometry"]
ZONE_COLUMNS = ["zone_id", "team_id", "program", "schedule", "base_lat", "base_lon", "geometry"]


POLYGON_TYPES = ("Polygon", "MultiPolygon")


def area_name_property(setting: str | None) -> str | None:
    """The name property an areas setting names: a layer of ``census.AREA_LAYERS`` (``cagis_sna``)
    stands for its property; anything else is the property itself (None: guess)."""
    from response_atlas.ingest.census import AREA_LAYERS

    if setting in AREA_LAYERS:
        return AREA_LAYERS[setting].name_property
    return setting or None


def load_areas(path: Path, name_property: str | None = None
               ) -> tuple[gpd.GeoDataFrame, list[dict], list[str], dict[str, int]]:
    """Area polygons named ``area`` (EPSG:4326) with ``area_km2``.

    Returns (areas, rejects, messages, counts). Pieces that share a name become one
    (multi)polygon; features that are not polygons are refused (a counted rejection each, and
    an error when no polygon is left). ``counts``: features read, pieces joined, areas kept.
    """
    frame = read_geojson(path)
    name = Path(path).name
    prop = area_name_property(name_property)
    prop = prop or next((p for p in AREA_NAME_PROPERTIES if p in frame.columns), None)
    if prop is None or prop not in frame.columns:
        wanted = prop or " / ".join(AREA_NAME_PROPERTIES)
        found = ", ".join(c for c in frame.columns if c != "geometry") or "none"
        raise ExtractError(path, f"no feature has the area name property {wanted} (properties "
                                 f"found: {found}); set it with --area-name-property or in "
                                 "sources.yaml")
    frame = frame.rename(columns={prop: "area"}) if prop != "area" else frame
    frame["area"] = frame["area"].astype("string").str.strip()
    counts = {"read": len(frame)}
    rejects, messages = [], []
    unnamed = frame["area"].isna() | frame["area"].eq("")
    for idx in frame.index[unnamed]:
        rejects.append(reject("areas", name, idx + 1, prop, "polygon without a name", ""))
    frame = frame[~unnamed]
    empty = frame.geometry.isna() | frame.geometry.is_empty
    for idx in frame.index[empty]:
        rejects.append(reject("areas", name, idx + 1, "geometry", "no geometry", frame.loc[idx, "area"]))
    frame = frame[~empty]
    kinds = frame.geometry.geom_type
    wrong = ~kinds.isin(POLYGON_TYPES)
    for idx in frame.index[wrong]:
        rejects.append(reject("areas", name, idx + 1, "geometry",
                              f"not a polygon ({kinds[idx]}): refused", frame.loc[idx, "area"]))
    found = ", ".join(f"{n} {k}" for k, n in kinds[wrong].value_counts().items())
    if found:
        messages.append(f"{name}: {int(wrong.sum())} feature(s) refused: areas must be polygons "
                        f"(found {found})")
    frame = frame[~wrong]
    if frame.empty:
        detail = f" (found {found}): an areas file must hold the area polygons" if found else ""
        raise ExtractError(path, "has no polygon features" + detail)
    frame, repaired = repair_geometries(frame, "area")
    messages += [f"{name}: {m}" for m in repaired]
    frame, joined = dissolve_by_name(frame)
    counts["pieces joined"] = sum(joined.values())
    if joined:
        shown = ", ".join(f"{a} ({n + 1} pieces)" for a, n in list(joined.items())[:10])
        messages.append(f"{name}: {len(joined)} area name(s) on several polygons, joined into one "
                        f"area each: {shown}" + (" ..." if len(joined) > 10 else ""))
    kind = frame["kind"].astype("string") if "kind" in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    out = gpd.GeoDataFrame({"area": frame["area"].astype(str), "kind": kind},
                           geometry=frame.geometry.values, crs="EPSG:4326")
    out["area_km2"] = out.to_crs(PROJECTED_CRS).area.to_numpy() * SQ_FT_TO_KM2
    return out.reset_index(drop=True), rejects, messages, counts


def dissolve_by_name(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """One row per area name, its pieces' union as its geometry (first row's other columns);
    also ``{name: extra pieces joined}`` for the names that had several."""
    import shapely

    repeated = frame["area"].duplicated(keep=False)
    if not repeated.any():
        return frame, {}
    joined = {}
    geometry = frame.geometry.copy()
    for area, group in frame[repeated].groupby("area", sort=False):
        geometry.loc[group.index[0]] = shapely.union_all(group.geometry.to_numpy())
        joined[str(area)] = len(group) - 1
    out = frame.set_geometry(geometry)
    return out[~out["area"].duplicated(keep="first")], joined


def join_facts(areas: gpd.GeoDataFrame, facts_path: Path | None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Join ``population, pct_black, pct_poverty`` (and ``kind`` when missing) by area name."""
    messages = []
    areas = areas.copy()
    facts = None
    if facts_path is not None and Path(facts_path).is_file():
        read = read_csv_text(facts_path)
        facts = table_to_frame(read.table)
        if "name" not in facts:
            raise ExtractError(facts_path, "missing required column: name")
        facts["name"] = facts["name"].str.strip()
        facts = facts.drop_duplicates("name", keep="first").set_index("name")
    for column in ("population", "pct_black", "pct_poverty"):
        values = (pd.to_numeric(areas["area"].map(facts[column]), errors="coerce")
                  if facts is not None and column in facts else np.nan)
        areas[column] = pd.Series(values, index=areas.index, dtype="float64")
    if facts is not None and "kind" in facts:
        areas["kind"] = areas["kind"].fillna(areas["area"].map(facts["kind"]))
    areas["kind"] = areas["kind"].fillna("area").astype(str)
    missing = areas.loc[areas["population"].isna(), "area"].tolist()
    if facts is None:
        messages.append("no area facts file: population and shares are empty (no rates)")
    elif missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        messages.append(f"{len(missing)} area(s) without facts (rates left empty): {shown}")
    return gpd.GeoDataFrame(areas[AREA_COLUMNS], geometry="geometry", crs="EPSG:4326"), messages


def empty_zones() -> gpd.GeoDataFrame:
    """A zones table with no rows and the snapshot columns."""
    return gpd.GeoDataFrame({c: pd.Series(dtype="float64" if c.startswith("base_") else object)
                             for c in ZONE_COLUMNS[:-1]}, geometry=[], crs="EPSG:4326")


def zone_shape(geometry: object) -> str:
    """A zone geometry's type, or ``no geometry``."""
    return "no geometry" if geometry is None or geometry.is_empty else geometry.geom_type


def load_zones(path: Path) -> tuple[gpd.GeoDataFrame, list[dict], list[str]]:
    """Team zones; zones with a bad schedule, program, id or geometry (not a polygon) are counted
    rejections, each naming the zone (:func:`zone_schedule_problem`)."""
    frame = read_geojson(path)
    name = Path(path).name
    missing = [c for c in ("zone_id", "team_id", "program", "schedule") if c not in frame.columns]
    if missing:
        raise ExtractError(path, f"missing zone propert{'y' if len(missing) == 1 else 'ies'}: "
                                 f"{', '.join(missing)}")
    rejects, keep = [], []
    for idx, row in frame.iterrows():
        problem = None
        if pd.isna(row["zone_id"]) or not str(row["zone_id"]).strip():
            problem = ("zone_id", "zone without an id", "")
        elif zone_shape(row.geometry) not in POLYGON_TYPES:
            problem = ("geometry", f"zone is not a polygon ({zone_shape(row.geometry)}): refused",
                       row["zone_id"])
        elif str(row["program"]) not in PROGRAMS:
            problem = ("program", f"unknown program (use {', '.join(PROGRAMS)})", row["program"])
        else:
            try:
                parse_schedule(str(row["schedule"]))
            except ScheduleError as exc:
                problem = ("schedule", zone_schedule_problem(row, exc), row["schedule"])
        if problem:
            # (the zone's names ride along for the manifest's list of missing zones)
            rejects.append({**reject("zones", name, idx + 1, *problem),
                            **{k: _text(row.get(k)) for k in ("zone_id", "team_id", "program")}})
        else:
            keep.append(idx)
    frame = frame.loc[keep]
    dupes = frame["zone_id"].astype(str).duplicated()
    for idx in frame.index[dupes]:
        rejects.append(reject("zones", name, idx + 1, "zone_id", "duplicate zone id (first kept)",
                              frame.loc[idx, "zone_id"]))
    frame = frame[~dupes]
    if frame.empty:
        return empty_zones(), rejects, []
    frame, messages = repair_geometries(frame, "zone_id")
    out = gpd.GeoDataFrame({
        "zone_id": frame["zone_id"].astype(str), "team_id": frame["team_id"].astype(str),
        "program": frame["program"].astype(str), "schedule": frame["schedule"].astype(str),
    }, geometry=frame.geometry.values, crs="EPSG:4326")
    centroids = out.to_crs(PROJECTED_CRS).representative_point().to_crs("EPSG:4326")
    for column, fallback in (("base_lat", centroids.y), ("base_lon", centroids.x)):
        given = pd.to_numeric(frame[column], errors="coerce") if column in frame else np.nan
        out[column] = pd.Series(given, index=frame.index).fillna(pd.Series(fallback.values, index=frame.index)).to_numpy()
    return out[ZONE_COLUMNS].reset_index(drop=True), rejects, [f"{name}: {m}" for m in messages]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def zone_schedule_problem(row: pd.Series, exc: ScheduleError) -> str:
    """Why a zone's schedule was refused, naming the zone, its team and program, the schedule
    text and where in it each problem is (``at character N``, counted from 1)."""
    text = exc.text
    where = []
    for problem in exc.problems:
        quoted = re.search(r"'([^']+)'", problem)
        at = text.lower().find(quoted.group(1).lower()) if quoted else -1
        where.append(f"{problem} (at character {at + 1})" if at >= 0 else problem)
    return (f"schedule does not parse: zone {row['zone_id']} (team {row['team_id']}, program "
            f"{row['program']}), schedule {text!r}: " + "; ".join(where))


CONTACTS_SCHEMA = pa.DataFrameSchema(
    {
        "contact_id": pa.Column(nullable=False),
        "team_id": pa.Column(nullable=False),
        "program": pa.Column(nullable=False, checks=pa.Check.isin(PROGRAMS)),
        "contact_at": pa.Column("datetime64[us]", nullable=False),
        "outcome": pa.Column(nullable=False, checks=pa.Check.isin(OUTCOMES)),
        "response_min": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
    strict=False,
)


def empty_contacts() -> pd.DataFrame:
    """A contacts table with no rows and the snapshot columns."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in SNAPSHOT_CONTACT_COLUMNS})
    for c in ("contact_at", "followup_at"):
        frame[c] = pd.Series(dtype="datetime64[us]")
    frame["response_min"] = pd.Series(dtype="float64")
    return frame


def load_contacts(path: Path) -> tuple[pd.DataFrame, list[dict], int]:
    """Team contacts (``SNAPSHOT_CONTACT_COLUMNS``); returns (contacts, rejects, rows read)."""
    read = read_csv_text(path)
    name = Path(path).name
    raw = table_to_frame(read.table)
    missing = [c for c, (req, _) in CONTACT_COLUMNS.items() if req and c not in raw]
    if missing:
        raise ExtractError(path, f"missing required column(s): {', '.join(missing)}")
    rejects = [reject("contacts", name, r, "", p, t) for r, p, t in read.bad_rows]
    typed = pd.DataFrame(index=raw.index)
    for column in CONTACT_COLUMNS:
        if column in ("contact_at", "followup_at", "response_min"):
            continue
        typed[column] = raw[column].str.strip().replace("", pd.NA) if column in raw else pd.NA
    fmt = pick_time_format(raw["contact_at"].dropna().head(20), "auto")
    typed["contact_at"] = parse_times(raw["contact_at"], fmt)
    typed["followup_at"] = (parse_times(raw["followup_at"], fmt) if "followup_at" in raw
                            else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"))
    typed["response_min"] = (pd.to_numeric(raw["response_min"], errors="coerce").astype("float64")
                             if "response_min" in raw else np.nan)
    rows = read.row_numbers if read.row_numbers is not None else np.arange(1, len(raw) + 1)
    bad = set()
    try:
        CONTACTS_SCHEMA.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()].drop_duplicates("index")
        for column, check, index in cases[["column", "check", "index"]].itertuples(index=False):
            index = int(index)
            value = raw[column].iloc[index] if column in raw else None
            problem = "missing or unparseable value" if check == "not_nullable" else f"failed {check}"
            rejects.append(reject("contacts", name, rows[index], column, problem, value))
            bad.add(index)
    typed = typed.drop(index=list(bad))
    typed["contact_month"] = typed["contact_at"].to_numpy().astype("datetime64[M]").astype("datetime64[D]")
    typed["contact_month"] = pd.Series(typed["contact_month"]).dt.date
    for column in ("contact_id", "call_id", "team_id", "program", "area", "outcome", "followup_outcome"):
        typed[column] = typed[column].astype(object).where(typed[column].notna(), None)
    return typed[list(SNAPSHOT_CONTACT_COLUMNS)].reset_index(drop=True), rejects, len(raw) + len(read.bad_rows)
