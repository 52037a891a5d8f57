"""Shared builders for the repeat-address tests (no tests here): hand-made snapshots by day number."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from response_atlas.filters import Filters
from response_atlas.ingest.snapshot_writer import write_snapshot
from response_atlas.schema import REJECT_COLUMNS
from response_atlas.snapshot import Snapshot, current_snapshot_dir, open_snapshot
from tests.tiny_snapshot import area_frame, calls_frame, contacts_frame, zones_frame

DAY0 = date(2025, 1, 1)


def day(n: int) -> date:
    """Day ``n`` counted from 1 Jan 2025 (day 0)."""
    return DAY0 + timedelta(days=n)


def make_snapshot(
    data_dir: Path,
    calls: list[tuple],
    contacts: list[tuple] = (),
) -> Snapshot:
    """Write a snapshot from ``calls`` = (call_id, day_no, address, category, tier, area[, lat, lon])
    and ``contacts`` = (contact_id, call_id, program, day_no); return it opened."""
    template = calls_frame().iloc[0]
    rows = []
    for i, c in enumerate(calls, start=1):
        cid, n, address, category, tier, area = c[:6]
        ts = pd.Timestamp(day(n)) + pd.Timedelta(hours=10)
        row = template.copy()
        row.update({
            "call_id": cid, "received_at": ts,
            "received_utc": ts.tz_localize("America/New_York").tz_convert("UTC"),
            "call_date": ts.date(), "call_month": ts.to_period("M").to_timestamp().date(),
            "hour": 10, "weekday": ts.weekday(), "address": address, "category": category,
            "tier": tier, "area": area, "source_row": i,
            "lat": c[6] if len(c) > 6 else 39.11, "lon": c[7] if len(c) > 7 else -84.54,
        })
        rows.append(row)
    frame = pd.DataFrame(rows).reset_index(drop=True)
    for col in ("hour", "weekday"):
        frame[col] = frame[col].astype("int8")
    cons = contacts_frame().iloc[0:0].copy()
    if contacts:
        base = contacts_frame().iloc[0]
        crow = []
        for cid, call_id, program, n in contacts:
            r = base.copy()
            at = pd.Timestamp(day(n)) + pd.Timedelta(hours=11)
            r.update({"contact_id": cid, "call_id": call_id, "program": program,
                      "team_id": f"{program}-1", "contact_at": at,
                      "contact_month": at.to_period("M").to_timestamp().date()})
            crow.append(r)
        cons = pd.DataFrame(crow).reset_index(drop=True)
    manifest = {"created_at": "2025-07-01T00:00:00Z", "data_as_of": "2025-12-31"}
    rejects = pd.DataFrame(columns=list(REJECT_COLUMNS))
    write_snapshot(
        Path(data_dir) / "snapshots",
        {"calls": frame, "areas": area_frame(), "zones": zones_frame(), "contacts": cons,
         "rejects": rejects.astype(str)},
        manifest,
    )
    return open_snapshot(current_snapshot_dir(Path(data_dir) / "snapshots"))


def all_of_2025(**changes) -> Filters:
    """Filters covering the whole of 2025 (plus any field changes)."""
    return Filters(start=date(2025, 1, 1), end=date(2025, 12, 31)).with_(**changes)
