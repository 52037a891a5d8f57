"""A hand-built snapshot for the outcomes tests: ARC, QRT and DVERT over five months.

Data run from 2024-12-11 to 2025-04-10: December is a partial month (21 of 31 days), February has
no calls at all (an empty month in the middle), April is partial (10 of 30 days). Every figure the
tests assert is worked out by hand in the comments below. Areas are the tiny snapshot's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from response_atlas.ingest.snapshot_writer import write_snapshot
from response_atlas.schema import REJECT_COLUMNS
from tests.tiny_snapshot import RULES_YAML, area_frame, zones_frame

# (call_id, received_at, category, tier, area, address, on_scene_min)
CALLS = [
    # ARC-eligible (tier alternative). Routed ones have on_scene 10; the others 30, 50, 40, 40,
    # NULL, 40 -> comparable mean 40 minutes.
    ("R01", "2025-01-15 10:00", "behavioral_health", "alternative", "Alpha", "1XX A ST", 10.0),
    ("R02", "2025-01-20 09:00", "behavioral_health", "alternative", "Alpha", "1XX A ST", 10.0),
    ("R03", "2025-01-25 11:00", "behavioral_health", "alternative", "Alpha", "2XX A ST", 30.0),
    ("R04", "2025-01-31 23:00", "homelessness", "alternative", "Alpha", "3XX A ST", 50.0),
    ("R05", "2025-03-03 10:00", "behavioral_health", "alternative", "Alpha", "1XX A ST", 10.0),
    ("R06", "2025-03-10 10:00", "behavioral_health", "alternative", "Alpha", "4XX A ST", 10.0),
    ("R07", "2025-03-17 10:00", "disorder", "alternative", "Alpha", "5XX A ST", 10.0),
    ("R08", "2025-03-20 10:00", "behavioral_health", "alternative", "Alpha", "6XX A ST", 40.0),
    ("R09", "2025-03-24 10:00", "behavioral_health", "alternative", "Alpha", "7XX A ST", 40.0),
    ("R10", "2025-03-31 10:00", "behavioral_health", "alternative", "Alpha", "8XX A ST", None),
    ("R11", "2025-04-02 10:00", "behavioral_health", "alternative", "Beta", "1XX B ST", 10.0),
    ("R12", "2025-04-10 14:00", "behavioral_health", "alternative", "Beta", "2XX B ST", 40.0),
    # Overdoses (QRT). Q04 repeats Q03's block after 44 days, Q05 repeats Q01's after exactly
    # 90 days (counted), Q06 follows Q02's after 90 days and 1 minute (not counted).
    ("Q01", "2024-12-11 08:00", "substance_use", "co_response", "Beta", "5XX PINE ST", 20.0),
    ("Q02", "2024-12-12 08:00", "substance_use", "co_response", "Beta", "7XX ASH ST", 20.0),
    ("Q03", "2025-01-16 12:00", "substance_use", "co_response", "Gamma", "10XX PLUM ST", 20.0),
    ("Q04", "2025-03-01 12:00", "substance_use", "co_response", "Gamma", "10XX PLUM ST", 20.0),
    ("Q05", "2025-03-11 08:00", "substance_use", "co_response", "Beta", "5XX PINE ST", 20.0),
    ("Q06", "2025-03-12 08:01", "substance_use", "co_response", "Beta", "7XX ASH ST", 20.0),
    ("Q07", "2025-04-01 20:00", "substance_use", "co_response", "Alpha", "3XX OAK ST", 20.0),
    # Domestic violence. D02 repeats D01 (15 days), D04 repeats D03 (20 days), D05 repeats D02
    # (73 days). D04 has a weapon: police only, so not DVERT-eligible.
    ("D01", "2025-01-05 22:00", "domestic_violence", "co_response", "Alpha", "45XX ELM ST", 60.0),
    ("D02", "2025-01-20 22:00", "domestic_violence", "co_response", "Alpha", "45XX ELM ST", 60.0),
    ("D03", "2025-03-05 22:00", "domestic_violence", "co_response", "Beta", "8XX BIRCH ST", 60.0),
    ("D04", "2025-03-25 22:00", "domestic_violence", "police_only", "Beta", "8XX BIRCH ST", 60.0),
    ("D05", "2025-04-02 22:00", "domestic_violence", "co_response", "Alpha", "45XX ELM ST", 60.0),
    # Police-only other call (no program).
    ("X01", "2025-01-10 12:00", "other", "police_only", "Gamma", "9XX C ST", 25.0),
]

# (contact_id, call_id, program, contact_at, response_min, outcome, followup_at, followup_outcome)
CONTACTS = [
    # ARC: routed 6, handled without police 4 (K1 K3 K4 K6), backup 1 (K2), arrest 1 (K5),
    # transported 1 (K4). Response minutes 10 30 20 15 40 25 -> median 22.5, p90 35.0.
    ("K1", "R01", "ARC", "2025-01-15 10:25", 10.0, "resolved_on_scene", None, None),
    ("K2", "R02", "ARC", "2025-01-20 09:40", 30.0, "police_backup_requested", None, None),
    ("K3", "R05", "ARC", "2025-03-03 10:30", 20.0, "referred", None, None),
    ("K4", "R06", "ARC", "2025-03-10 10:20", 15.0, "transported", None, None),
    ("K5", "R07", "ARC", "2025-03-17 10:45", 40.0, "arrest", None, None),
    ("K6", "R11", "ARC", "2025-04-02 10:30", 25.0, "resolved_on_scene", None, None),
    ("K7", None, "ARC", "2025-03-21 09:00", 5.0, "resolved_on_scene", None, None),
    # QRT (first contact March 2025 = launch). V1 48 h after Q04; V2 exactly 72 h after Q05 (no
    # contact, reached and linked at the follow-up); V3 72 h + 1 min after Q06; V4 8 days after Q07.
    ("V1", "Q04", "QRT", "2025-03-03 12:00", None, "connected_to_treatment", None, None),
    ("V2", "Q05", "QRT", "2025-03-14 08:00", None, "no_contact", "2025-03-16 10:00",
     "connected_to_treatment"),
    ("V3", "Q06", "QRT", "2025-03-15 08:02", None, "referred", None, None),
    ("V4", "Q07", "QRT", "2025-04-09 20:00", None, "declined", None, None),
    ("V5", None, "QRT", "2025-03-20 12:00", None, "referred", None, None),
    # DVERT: co-responses D01, D03 and D04 (not eligible, still routed).
    ("W1", "D01", "DVERT", "2025-01-05 22:30", 30.0, "connected_to_treatment", None, None),
    ("W2", "D03", "DVERT", "2025-03-05 22:40", 40.0, "referred", None, None),
    ("W3", "D04", "DVERT", "2025-03-25 23:00", 20.0, "arrest", None, None),
]


def calls_frame() -> pd.DataFrame:
    rows = []
    for n, (cid, ts, cat, tier, area, addr, on_scene) in enumerate(CALLS, start=1):
        t = pd.Timestamp(ts)
        rows.append({
            "call_id": cid, "received_at": t,
            "received_utc": t.tz_localize("America/New_York").tz_convert("UTC"),
            "call_date": t.date(), "call_month": t.to_period("M").to_timestamp().date(),
            "hour": t.hour, "weekday": t.weekday(), "incident_code": cat.upper(),
            "incident_base": cat.upper(), "modifiers": "", "priority": "2",
            "disposition": "CLOSED", "address": addr, "lat": 39.11, "lon": -84.54, "area": area,
            "location_status": "in_area", "zone_ids": [], "h3_fine": None, "h3_coarse": None,
            "category": cat, "tier": tier, "rule_id": cat, "dispatch_min": 2.0,
            "travel_min": 8.0, "response_min": 10.0, "on_scene_min": on_scene,
            "arrest": False, "agency": "CPD", "beat": "P1", "district": "1",
            "source_file": "calls.csv", "source_row": n,
        })
    frame = pd.DataFrame(rows)
    for c in ("hour", "weekday"):
        frame[c] = frame[c].astype("int8")
    frame["h3_fine"] = frame["h3_fine"].astype("string")
    frame["h3_coarse"] = frame["h3_coarse"].astype("string")
    return frame


def contacts_frame() -> pd.DataFrame:
    frame = pd.DataFrame(CONTACTS, columns=["contact_id", "call_id", "program", "contact_at",
                                            "response_min", "outcome", "followup_at",
                                            "followup_outcome"])
    frame["team_id"] = frame["program"] + "-1"
    frame["area"] = None
    frame["contact_at"] = pd.to_datetime(frame["contact_at"])
    frame["followup_at"] = pd.to_datetime(frame["followup_at"])
    frame["contact_month"] = frame["contact_at"].dt.to_period("M").dt.to_timestamp().dt.date
    frame["response_min"] = frame["response_min"].astype("float64")
    for c in ("call_id", "area", "followup_outcome"):
        frame[c] = frame[c].astype("string")
    return frame


def build_outcomes_snapshot(data_dir: Path) -> Path:
    """Write the outcomes snapshot under ``data_dir/snapshots`` and return its folder."""
    calls = calls_frame()
    manifest = {
        "created_at": "2025-04-11T00:00:00Z",
        "data_as_of": "2025-04-10",
        "preset": "outcomes-fixture",
        "counts": {"calls": {"read": len(calls), "accepted": len(calls), "rejected": 0}},
    }
    rejects = pd.DataFrame(columns=list(REJECT_COLUMNS))
    return write_snapshot(
        Path(data_dir) / "snapshots",
        {"calls": calls, "areas": area_frame(), "zones": zones_frame(),
         "contacts": contacts_frame(), "rejects": rejects.astype(str)},
        manifest,
        rules_text=RULES_YAML,
    )
