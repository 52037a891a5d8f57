"""End to end: a small demo ingests cleanly, and first-start bootstrap never overwrites real data."""

from __future__ import annotations

import pandas as pd
import pytest

from response_atlas.bootstrap import ensure_demo_snapshot, has_extracts
from response_atlas.config import load_settings
from response_atlas.demo.codes import INCIDENT_CODES
from response_atlas.demo.generate import write_demo
from response_atlas.demo.programs import SECOND_TEAM_WAVES
from response_atlas.snapshot import current_snapshot_dir, open_snapshot
from response_atlas.triage_rules import classify_codes, default_rules

pytest.importorskip("response_atlas.ingest.refresh")


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo-boot")
    summary = ensure_demo_snapshot(load_settings(data_dir), calls=3000)
    return summary, open_snapshot(current_snapshot_dir(data_dir / "snapshots"))


def test_bootstrap_writes_demo_and_snapshot(demo_snapshot):
    summary, snap = demo_snapshot
    assert summary is not None and summary["calls"] == 3000
    assert snap.query("select count(*) as n from calls")["n"].iloc[0] == 3000
    assert snap.query("select count(*) as n from rejects")["n"].iloc[0] == 0
    assert len(snap.areas) == 81
    assert len(snap.zones) == 4
    contacts = snap.query("select count(*) as n from contacts")["n"].iloc[0]
    assert contacts == summary["contacts"]


def test_every_demo_code_is_classified(demo_snapshot):
    _, snap = demo_snapshot
    unclassified = snap.query(
        "select count(*) as n from calls where category = 'unclassified'")["n"].iloc[0]
    assert unclassified == 0
    # Every code the generator can emit, not only the ones drawn in 3000 calls.
    out = classify_codes(pd.Series([c.code for c in INCIDENT_CODES]), default_rules())
    assert (out["category"] != "unclassified").all(), out.loc[out["category"] == "unclassified"]


def test_located_calls_land_in_areas_and_arc_calls_in_arc_zones(demo_snapshot):
    _, snap = demo_snapshot
    status = snap.query("select location_status, count(*) as n from calls group by 1")
    counts = dict(zip(status["location_status"], status["n"], strict=True))
    assert counts.get("outside_county", 0) == 0
    assert 0 < counts["no_location"] < 0.05 * 3000
    arc = snap.query(
        "select c.zone_ids, c.area from contacts t join calls c using (call_id) "
        "where t.program = 'ARC' and c.location_status = 'in_area'")
    assert len(arc) > 0
    # in an ARC zone, or in the second team's rollout areas (demo/programs.py, programs.yaml)
    rollout = {a for _, areas in SECOND_TEAM_WAVES for a in areas}
    assert all({"arc-1", "arc-2"} & set(z) or a in rollout
               for z, a in zip(arc["zone_ids"], arc["area"], strict=True))


def test_bootstrap_keeps_existing_extracts(tmp_path):
    write_demo(tmp_path, calls=500, seed=1)
    before = (tmp_path / "calls.csv").read_bytes()
    assert has_extracts(tmp_path)
    assert ensure_demo_snapshot(load_settings(tmp_path)) is None  # refresh only
    assert (tmp_path / "calls.csv").read_bytes() == before
    assert (tmp_path / "snapshots" / "CURRENT").is_file()


def test_bootstrap_raises_with_refresh_errors(tmp_path):
    (tmp_path / "calls.csv").write_text("not,a,calls,file\n1,2,3,4\n")
    with pytest.raises(RuntimeError, match="demo refresh failed"):
        ensure_demo_snapshot(load_settings(tmp_path))


def test_derived_zone_key_and_minute_match_the_sql_they_replace(demo_snapshot):
    _, snap = demo_snapshot
    differ = snap.query("""
        SELECT count(*) FILTER (WHERE zone_key
                                <> coalesce(array_to_string(list_sort(zone_ids), '|'), ''))
                   AS zone_keys,
               count(*) FILTER (WHERE minute_of_day
                                <> hour(received_at) * 60 + minute(received_at)) AS minutes,
               count(DISTINCT zone_key) AS key_values
        FROM calls""").iloc[0]
    assert (differ["zone_keys"], differ["minutes"]) == (0, 0)
    assert differ["key_values"] >= 3  # no zone, and at least two zone sets in the demo


def test_coverage_aggregate_is_the_same_from_stored_or_computed_columns(demo_snapshot):
    from datetime import date

    from response_atlas.analysis.coverage import eligible_aggregate
    from response_atlas.filters import Filters

    _, snap = demo_snapshot

    class OlderSnapshot:  # a snapshot written before the derived columns existed
        path = None
        call_columns = frozenset()
        query_columns = staticmethod(snap.query_columns)

    first, last = snap.date_range
    filters = Filters(start=first, end=last)
    keys = ["program", "zone_key", "weekday", "minute", "area", "h3", "special_date"]
    stored = eligible_aggregate(snap, filters, 15, (date(2025, 12, 25),))
    computed = eligible_aggregate(OlderSnapshot(), filters, 15, (date(2025, 12, 25),))
    assert stored["calls"].sum() > 100
    pd.testing.assert_frame_equal(stored.sort_values(keys).reset_index(drop=True),
                                  computed.sort_values(keys).reset_index(drop=True))
