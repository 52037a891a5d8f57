"""Manifest, rejects, snapshots and triage-rule tables for the Data and About pages."""

from __future__ import annotations

import pandas as pd

from response_atlas.analysis import manifest_report as mr
from response_atlas.ingest.snapshot_writer import write_snapshot
from tests.tiny_snapshot import RULES_YAML, area_frame, calls_frame

MANIFEST = {
    "version": "v2",
    "created_at": "2025-07-01T00:00:00Z",
    "preset": "cincinnati",
    "data_as_of": "2025-06-30",
    "sources": [{"kind": "calls", "file": "calls.csv", "sha256": "ab" * 32, "rows_read": 10}],
    "counts": {"calls": {"read": 10, "accepted": 8, "rejected": 2}},
    "rejected_by_reason": {"calls": {"bad time": 1, "no id": 1}},
    "validation": {"calls": ["3 rows have no location", {"level": "error", "message": "x"}]},
    "time_range": {"start": "2025-01-01 00:00:00", "end": "2025-06-30 23:00:00"},
}


def test_manifest_tables():
    assert mr.manifest_summary(MANIFEST)["Source preset"] == "cincinnati"
    assert mr.sources_table(MANIFEST).iloc[0].tolist() == ["calls", "calls.csv", "10", "ab" * 32]
    more = {**MANIFEST, "sources": MANIFEST["sources"] + [
        {"kind": "areas", "file": "areas.geojson"}, {"kind": "rules", "file": "rules.yaml"}],
        "counts": {**MANIFEST["counts"], "areas": {"accepted": 1200, "rejected": 3}}}
    assert mr.sources_table(more)["Rows read"].tolist() == ["10", "1,203", "-"]
    assert mr.counts_table(MANIFEST).iloc[0].tolist() == ["calls", 10, 8, 2]
    assert mr.rejected_by_reason_table(MANIFEST)["Rows"].tolist() == [1, 1]
    assert mr.rejected_by_reason_table({"rejected_by_reason": {"bad": 3, "worse": 5}})[
        "Reason"].tolist() == ["worse", "bad"]
    val = mr.validation_table(MANIFEST)
    assert val["Level"].tolist() == ["warning", "error"]
    assert val["Message"].tolist() == ["3 rows have no location", "x"]


def test_missing_manifest_keys_give_empty_tables():
    for table in (mr.sources_table({}), mr.counts_table({}), mr.rejected_by_reason_table({}),
                  mr.validation_table({})):
        assert table.empty and len(table.columns) >= 3


def test_rejects_and_snapshot_list(tmp_path):
    rejects = pd.DataFrame({
        "kind": ["calls", "calls"], "source_file": ["calls.csv"] * 2, "row": ["10", "2"],
        "column": ["received_at", "call_id"], "problem": ["bad time", "no id"],
        "value": ["=HYPERLINK(1)", ""],
    })
    first = write_snapshot(tmp_path, {"calls": calls_frame(), "areas": area_frame()},
                           {"created_at": "a", "counts": {"calls": {"accepted": 48}}},
                           version="20250101T000000000000Z")
    second = write_snapshot(tmp_path, {"calls": calls_frame(), "areas": area_frame(),
                                       "rejects": rejects}, {"created_at": "b"},
                            version="20250102T000000000000Z")
    from response_atlas.snapshot import open_snapshot

    snap = open_snapshot(second)
    assert mr.count_rejects(snap) == 2
    assert mr.rejected_rows(snap)["row"].tolist() == ["2", "10"]  # numeric order
    assert mr.rejected_rows(snap, limit=1).shape[0] == 1
    assert mr.count_rejects(open_snapshot(first)) == 0
    listed = mr.snapshots_table(tmp_path)
    assert listed["Snapshot"].tolist() == [second.name, first.name]
    assert listed["In use"].tolist() == [True, False]
    assert listed["Calls accepted"].tolist()[1] == 48


def test_rules_in_words():
    import yaml

    rules, dq = mr.triage_rules_tables(yaml.safe_load(RULES_YAML))
    assert len(rules) == 6
    first = rules.iloc[0]
    assert first["Incident codes"] == 'codes starting with "MHC - NON-VIOLENT"'
    assert (first["Call type"], first["Eligibility"]) == ("Behavioral health", "Alternative response")
    assert dq.iloc[0].tolist() == ["code flagged (W)", "Police only", "weapon"]
    assert mr.pattern_in_words(r"\(W\)") == 'codes containing "(W)"'
    assert mr.pattern_in_words("^OD.*ALERT") == "codes matching the pattern ^OD.*ALERT"
    assert mr.triage_rules_tables({})[0].empty
