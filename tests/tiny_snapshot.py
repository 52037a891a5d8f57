"""A tiny hand-made snapshot for unit and AppTest tests: three square areas, two zones, 48 calls.

Every figure a test asserts can be recounted from the tables below by hand. Written with the same
``write_snapshot`` the ingest uses, so it exercises the real snapshot format.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd
from shapely.geometry import box

from response_atlas.config import H3_COARSE, H3_FINE
from response_atlas.ingest.snapshot_writer import write_snapshot
from response_atlas.schema import REJECT_COLUMNS

# (name, kind, population, pct_black, pct_poverty, lon_min, lat_min)
AREAS = [
    ("Alpha", "neighborhood", 1000, 60.0, 30.0, -84.55, 39.10),
    ("Beta", "neighborhood", 2000, 20.0, 10.0, -84.53, 39.10),
    ("Gamma", "municipality", 500, 5.0, 5.0, -84.51, 39.10),
]
SIDE = 0.02  # degrees

ZONES = [
    # zone_id, team_id, program, schedule, areas covered
    ("arc-1", "ARC-1", "ARC", "Mon-Fri 07:00-15:00", ("Alpha", "Beta")),
    ("dvert-1", "DVERT-1", "DVERT", "24/7", ("Gamma",)),
]

# (call_id, received_at, incident_code, category, tier, area, address, disposition)
CALLS = [
    # Alpha: 20 calls, 12 behavioral health at one repeat block, 8 others
    *[
        (f"A{i:02d}", f"2025-0{1 + i % 3}-{10 + i:02d} {8 + i % 8:02d}:15:00", "MHC - NON-VIOLENT",
         "behavioral_health", "alternative", "Alpha", "12XX MAIN ST", "CLOSED")
        for i in range(12)
    ],
    *[
        (f"A{12 + i:02d}", f"2025-04-{1 + i:02d} 22:30:00", "DOMESTIC DIST PHYS (IP)",
         "domestic_violence", "co_response", "Alpha", "45XX ELM ST", "ARREST")
        for i in range(4)
    ],
    *[
        (f"A{16 + i:02d}", f"2025-05-{1 + i:02d} 03:05:00", "THEFTR", "other", "police_only",
         "Alpha", "7XX OAK AVE", "301:OFFENSE REPORT")
        for i in range(4)
    ],
    # Beta: 16 calls
    *[
        (f"B{i:02d}", f"2025-02-{1 + i:02d} 14:59:00", "TRESPASSING", "disorder", "alternative",
         "Beta", "3XX VINE ST", "CLOSED")
        for i in range(10)
    ],
    *[
        (f"B{10 + i:02d}", f"2025-03-{1 + i:02d} 15:00:00", "SUICIDE THREAT", "behavioral_health",
         "co_response", "Beta", "9XX RACE ST", "TRANSPORTED")
        for i in range(6)
    ],
    # Gamma: 12 calls
    *[
        (f"G{i:02d}", f"2025-06-{1 + i:02d} 11:00:00", "MHC - VIOLENT (W)", "behavioral_health",
         "police_only", "Gamma", "1XX FIRST ST", "ARREST")
        for i in range(3)
    ],
    *[
        (f"G{3 + i:02d}", f"2025-06-{4 + i:02d} 19:45:00", "UNKNOWN CODE", "unclassified",
         "police_only", "Gamma", "2XX SECOND ST", "CLOSED")
        for i in range(9)
    ],
]

CONTACTS = [
    # contact_id, call_id, team_id, program, contact_at, area, response_min, outcome
    ("C1", "A00", "ARC-1", "ARC", "2025-01-10 08:40:00", "Alpha", 25.0, "resolved_on_scene"),
    ("C2", "A03", "ARC-1", "ARC", "2025-01-13 11:40:00", "Alpha", 18.0, "referred"),
    ("C3", "B00", "ARC-1", "ARC", "2025-02-01 15:20:00", "Beta", 21.0, "police_backup_requested"),
    ("C4", "A12", "DVERT-1", "DVERT", "2025-04-01 23:10:00", "Alpha", 40.0, "connected_to_treatment"),
]


def area_frame() -> gpd.GeoDataFrame:
    rows = [
        {"area": n, "kind": k, "population": p, "pct_black": b, "pct_poverty": v,
         "area_km2": 4.0, "geometry": box(x, y, x + SIDE, y + SIDE)}
        for n, k, p, b, v, x, y in AREAS
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def calls_frame(calls: list[tuple] | None = None) -> pd.DataFrame:
    """The snapshot's calls table from ``calls`` (rows shaped like :data:`CALLS`, the default)."""
    centers = {n: (x + SIDE / 2, y + SIDE / 2) for n, _, _, _, _, x, y in AREAS}
    zones_by_area: dict[str, list[str]] = {}
    for zone_id, _, _, _, covered in ZONES:
        for a in covered:
            zones_by_area.setdefault(a, []).append(zone_id)
    rows = []
    for row_no, (cid, ts, code, cat, tier, area, addr, dispo) in enumerate(calls or CALLS,
                                                                           start=1):
        t = pd.Timestamp(ts)
        lon, lat = centers[area]
        rows.append({
            "call_id": cid,
            "received_at": t,
            "received_utc": t.tz_localize("America/New_York").tz_convert("UTC"),
            "call_date": t.date(),
            "call_month": t.to_period("M").to_timestamp().date(),
            "hour": t.hour,
            "weekday": t.weekday(),
            "incident_code": code,
            "incident_base": code.split(" (")[0],
            "modifiers": "W" if "(W)" in code else ("IP" if "(IP)" in code else ""),
            "priority": "2",
            "disposition": dispo,
            "address": addr,
            "lat": lat,
            "lon": lon,
            "area": area,
            "location_status": "in_area",
            "zone_ids": zones_by_area.get(area, []),
            "h3_fine": h3.latlng_to_cell(lat, lon, H3_FINE),
            "h3_coarse": h3.latlng_to_cell(lat, lon, H3_COARSE),
            "category": cat,
            "tier": tier,
            "rule_id": None if cat == "unclassified" else code.split(" ")[0].lower(),
            "dispatch_min": 2.0,
            "travel_min": 8.0,
            "response_min": 10.0,
            "on_scene_min": 30.0,
            "arrest": dispo == "ARREST",
            "agency": "CPD",
            "beat": "P1",
            "district": "1",
            "source_file": "calls.csv",
            "source_row": row_no,
        })
    frame = pd.DataFrame(rows)
    for c in ("hour", "weekday"):
        frame[c] = frame[c].astype("int8")
    frame["call_date"] = pd.to_datetime(frame["call_date"]).dt.date
    frame["call_month"] = pd.to_datetime(frame["call_month"]).dt.date
    return frame


