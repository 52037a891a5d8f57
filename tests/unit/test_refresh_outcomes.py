"""Issue 21, points 7-12: every messy areas / zones / settings / folder input gets a named
outcome with counts, and a user can go back to a kept snapshot. Tiny hand-made extracts
(``test_ingest_refresh.make_data_dir``: areas Alpha and Beta, three calls). Point 9 (outside the
areas vs outside the county) is ``test_ingest_refresh.test_coordinates_swapped_zero_outside_and_missing``;
the kill and concurrency tests are in ``test_refresh_faults.py``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

from response_atlas.ingest import rollback
from response_atlas.ingest.refresh import main, run_refresh, summarize
from response_atlas.ingest.snapshot_writer import STAGING_PREFIX, folder_lock
from response_atlas.snapshot import current_snapshot_dir, current_version
from tests.unit.test_ingest_refresh import HEADER, _features, _square, calls_of, make_data_dir


def _outcomes(result) -> dict:
    return {(r["kind"], r["outcome"]): r["count"] for r in result.outcomes}


def _point_features(names: list[str]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n},
         "geometry": {"type": "Point", "coordinates": [-84.54, 39.11]}} for n in names]})


# --- 7. areas: pieces joined, non-polygons refused, a collapse in placed calls held back ------
def test_pieces_of_one_name_are_one_area_and_their_calls_are_placed(tmp_path):
    data = make_data_dir(tmp_path / "d", [
        "P1,2025-03-01 10:00:00,THEFTR,1,,,39.11,-84.54\n",   # first Alpha piece
        "P2,2025-03-01 11:00:00,THEFTR,1,,,39.11,-84.60\n",   # second Alpha piece
        "P3,2025-03-01 12:00:00,THEFTR,1,,,39.11,-84.52\n"])  # Beta
    (data / "areas.geojson").write_text(_features([
        ({"name": "Alpha"}, _square(-84.55, 39.10)), ({"name": "Beta"}, _square(-84.53, 39.10)),
        ({"name": "Alpha"}, _square(-84.61, 39.10))]))
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    _, calls = calls_of(data)
    assert calls["area"].tolist() == ["Alpha", "Alpha", "Beta"]
    assert "areas" not in result.rejected_by_reason
    assert _outcomes(result)[("areas", "pieces joined into an area of the same name")] == 1
    assert _outcomes(result)[("areas", "features read")] == 3
    assert result.counts["areas"] == {"read": 3, "accepted": 2, "rejected": 0}
    assert any("Alpha (2 pieces)" in m for m in result.messages)


def test_points_instead_of_polygons_are_refused_and_the_snapshot_kept(tmp_path):
    data = make_data_dir(tmp_path / "d")
    first = run_refresh(data, progress=False)
    assert first.ok
    (data / "areas.geojson").write_text(_point_features(["Alpha", "Beta"]))
    second = run_refresh(data, progress=False)
    assert not second.ok
    assert second.errors == ["areas.geojson: has no polygon features (found 2 Point): an areas "
                             "file must hold the area polygons"]
    assert current_snapshot_dir(data / "snapshots") == first.snapshot_dir
    # one stray point among polygons: refused by row, the polygons kept
    feats = json.loads(_features([({"name": "Alpha"}, _square(-84.55, 39.10)),
                                  ({"name": "Beta"}, _square(-84.53, 39.10))]))
    feats["features"] += json.loads(_point_features(["Gamma"]))["features"]
    (data / "areas.geojson").write_text(json.dumps(feats))
    third = run_refresh(data, progress=False)
    assert third.ok, third.errors
    assert third.rejected_by_reason["areas"] == {"not a polygon (Point)": 1}
    assert _outcomes(third)[("areas", "features refused: not a polygon")] == 1


def test_a_collapse_in_placed_calls_is_held_back_unless_accepted(tmp_path, capsys):
    data = make_data_dir(tmp_path / "d")
    first = run_refresh(data, progress=False)
    assert first.ok
    # the same names somewhere else: every call now falls outside the areas
    (data / "areas.geojson").write_text(_features([
        ({"name": "Alpha"}, _square(-84.75, 39.25)), ({"name": "Beta"}, _square(-84.70, 39.25))]))
    held = run_refresh(data, progress=False)
    assert not held.ok and held.held_back
    assert held.errors[0].startswith(f"calls placed in an area fell from 100.0% (snapshot "
                                     f"{first.snapshot_dir.name}) to 0.0%: the new snapshot was "
                                     "written but NOT switched to")
    assert current_snapshot_dir(data / "snapshots") == first.snapshot_dir
    assert held.snapshot_dir.is_dir()  # kept, for a look or a rollback
    assert summarize(held).startswith("refresh HELD BACK")
    assert main(["--data", str(data), "--quiet"]) == 3
    capsys.readouterr()
    assert main(["--data", str(data), "--quiet", "--accept-drop"]) == 0
    out = capsys.readouterr().out
    assert "switched to it anyway (--accept-drop)" in out
    assert current_version(data / "snapshots") != first.snapshot_dir.name


# --- 8. settings for a plain refresh: a flag and the folder's sources.yaml ----------------
def test_area_name_property_from_flag_or_folder_settings(tmp_path, capsys):
    data = make_data_dir(tmp_path / "d")
    (data / "areas.geojson").write_text(_features([
        ({"council": "Alpha"}, _square(-84.55, 39.10)), ({"council": "Beta"}, _square(-84.53, 39.10))]))
    plain = run_refresh(data, progress=False)
    assert not plain.ok
    assert "no feature has the area name property name / neighborhood" in plain.errors[0]
    assert "(properties found: council)" in plain.errors[0]
    assert main(["--data", str(data), "--quiet", "--area-name-property", "council"]) == 0
    assert "areas.geojson: area name property / layer council (from command line)" in capsys.readouterr().out
    # the same through the folder's settings, with a column mapping for the calls too
    (data / "calls.csv").write_text("Event,When,Nature,Y,X\nE1,2025-03-01 10:00:00,THEFTR,39.11,-84.54\n")
    (data / "mapping.yaml").write_text("columns: {call_id: Event, received_at: When, "
                                       "incident_code: Nature, lat: Y, lon: X}\n")
    (data / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: calls, kind: calls, file: calls.csv, preset: mapping.yaml}\n"
        "  - {name: councils, kind: areas, file: areas.geojson, preset: council}\n")
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    assert "areas.geojson: area name property / layer council (from sources.yaml)" in result.messages
    _, calls = calls_of(data)
    assert calls[["call_id", "area"]].values.tolist() == [["E1", "Alpha"]]
    (data / "sources.yaml").write_text("sources: 7\n")
    bad = run_refresh(data, progress=False)
    assert bad.errors == ["sources.yaml: expected a 'sources:' list of entries with file and preset"]


# --- 10. a zone whose schedule cannot be read is refused by name; the rest refreshes ----------
def test_bad_zone_schedule_names_the_zone_and_the_rest_refreshes(tmp_path):
    data = make_data_dir(tmp_path / "d", zones=[
        ({"zone_id": "ok", "team_id": "T1", "program": "ARC", "schedule": "24/7"}, _square(-84.55, 39.10)),
        ({"zone_id": "z2", "team_id": "QRT-2", "program": "QRT", "schedule": "Mon-Fir 07:00-15:00"},
         _square(-84.53, 39.10))])
    zones = json.loads((data / "zones.geojson").read_text())
    zones["features"].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-84.5, 39.1]},
                              "properties": {"zone_id": "z3", "team_id": "T3", "program": "ARC",
                                             "schedule": "24/7"}})
    (data / "zones.geojson").write_text(json.dumps(zones))
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    assert len(calls) == 3 and sorted(snap.areas["area"]) == ["Alpha", "Beta"]
    assert snap.zones["zone_id"].tolist() == ["ok"]
    problem = ("schedule does not parse: zone z2 (team QRT-2, program QRT), schedule "
               "'Mon-Fir 07:00-15:00': unknown day range 'mon-fir' (use Mon, Tue, Wed, Thu, Fri, "
               "Sat, Sun) (at character 1)")
    assert snap.manifest["zones_missing"] == [
        {"zone_id": "z2", "team_id": "QRT-2", "program": "QRT", "problem": problem},
        {"zone_id": "z3", "team_id": "T3", "program": "ARC", "problem": "zone is not a polygon (Point): refused"}]
    assert _outcomes(result)[("zones", "zones missing (refused)")] == 2
    assert "zones: zones missing (refused): 2" in summarize(result)
    rejects = snap.query("SELECT problem FROM rejects WHERE kind = 'zones' ORDER BY row")["problem"]
    assert rejects.tolist() == [problem, "zone is not a polygon (Point): refused"]


# --- 11. faults: lock, staging leftovers, unwritable folder ---------------------------------
def test_a_second_refresh_waits_then_refuses_clearly(tmp_path):
    data = make_data_dir(tmp_path / "d")
    with folder_lock(data / "snapshots"):
        result = run_refresh(data, progress=False, wait_s=0.3)
    assert not result.ok
    assert result.errors == [f"another refresh or rollback (process {os.getpid()}) is writing "
                             f"{data / 'snapshots'}; waited 0.3 s. Try again when it has finished."]
    assert json.loads(result.report_path.read_text())["errors"] == result.errors
    assert run_refresh(data, progress=False).ok  # lock released


def test_leftovers_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    data = make_data_dir(tmp_path / "d")
    snapshots = data / "snapshots"
    dead = snapshots / f"{STAGING_PREFIX}dead"
    (dead / "calls").mkdir(parents=True)
    (dead / "calls" / "part-0.parquet").write_bytes(b"half")
    (snapshots / ".CURRENT.abc123.tmp").write_text("x")
    live = snapshots / f"{STAGING_PREFIX}live"
    live.mkdir()
    import fcntl

    fd = os.open(live, os.O_RDONLY)  # a writer still at work holds its folder's lock
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = run_refresh(data, progress=False)
    finally:
        os.close(fd)
    assert result.ok, result.errors
    assert not dead.exists() and live.is_dir()
    assert not list(snapshots.glob(".CURRENT.*"))
    assert _outcomes(result)[("refresh", "leftovers of interrupted refreshes removed")] == 2


def test_a_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    data = make_data_dir(tmp_path / "d")
    (data / "snapshots").write_text("not a folder")  # (root ignores permissions: a file blocks it)
    result = run_refresh(data, progress=False)
    assert not result.ok and result.counts == {}
    assert result.errors[0].startswith(f"{data / 'snapshots'} cannot be written (")
    assert result.errors[0].endswith("nothing was done; the snapshot in use is unchanged")
    assert result.report_path.parent == data / "reports"
    # no reports folder either: the report goes to the system's temporary folder
    shutil.rmtree(data / "reports")
    (data / "reports").write_text("not a folder either")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    assert main(["--data", str(data), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "refresh error: " in captured.err and "cannot be written" in captured.err
    assert f"report: {tmp_path / 'tmp' / 'response-atlas-reports'}" in captured.out


# --- 12. roll back to a kept snapshot; the next refresh starts from the data folder ----------
def test_snapshots_list_and_rollback_command(tmp_path, capsys):
    data = make_data_dir(tmp_path / "d")
    first = run_refresh(data, progress=False)
    (data / "calls.csv").write_text(HEADER + "N1,2025-04-01 10:00:00,THEFTR,1,,,39.11,-84.54\n")
    second = run_refresh(data, progress=False)
    assert first.ok and second.ok
    from response_atlas.cli import main as cli

    assert cli(["snapshots", "--data", str(data), "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["snapshot", "created", "data", "as", "of", "calls", "rejected", "in",
                                "an", "area", "areas", "zones", "note"]
    assert lines[1].startswith(f"*  {second.snapshot_dir.name}") and " 1 " in lines[1]
    assert lines[2].startswith(f"   {first.snapshot_dir.name}") and "100.0%" in lines[2]
    assert cli(["snapshots", "--data", str(data), "rollback", first.snapshot_dir.name]) == 0
    assert capsys.readouterr().out.startswith(f"rollback OK: CURRENT now names {first.snapshot_dir.name}")
    assert current_version(data / "snapshots") == first.snapshot_dir.name
    _, calls = calls_of(data)
    assert calls["call_id"].tolist() == ["C1", "C2", "C3"]
    assert cli(["snapshots", "--data", str(data), "rollback", "nope"]) == 1
    assert "no kept snapshot 'nope'" in capsys.readouterr().out
    third = run_refresh(data, progress=False)  # from the data folder, as usual
    assert third.ok and current_version(data / "snapshots") == third.snapshot_dir.name
    assert calls_of(data)[1]["call_id"].tolist() == ["N1"]
    rows = rollback.kept_snapshots(data / "snapshots")
    assert [r["version"] for r in rows] == [third.snapshot_dir.name, second.snapshot_dir.name,
                                           first.snapshot_dir.name]
    assert [r["calls_accepted"] for r in rows] == [1, 1, 3]


def test_rollback_refuses_an_incomplete_snapshot(tmp_path):
    data = make_data_dir(tmp_path / "d")
    assert run_refresh(data, progress=False).ok
    broken = data / "snapshots" / "20000101T000000000000Z"
    broken.mkdir()
    (broken / "manifest.json").write_text("{}")
    with pytest.raises(rollback.RollbackError, match="incomplete snapshot"):
        rollback.switch_to(data / "snapshots", broken.name)
