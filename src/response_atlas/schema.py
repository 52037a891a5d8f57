"""The data contract: canonical extract columns, snapshot tables and shared vocabularies.

Extracts (what publishers give us) are mapped onto the canonical columns by a preset
(see ``ingest/presets.py``). Ingest writes a *snapshot*: the tables below as Parquet files plus a
``manifest.json``. Every page reads snapshots only, through ``store.py``.
"""

from __future__ import annotations

from pathlib import Path

# --- extract kinds ---------------------------------------------------------------------------
# File names inside the data folder (the canonical preset). A preset may read other names.
EXTRACT_FILES = {
    "calls": "calls.csv",  # may also be several files matching calls*.csv
    "areas": "areas.geojson",
    "area_facts": "area_facts.csv",
    "zones": "zones.geojson",
    "contacts": "team_contacts.csv",
    "rules": "triage_rules.yaml",
}

# Canonical calls columns: name -> (required, description). A required column must be in the
# file (a preset without it fails, naming the closest column found); its values may still be
# empty in some rows (a call without a location is kept as "No location").
CALL_COLUMNS: dict[str, tuple[bool, str]] = {
    "call_id": (True, "911 call / event number"),
    "received_at": (True, "time the call was received, local America/New_York"),
    "incident_code": (True, "incident type code as published, modifiers included"),
    "priority": (False, "priority as published"),
    "disposition": (False, "disposition text as published"),
    "address": (False, "block-masked address, e.g. 23XX FERGUSON RD"),
    "lat": (True, "latitude (WGS84), offset by the publisher"),
    "lon": (True, "longitude (WGS84)"),
    "incident_desc": (False, "incident type description"),
    "dispatched_at": (False, "first unit dispatched"),
    "arrived_at": (False, "first unit arrived"),
    "closed_at": (False, "incident closed"),
    "agency": (False, "agency, e.g. CPD or CFD"),
    "beat": (False, "police beat"),
    "district": (False, "police district"),
    "area_published": (False, "neighborhood name as published"),
}
CALL_TIME_COLUMNS = ("received_at", "dispatched_at", "arrived_at", "closed_at")

# Longest value kept per calls text column, in characters. Identifiers longer than this are
# not an id cut short but a broken row: the call is rejected. Other text is cut to the limit
# (counted in the refresh report). Real extracts stay far below (ids ~15, addresses ~40).
TEXT_LIMITS: dict[str, int] = {
    "call_id": 200, "incident_code": 200,
    "priority": 100, "agency": 100, "beat": 100, "district": 100,
    "address": 300, "area_published": 300,
    "disposition": 1000, "incident_desc": 1000,
}
REJECT_ON_OVERFLOW = ("call_id", "incident_code")

AREA_FACT_COLUMNS = ("name", "kind", "population", "pct_black", "pct_poverty")

# Team contacts extract
CONTACT_COLUMNS: dict[str, tuple[bool, str]] = {
    "contact_id": (True, "team contact id"),
    "call_id": (False, "911 call this contact answered, if any"),
    "team_id": (True, "team id, matches zones"),
    "program": (True, "QRT, DVERT or ARC"),
    "contact_at": (True, "time of contact, local"),
    "area": (False, "area name"),
    "response_min": (False, "minutes from dispatch to arrival"),
    "outcome": (True, "one of OUTCOMES"),
    "followup_at": (False, "QRT: time of the follow-up visit"),
    "followup_outcome": (False, "QRT: outcome of the follow-up"),
}

# Zones GeoJSON properties
ZONE_PROPERTIES = ("zone_id", "team_id", "program", "schedule", "base_lat", "base_lon")

# --- vocabularies ----------------------------------------------------------------------------
PROGRAMS = ("ARC", "QRT", "DVERT")
PROGRAM_LABELS = {
    "ARC": "Mobile crisis (ARC)",
    "QRT": "Quick Response Team (QRT)",
    "DVERT": "Domestic violence response (DVERT)",
}

TIERS = ("alternative", "co_response", "police_only")
TIER_LABELS = {
    "alternative": "Alternative response",
    "co_response": "Co-response",
    "police_only": "Police only",
}

CATEGORIES = (
    "behavioral_health",
    "homelessness",
    "substance_use",
    "domestic_violence",
    "welfare_check",
    "disorder",
    "medical",
    "other",
    "unclassified",
)
CATEGORY_LABELS = {
    "behavioral_health": "Behavioral health",
    "homelessness": "Homelessness",
    "substance_use": "Substance use / overdose",
    "domestic_violence": "Domestic violence",
    "welfare_check": "Welfare check",
    "disorder": "Disorder / nuisance",
    "medical": "Medical",
    "other": "Other police",
    "unclassified": "Unclassified (no rule)",
}
# Never shown below area level, to anyone (DESIGN.md privacy rules).
SENSITIVE_CATEGORIES = ("domestic_violence", "substance_use")

OUTCOMES = (
    "resolved_on_scene",
    "referred",
    "connected_to_treatment",
    "transported",
    "police_backup_requested",
    "arrest",
    "declined",
    "no_contact",
)
OUTCOME_LABELS = {
    "resolved_on_scene": "Resolved on scene",
    "referred": "Referred to services",
    "connected_to_treatment": "Connected to treatment / services",
    "transported": "Transported to care",
    "police_backup_requested": "Police backup requested",
    "arrest": "Arrest",
    "declined": "Declined help",
    "no_contact": "Could not reach",
}