def zones_frame() -> gpd.GeoDataFrame:
    areas = area_frame().set_index("area")
    rows = []
    for zone_id, team, program, schedule, covered in ZONES:
        geom = areas.loc[list(covered), "geometry"].union_all()
        c = geom.centroid
        rows.append({"zone_id": zone_id, "team_id": team, "program": program,
                     "schedule": schedule, "base_lat": c.y, "base_lon": c.x, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def contacts_frame() -> pd.DataFrame:
    frame = pd.DataFrame(CONTACTS, columns=["contact_id", "call_id", "team_id", "program",
                                            "contact_at", "area", "response_min", "outcome"])
    frame["contact_at"] = pd.to_datetime(frame["contact_at"])
    frame["contact_month"] = frame["contact_at"].dt.to_period("M").dt.to_timestamp().dt.date
    frame["followup_at"] = pd.NaT
    frame["followup_outcome"] = None
    return frame


RULES_YAML = """\
version: tiny-1
rules:
  - {id: mhc, pattern: '^MHC - NON-VIOLENT', category: behavioral_health, tier: alternative}
  - {id: mhc-v, pattern: '^MHC - VIOLENT', category: behavioral_health, tier: police_only}
  - {id: suicide, pattern: '^SUICIDE THREAT', category: behavioral_health, tier: co_response}
  - {id: trespassing, pattern: '^TRESPASSING', category: disorder, tier: alternative}
  - {id: domestic, pattern: '^DOMESTIC', category: domestic_violence, tier: co_response}
  - {id: theftr, pattern: '^THEFT', category: other, tier: police_only}
disqualifiers:
  - {modifier: W, tier: police_only, reason: weapon}
"""


def build_tiny_snapshot(data_dir: Path, calls_rows: list[tuple] | None = None) -> Path:
    """Write the tiny snapshot under ``data_dir/snapshots`` and return its folder (with other
    calls than :data:`CALLS` when ``calls_rows`` is given, e.g. a larger synthetic set)."""
    calls = calls_frame(calls_rows)
    manifest = {
        "created_at": "2025-07-01T00:00:00Z",
        "data_as_of": "2025-06-12",
        "preset": "tiny-fixture",
        "sources": [{"kind": "calls", "file": "calls.csv", "sha256": "0" * 64, "rows_read": 48}],
        "counts": {"calls": {"read": 48, "accepted": len(calls), "rejected": 0}},
        "rejected_by_reason": {},
        "time_range": {"start": str(calls.received_at.min()), "end": str(calls.received_at.max())},
    }
    rejects = pd.DataFrame(columns=list(REJECT_COLUMNS))
    return write_snapshot(
        Path(data_dir) / "snapshots",
        {"calls": calls, "areas": area_frame(), "zones": zones_frame(),
         "contacts": contacts_frame(), "rejects": rejects.astype(str)},
        manifest,
        rules_text=RULES_YAML,
    )
