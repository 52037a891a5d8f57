"""Refresh end to end on tiny hand-made extracts: every bad input gives an error or a counted rejection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from response_atlas.ingest.refresh import main, run_refresh
from response_atlas.snapshot import current_snapshot_dir, open_snapshot

HEADER = "call_id,received_at,incident_code,priority,disposition,address,lat,lon\n"
# Alpha: lon -84.55..-84.53, Beta: -84.53..-84.51, both lat 39.10..39.12 (shared border at -84.53).
GOOD_ROWS = [
    "C1,2025-03-01 10:00:00,MHC - NON-VIOLENT,2,CLOSED,12XX MAIN ST,39.11,-84.54\n",
    "C2,2025-03-01 11:00:00,THEFTR,3,ARREST MADE,3XX VINE ST,39.11,-84.52\n",
    "C3,2025-03-02 12:00:00,ZZZ NEW CODE (IP),3,CLOSED,3XX VINE ST,39.11,-84.52\n",
]


def _square(lon0: float, lat0: float, side: float = 0.02) -> list:
    return [[[lon0, lat0], [lon0 + side, lat0], [lon0 + side, lat0 + side], [lon0, lat0 + side],
             [lon0, lat0]]]


def _features(items: list[tuple[dict, list]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": coords}}
        for props, coords in items]})


def make_data_dir(root: Path, rows: list[str] | None = None, *, header: str = HEADER,
                  zones: list[tuple[dict, list]] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "calls.csv").write_text(header + "".join(GOOD_ROWS if rows is None else rows), encoding="utf-8")
    (root / "areas.geojson").write_text(_features([
        ({"name": "Alpha"}, _square(-84.55, 39.10)), ({"name": "Beta"}, _square(-84.53, 39.10))]))
    (root / "area_facts.csv").write_text("name,kind,population,pct_black,pct_poverty\n"
                                         "Alpha,neighborhood,1000,60,30\n")
    if zones is not None:
        (root / "zones.geojson").write_text(_features(zones))
    return root


def calls_of(data_dir: Path):
    snap = open_snapshot(current_snapshot_dir(data_dir / "snapshots"))
    return snap, snap.query("SELECT * FROM calls ORDER BY call_id")


def refresh_with_one_zone(root: Path):
    """The good rows plus one ARC zone over Alpha, refreshed: (data folder, RefreshResult)."""
    data = make_data_dir(root, zones=[
        ({"zone_id": "z1", "team_id": "ARC-1", "program": "ARC", "schedule": "Mon-Fri 07:00-15:00"},
         _square(-84.55, 39.10))])
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    return data, result


def test_good_refresh_writes_snapshot_with_manifest(tmp_path):
    data, result = refresh_with_one_zone(tmp_path / "d")
    snap, calls = calls_of(data)
    assert list(calls["call_id"]) == ["C1", "C2", "C3"]
    assert list(calls["area"]) == ["Alpha", "Beta", "Beta"]
    assert list(calls["category"]) == ["behavioral_health", "other", "unclassified"]
    assert calls.loc[2, "rule_id"] is None or calls["rule_id"].isna()[2]
    assert list(calls["arrest"]) == [False, True, False]
    assert list(calls["zone_ids"].map(list)) == [["z1"], [], []]
    assert calls["hour"].tolist() == [10, 11, 12]
    m = snap.manifest
    assert m["counts"]["calls"] == {"read": 3, "accepted": 3, "rejected": 0}
    assert m["sources"][0]["file"] == "calls.csv" and len(m["sources"][0]["sha256"]) == 64
    assert m["time_range"]["start"].startswith("2025-03-01 10:00")
    areas = snap.areas.set_index("area")
    assert areas.loc["Alpha", "population"] == 1000
    assert areas["population"].isna()["Beta"]  # no facts: NaN, reported
    assert any("without facts" in msg for msg in result.messages)
    assert result.report_path.is_file()


def test_missing_required_column_fails_and_keeps_previous(tmp_path):
    data = make_data_dir(tmp_path / "d")
    first = run_refresh(data, progress=False)
    assert first.ok
    (data / "calls.csv").write_text("call_id,received_at,priority\nC1,2025-01-01 00:00:00,1\n")
    second = run_refresh(data, progress=False)
    assert not second.ok
    assert "incident_code" in second.errors[0] and "calls.csv" in second.errors[0]
    assert current_snapshot_dir(data / "snapshots") == first.snapshot_dir
    report = json.loads(second.report_path.read_text())
    assert report["ok"] is False and report["errors"]


@pytest.mark.parametrize(("content", "needle"), [(b"", "empty"), (HEADER.encode(), "no data rows")])
def test_empty_and_header_only_files_fail_clearly(tmp_path, content, needle):
    data = make_data_dir(tmp_path / "d")
    (data / "calls.csv").write_bytes(content)
    result = run_refresh(data, progress=False)
    assert not result.ok and needle in result.errors[0]


def test_unparseable_timestamp_is_a_counted_rejection(tmp_path):
    data = make_data_dir(tmp_path / "d", [*GOOD_ROWS, "C4,yesterday noon,THEFTR,1,,,39.11,-84.54\n"])
    result = run_refresh(data, progress=False)
    assert result.ok
    assert result.rejected_by_reason["calls"] == {"unparseable timestamp": 1}
    snap, calls = calls_of(data)
    rejects = snap.query("SELECT * FROM rejects")
    assert rejects.to_dict("records") == [{"kind": "calls", "source_file": "calls.csv", "row": "4",
                                           "column": "received_at", "problem": "unparseable timestamp",
                                           "value": "yesterday noon"}]
    assert len(calls) == 3
    # No zones extract: no call is in a zone, and every zone key is the empty text.
    assert calls["zone_key"].tolist() == ["", "", ""]
    assert all(len(z) == 0 for z in calls["zone_ids"])


def test_latin1_bom_and_quoted_newlines(tmp_path):
    data = make_data_dir(tmp_path / "d")
    text = HEADER + 'C1,2025-03-01 10:00:00,THEFTR,1,"LINE ONE\nLINE TWO",CAFÉ ST,39.11,-84.54\n'
    (data / "calls.csv").write_bytes(text.encode("latin-1"))
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    _, calls = calls_of(data)
    assert calls.loc[0, "address"] == "CAFÉ ST"
    assert calls.loc[0, "disposition"] == "LINE ONE\nLINE TWO"
    (data / "calls.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = run_refresh(data, progress=False)
    assert result.ok and calls_of(data)[1].loc[0, "call_id"] == "C1"


def test_coordinates_swapped_zero_outside_and_missing(tmp_path):
    rows = [
        "S1,2025-03-01 10:00:00,THEFTR,1,,,-84.54,39.11\n",   # swapped: fixed, lands in Alpha
        "Z1,2025-03-01 10:00:00,THEFTR,1,,,0,0\n",            # zero: no location
        "O1,2025-03-01 10:00:00,THEFTR,1,,,39.30,-84.30\n",   # outside the county (Warren)
        "I1,2025-03-01 10:00:00,THEFTR,1,,,39.20,-84.60\n",   # in the county, outside the areas
        "N1,2025-03-01 10:00:00,THEFTR,1,,,,\n",              # no coordinates
        "B1,2025-03-01 10:00:00,THEFTR,1,,,39.11,-84.53\n",   # on the Alpha/Beta border
    ]
    data = make_data_dir(tmp_path / "d", rows)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    by_id = calls.set_index("call_id")
    assert by_id.loc["S1", "area"] == "Alpha" and by_id.loc["S1", "lat"] == pytest.approx(39.11)
    assert by_id.loc["Z1", "location_status"] == "no_location"
    assert by_id.loc["N1", "area"] == "No location"
    assert by_id.loc["O1", "area"] == "Outside county"
    assert by_id.loc["I1", "area"] == "Outside the areas"
    assert by_id.loc["I1", "location_status"] == "outside_areas"
    assert by_id.loc["B1", "area"] == "Alpha"  # shared border: first area by name
    assert snap.manifest["locations"] == {"in_area": 2, "outside_areas": 1, "outside_county": 1,
                                          "no_location": 2}
    outcomes = {(r["kind"], r["outcome"]): r["count"] for r in snap.manifest["outcomes"]}
    assert outcomes[("locations", "calls in the county but outside the areas (16.7%)")] == 1
    assert "1 call(s) in the county but outside the areas" in " ".join(result.messages)
    assert snap.manifest["fixes"]["latitude/longitude swapped: fixed"] == 1
    assert snap.manifest["fixes"]["zero coordinates: kept as no location"] == 1


def test_duplicate_ids_newest_file_wins(tmp_path):
    data = make_data_dir(tmp_path / "d")
    (data / "calls_2.csv").write_text(HEADER + "C2,2025-03-05 09:00:00,DISORD,1,,,39.11,-84.54\n")
    result = run_refresh(data, progress=False)
    assert result.ok
    assert result.rejected_by_reason["calls"] == {"duplicate call id (newer row kept)": 1}
    _, calls = calls_of(data)
    row = calls.set_index("call_id").loc["C2"]
    assert row["incident_code"] == "DISORD" and row["source_file"] == "calls_2.csv"
    assert result.counts["calls"] == {"read": 4, "accepted": 3, "rejected": 1}


def test_truncated_file_last_row_rejected(tmp_path):
    data = make_data_dir(tmp_path / "d", [*GOOD_ROWS, "C9,2025-03-03 10:00:00,THEF"])
    result = run_refresh(data, progress=False)
    assert result.ok
    snap, calls = calls_of(data)
    rejects = snap.query("SELECT row, problem FROM rejects")
    assert rejects["row"].tolist() == ["4"] and "truncated" in rejects["problem"].iloc[0]
    assert len(calls) == 3


def test_geojson_not_json_and_areas_without_name(tmp_path):
    data = make_data_dir(tmp_path / "d")
    (data / "areas.geojson").write_text("<html>not json</html>")
    result = run_refresh(data, progress=False)
    assert not result.ok and "areas.geojson" in result.errors[0] and "JSON" in result.errors[0]
    (data / "areas.geojson").write_text(_features([({"label": "Alpha"}, _square(-84.55, 39.10))]))
    result = run_refresh(data, progress=False)
    assert not result.ok and "name property" in result.errors[0]


def test_self_intersecting_unnamed_and_duplicate_areas(tmp_path):
    data = make_data_dir(tmp_path / "d")
    bowtie = [[[-84.55, 39.10], [-84.53, 39.12], [-84.53, 39.10], [-84.55, 39.12], [-84.55, 39.10]]]
    (data / "areas.geojson").write_text(_features([
        ({"name": "Alpha"}, bowtie), ({"name": "Beta"}, _square(-84.53, 39.10)),
        ({"name": "Beta"}, _square(-84.60, 39.10)), ({"name": None}, _square(-84.70, 39.10))]))
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    assert any("Alpha: invalid geometry repaired" in m for m in result.messages)
    # the two Beta pieces become one area (issue 21: no piece dropped)
    assert result.rejected_by_reason["areas"] == {"polygon without a name": 1}
    snap, _ = calls_of(data)
    assert sorted(snap.areas["area"]) == ["Alpha", "Beta"] and snap.areas.is_valid.all()
    beta = snap.areas.set_index("area").geometry["Beta"]
    assert beta.geom_type == "MultiPolygon" and len(beta.geoms) == 2


def test_invalid_zone_schedule_rejects_zone(tmp_path):
    data = make_data_dir(tmp_path / "d", zones=[
        ({"zone_id": "ok", "team_id": "T1", "program": "ARC", "schedule": "24/7"}, _square(-84.55, 39.10)),
        ({"zone_id": "bad", "team_id": "T2", "program": "QRT", "schedule": "whenever"},
         _square(-84.53, 39.10))])
    result = run_refresh(data, progress=False)
    assert result.ok
    assert list(result.rejected_by_reason["zones"]) == ["schedule does not parse"]
    snap, _ = calls_of(data)
    assert snap.zones["zone_id"].tolist() == ["ok"]
    rejects = snap.query("SELECT * FROM rejects WHERE kind = 'zones'")
    assert rejects["value"].tolist() == ["whenever"]


def test_invalid_rules_file_fails_naming_rule(tmp_path):
    data = make_data_dir(tmp_path / "d")
    (data / "triage_rules.yaml").write_text(
        "version: x\nrules:\n  - {id: a, pattern: A, category: nope, tier: police_only}\n")
    result = run_refresh(data, progress=False)
    assert not result.ok and "rules[0].category" in result.errors[0]


def test_contacts_validated(tmp_path):
    data = make_data_dir(tmp_path / "d")
    (data / "team_contacts.csv").write_text(
        "contact_id,call_id,team_id,program,contact_at,area,response_min,outcome\n"
        "K1,C1,ARC-1,ARC,2025-03-01 10:20:00,Alpha,20,resolved_on_scene\n"
        "K2,,ARC-1,ARC,2025-03-01 12:00:00,Alpha,15,vanished\n")
    result = run_refresh(data, progress=False)
    assert result.ok
    assert result.counts["contacts"] == {"read": 2, "accepted": 1, "rejected": 1}
    snap, _ = calls_of(data)
    contacts = snap.query("SELECT * FROM contacts")
    assert contacts["contact_id"].tolist() == ["K1"]
    assert str(contacts["contact_month"].iloc[0])[:10] == "2025-03-01"


def test_keep_prunes_old_snapshots_and_cli(tmp_path, capsys):
    data = make_data_dir(tmp_path / "d")
    for _ in range(3):
        assert run_refresh(data, progress=False, keep=2).ok
    assert len([p for p in (data / "snapshots").iterdir() if p.is_dir() and not p.name.startswith(".")]) == 2
    assert main(["--data", str(data), "--quiet"]) == 0
    assert "refresh OK" in capsys.readouterr().out


def test_the_refresh_command_keeps_freed_memory_in_its_own_process():
    # Process-wide allocator settings: checked in a child, so this test process keeps the default.
    code = ("import pyarrow as pa; from numpy._core.multiarray import _set_madvise_hugepage as huge; "
            "from response_atlas.ingest.refresh import keep_freed_memory; "
            "before = pa.default_memory_pool().backend_name; glibc = keep_freed_memory(); "
            "thp = [l.split()[1] for l in open('/proc/self/status') if l.startswith('THP_enabled')]; "
            "print(before, pa.default_memory_pool().backend_name, glibc, huge(True), *thp)")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    before, after, glibc, numpy_huge, *thp = out.stdout.split()
    assert before != "jemalloc" and after == "jemalloc" and glibc == "True"
    assert numpy_huge == "False" and thp in ([], ["0"])  # no huge pages (THP_enabled: Linux 5.0+)


def test_calls_enriched_in_chunks_give_the_same_snapshot(tmp_path, monkeypatch):
    """Chunks of at most three calls (parts written while the next chunk is enriched; the last
    chunk halved) against one chunk: the same rows in the same order, the same counts, fixes,
    locations and time range."""
    from response_atlas.ingest import enrich
    from response_atlas.schema import snapshot_table_files

    rows = [
        "S1,2025-03-01 10:00:00,THEFTR,1,,,-84.54,39.11\n",   # swapped
        "Z1,2025-03-04 10:00:00,MHC - NON-VIOLENT,1,,,0,0\n",  # zero
        "O1,2025-02-27 08:00:00,THEFTR,1,ARREST,,39.30,-84.30\n",  # outside, earliest
        "N1,2025-03-01 10:00:00,DISORD,1,,,,\n",              # no coordinates
        "B1,2025-03-09 02:30:00,THEFTR,1,,,39.11,-84.53\n",   # border; DST gap; latest
    ]
    zone = [({"zone_id": "z1", "team_id": "ARC-1", "program": "ARC",
              "schedule": "Mon-Fri 07:00-15:00"}, _square(-84.55, 39.10))]
    whole = make_data_dir(tmp_path / "whole", rows, zones=zone)
    chunked = make_data_dir(tmp_path / "chunked", rows, zones=zone)
    assert run_refresh(whole, progress=False).ok
    monkeypatch.setattr(enrich, "CHUNK_ROWS", 3)
    result = run_refresh(chunked, progress=False)
    assert result.ok, result.errors

    snaps = {d.name: open_snapshot(current_snapshot_dir(d / "snapshots")) for d in (whole, chunked)}
    parts = snapshot_table_files(snaps["chunked"].path, "calls")
    assert [p.name for p in parts] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    frames = {name: snap.query("SELECT * FROM calls") for name, snap in snaps.items()}
    assert frames["chunked"]["call_id"].tolist() == ["S1", "Z1", "O1", "N1", "B1"]  # file order
    assert frames["chunked"]["source_file"].tolist() == ["calls.csv"] * 5
    assert frames["chunked"].astype(str).equals(frames["whole"].astype(str))
    keys = ("counts", "fixes", "locations", "time_range", "messages", "data_as_of")
    assert {k: snaps["chunked"].manifest[k] for k in keys} == {k: snaps["whole"].manifest[k] for k in keys}
    assert snaps["chunked"].manifest["time_range"] == {"start": "2025-02-27 08:00:00",
                                                       "end": "2025-03-09 02:30:00"}
    assert snaps["chunked"].manifest["locations"] == {"in_area": 2, "outside_areas": 0,
                                                      "outside_county": 1, "no_location": 2}


def test_may_have_repeats_finds_every_repeat_and_ignores_nulls():
    import pyarrow as pa

    from response_atlas.ingest.refresh import may_have_repeats

    assert not may_have_repeats(pa.array(["a", "b", None, None, "c"]))
    assert may_have_repeats(pa.chunked_array([["a", "b"], ["c", "b"]]))
    assert not may_have_repeats(pa.array([], type=pa.string()))