# Location status of an enriched call: kept and labelled, never dropped.
LOCATION_IN_AREA = "in_area"
LOCATION_OUTSIDE = "outside_county"
LOCATION_MISSING = "no_location"
AREA_OUTSIDE_LABEL = "Outside county"
AREA_MISSING_LABEL = "No location"

# --- snapshot tables -------------------------------------------------------------------------
SNAPSHOT_POINTER = "CURRENT"  # text file in snapshots/ naming the current snapshot folder
MANIFEST_FILE = "manifest.json"
SNAPSHOT_TABLES = {
    # A folder of Parquet parts written side by side (part-0.parquet, ...); snapshots written
    # before parts existed hold one calls.parquet file, which readers still accept.
    "calls": "calls",
    "areas": "areas.parquet",  # GeoParquet (geometry EPSG:4326) with facts joined
    "zones": "zones.parquet",  # GeoParquet
    "contacts": "contacts.parquet",
    "rejects": "rejects.parquet",
}
SNAPSHOT_RULES_FILE = "triage_rules.yaml"


def snapshot_table_files(snapshot_dir: Path | str, name: str) -> list[Path]:
    """The Parquet file(s) holding table ``name`` of a snapshot ([] when it has none)."""
    base = Path(snapshot_dir) / SNAPSHOT_TABLES[name]
    if base.is_dir():
        return sorted(base.glob("part-*.parquet"), key=lambda p: int(p.stem.split("-")[1]))
    single = base if base.suffix == ".parquet" else base.with_suffix(".parquet")
    return [single] if single.is_file() else []


def parquet_scan_sql(files: list[Path]) -> str:
    """A DuckDB ``read_parquet`` call over ``files`` (paths quoted for SQL)."""
    quoted = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}])"

# Enriched calls table in a snapshot: column -> Arrow/DuckDB type and meaning.
SNAPSHOT_CALL_COLUMNS: dict[str, str] = {
    "call_id": "VARCHAR unique",
    "received_at": "TIMESTAMP local wall time (America/New_York), naive",
    "received_utc": "TIMESTAMP WITH TIME ZONE (UTC)",
    "call_date": "DATE local",
    "call_month": "DATE first day of the local month",
    "hour": "TINYINT 0-23 local",
    "weekday": "TINYINT 0=Monday .. 6=Sunday",
    "minute_of_day": "SMALLINT 0-1439 local minute of the day (hour x 60 + minute)",
    "incident_code": "VARCHAR as published",
    "incident_base": "VARCHAR code without modifiers or origin marks",
    "modifiers": "VARCHAR comma-separated modifier flags, e.g. 'IP,W'",
    "priority": "VARCHAR",
    "disposition": "VARCHAR",
    "address": "VARCHAR block-masked (staff only)",
    "lat": "DOUBLE (staff only)",
    "lon": "DOUBLE (staff only)",
    "area": "VARCHAR area name, or 'Outside county' / 'No location'",
    "location_status": "VARCHAR in_area | outside_county | no_location",
    "zone_ids": "VARCHAR[] zones containing the point",
    "zone_key": "VARCHAR zone_ids sorted and joined by '|' ('' when none): one group key per set",
    "h3_fine": "VARCHAR H3 cell at config.H3_FINE",
    "h3_coarse": "VARCHAR H3 cell at config.H3_COARSE",
    "category": "VARCHAR one of CATEGORIES",
    "tier": "VARCHAR one of TIERS",
    "rule_id": "VARCHAR id of the triage rule that matched (NULL when unclassified)",
    "dispatch_min": "DOUBLE received -> dispatched, minutes",
    "travel_min": "DOUBLE dispatched -> arrived, minutes",
    "response_min": "DOUBLE received -> arrived, minutes",
    "on_scene_min": "DOUBLE arrived -> closed, minutes",
    "arrest": "BOOLEAN disposition mentions an arrest",
    "agency": "VARCHAR",
    "beat": "VARCHAR",
    "district": "VARCHAR",
    "source_file": "VARCHAR",
    "source_row": "INTEGER 1-based data row in the source file (header is row 0)",
}

# Call columns derived at refresh from other columns, with the SQL that derives them: queries on
# a snapshot written before a column existed use the SQL instead (``snapshot.call_column_sql``).
DERIVED_CALL_SQL: dict[str, str] = {
    "minute_of_day": "(hour(received_at) * 60 + minute(received_at))",
    "zone_key": "coalesce(array_to_string(list_sort(zone_ids), '|'), '')",
}


def zone_key_ids(key: object) -> set[str]:
    """The zone ids in a ``zone_key`` (the text ``DERIVED_CALL_SQL`` makes): none for ''."""
    return set(str(key).split("|")) - {""}

SNAPSHOT_CONTACT_COLUMNS: dict[str, str] = {
    "contact_id": "VARCHAR",
    "call_id": "VARCHAR nullable",
    "team_id": "VARCHAR",
    "program": "VARCHAR ARC | QRT | DVERT",
    "contact_at": "TIMESTAMP local",
    "contact_month": "DATE",
    "area": "VARCHAR",
    "response_min": "DOUBLE",
    "outcome": "VARCHAR one of OUTCOMES",
    "followup_at": "TIMESTAMP local nullable",
    "followup_outcome": "VARCHAR nullable",
}

REJECT_COLUMNS = ("kind", "source_file", "row", "column", "problem", "value")
