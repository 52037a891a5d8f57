"""Messy or wrong calls extracts: every one gets a named, counted outcome (issue 21, points 1-6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from response_atlas.ingest.call_checks import TimeWindow
from response_atlas.ingest.calls import load_calls_file, parse_times
from response_atlas.ingest.readers import ExtractError, describe_binary, read_csv_text
from response_atlas.ingest.refresh import run_refresh
from response_atlas.ingest.times import ISO, ISO_OFFSET, parse_time_text
from tests.unit.test_ingest_refresh import calls_of, make_data_dir

TIMED = "call_id,received_at,incident_code,lat,lon,dispatched_at,arrived_at,closed_at\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + zlib.compress(bytes(range(256)) * 4)


def _row(call_id: str, received: str, dispatched: str = "", arrived: str = "", closed: str = "") -> str:
    return f"{call_id},{received},MHC,39.11,-84.54,{dispatched},{arrived},{closed}\n"


# --- 1. times: each column, row by row, every publisher form ----------------------------------

def test_parse_time_text_reads_each_row_in_the_format_that_fits():
    values, found = parse_time_text(pa.array([
        "2025-03-01T10:00:00", "2025-03-01 10:00:00.5", "2025-03-01 10:00", "03/01/2025 01:30:00 PM",
        "3/1/2025 1:05 pm", "03/01/2025 13:45", "2025-03-01T15:00:00Z", "2025-03-01T10:00:00-05:00",
        None, "not a time"]))
    assert [str(v) for v in values] == [
        "2025-03-01T10:00:00.000000", "2025-03-01T10:00:00.500000", "2025-03-01T10:00:00.000000",
        "2025-03-01T13:30:00.000000", "2025-03-01T13:05:00.000000", "2025-03-01T13:45:00.000000",
        "2025-03-01T10:00:00.000000", "2025-03-01T10:00:00.000000", "NaT", "NaT"]
    assert found == {ISO: 3, ISO_OFFSET: 2, "MM/DD/YYYY hh:mm:ss AM": 1, "MM/DD/YYYY hh:mm AM": 1,
                     "MM/DD/YYYY HH:MM": 1}
    # an impossible date among good ones spoils only its own row; rarer ISO forms still read
    values, found = parse_time_text(pa.array(["2025-03-01T10:00:00", "2025-02-30 10:00:00",
                                              "20250301T101500", "2025-03-01T10:00:00+0100"]))
    assert [str(v) for v in values] == ["2025-03-01T10:00:00.000000", "NaT",
                                        "2025-03-01T10:15:00.000000", "2025-03-01T04:00:00.000000"]
    assert found == {ISO: 2, ISO_OFFSET: 1}
    # contacts' times too (``parse_times``), whatever form their first values suggest
    contact_times = pd.Series(["2025-03-01 10:00:00", "03/01/2025 10:30 AM", ""])
    assert [str(v) for v in parse_times(contact_times, None)] == [
        "2025-03-01 10:00:00", "2025-03-01 10:30:00", "NaT"]


def test_mixed_formats_within_and_across_columns_reject_only_unreadable_rows(tmp_path):
    # the first value is US: the old guess applied the US format to every row and column
    rows = [_row("C1", "03/01/2025 10:00:00 AM", "2025-03-01T10:05:00", "03/01/2025 10:15 AM"),
            *[_row(f"I{i}", f"2025-03-0{1 + i % 5}T1{i % 10}:00:00", f"2025-03-0{1 + i % 5} 1{i % 10}:01:00")
              for i in range(30)],
            _row("C2", "2025-03-01T12:00:00-05:00", "", "", "03/01/2025 12:30 PM"),
            _row("BAD", "the first of March")]
    data = make_data_dir(tmp_path, rows, header=TIMED)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    assert len(calls) == 32 and "BAD" not in set(calls["call_id"])
    by_id = calls.set_index("call_id")
    assert str(by_id.loc["C1", "received_at"]) == "2025-03-01 10:00:00"
    assert by_id.loc["C1", "dispatch_min"] == 5 and by_id.loc["C1", "response_min"] == 15
    assert str(by_id.loc["C2", "received_at"]) == "2025-03-01 12:00:00"
    rejected = snap.query("SELECT * FROM rejects")
    assert rejected[["row", "column", "problem", "value"]].values.tolist() == [
        ["33", "received_at", "unparseable timestamp", "the first of March"]]
    note = next(m for m in result.messages if m.startswith("time formats in calls.csv"))
    assert "received_at: MM/DD/YYYY hh:mm:ss AM (1), ISO 8601 (30), ISO 8601 with UTC offset (1)" in note
    assert "dispatched_at: ISO 8601 (31)" in note and "arrived_at: MM/DD/YYYY hh:mm AM (1)" in note
    assert "closed_at: MM/DD/YYYY hh:mm AM (1)" in note
    report = json.loads(result.report_path.read_text())
    assert report["manifest"]["sources"][0]["time_formats"]["received_at"][ISO] == 30


# --- 2. plausible window --------------------------------------------------------------------

def test_dates_outside_the_window_are_rejected_and_never_set_data_as_of(tmp_path, monkeypatch):
    rows = [_row("OK", "2025-03-01 10:00:00"), _row("OLD", "1900-01-01 00:00:00"),
            _row("FUTURE", "2099-01-01 00:00:00"), _row("CLOSE", "2025-03-02 10:00:00", "", "", "2099-12-31 00:00")]
    data = make_data_dir(tmp_path, rows, header=TIMED)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    assert sorted(calls["call_id"]) == ["CLOSE", "OK"]
    assert snap.manifest["data_as_of"] == "2025-03-02"
    reasons = result.rejected_by_reason["calls"]
    assert reasons["received_at before 1990-01-01 (implausible date)"] == 1
    assert [n for r, n in reasons.items() if r.startswith("received_at after ")] == [1]
    assert [n for r, n in snap.manifest["fixes"].items() if r.startswith("closed_at after ")] == [1]
    # the start is configurable
    monkeypatch.setenv("ATLAS_EARLIEST_CALL", "2025-03-02")
    loaded = load_calls_file(data / "calls.csv")
    assert sorted(loaded.calls["call_id"]) == ["CLOSE"]
    window = TimeWindow.around(datetime(2025, 3, 1, 8, 0), "2000-01-01")
    assert sorted(load_calls_file(data / "calls.csv", window=window).calls["call_id"]) == ["OK"]


# --- 3. impossible intervals ------------------------------------------------------------------

def test_impossible_intervals_are_counted_per_kind_and_left_out_of_the_figures(tmp_path):
    t = "2025-03-01 10:{:02d}:00"
    rows = [_row("GOOD", t.format(0), t.format(5), t.format(15), t.format(45)),
            _row("CLOSED_EARLY", t.format(10), t.format(12), t.format(20), t.format(1)),
            _row("ARRIVED_EARLY", t.format(0), t.format(10), t.format(5), t.format(30)),
            _row("DISPATCHED_EARLY", t.format(30), t.format(20), t.format(40), "")]
    data = make_data_dir(tmp_path, rows, header=TIMED)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    assert snap.manifest["impossible_intervals"] == {
        "dispatched before received (left out of: time to dispatch)": 1,
        "arrived before dispatched (left out of: travel time)": 1,
        "closed before arrived (left out of: time on scene)": 1,
        "closed before received (left out of: time on scene)": 1,
    }
    by_id = calls.set_index("call_id")
    assert np.isnan(by_id.loc["CLOSED_EARLY", "on_scene_min"]) and by_id.loc["CLOSED_EARLY", "travel_min"] == 8
    assert np.isnan(by_id.loc["ARRIVED_EARLY", "travel_min"]) and by_id.loc["ARRIVED_EARLY", "response_min"] == 5
    assert np.isnan(by_id.loc["DISPATCHED_EARLY", "dispatch_min"])
    assert by_id.loc["GOOD", ["dispatch_min", "travel_min", "on_scene_min"]].tolist() == [5, 10, 30]
    # the figures exclude them: ARRIVED_EARLY has no travel time, the other three do
    figures = snap.query("SELECT count(travel_min) AS n, median(travel_min) AS m FROM calls")
    assert figures.values.tolist() == [[3, 10]]
    assert any(m.startswith("impossible intervals, kept but left out of the interval figures: "
                            "dispatched before received") for m in result.messages)


# --- 4. missing required columns --------------------------------------------------------------

def test_a_misspelt_required_column_fails_naming_column_preset_and_closest(tmp_path):
    data = make_data_dir(tmp_path, header="call_id,received_at,incident_code,priority,disposition,"
                                          "address,latitude,lon\n")
    result = run_refresh(data, progress=False)
    assert not result.ok
    assert result.errors == ["calls.csv: missing required column(s) for preset 'canonical': "
                             "lat (looked for lat): did you mean latitude?"]
    export = ("EVENT_NUMBER,CREATE_TIME_INCIDENT,INCIDENT_TYPE_ID,LATITUDE,LONGITUDE_X,DISPOSITION_TXT,NEW_COLUMN\n"
              "CPD2,03/09/2025 02:30:00 PM,DISORD,39.11,-84.51,CLOSED,x\n")
    (tmp_path / "export.csv").write_text(export)
    with pytest.raises(ExtractError, match=r"'cincinnati': lat \(looked for latitude_x\): did you mean LATITUDE\?"):
        load_calls_file(tmp_path / "export.csv")
    # optional columns may be missing or extra; a misspelt one is named in a note
    (tmp_path / "export.csv").write_text(export.replace("LATITUDE,", "LATITUDE_X,"))
    loaded = load_calls_file(tmp_path / "export.csv")
    assert len(loaded.calls) == 1 and loaded.calls["disposition"].isna().all()
    assert loaded.notes == ["export.csv: optional column disposition not found for preset 'cincinnati' "
                            "(looked for disposition_text): did you mean DISPOSITION_TXT? (left empty)"]


# --- 5. over-long values ----------------------------------------------------------------------

def test_over_long_text_is_cut_or_rejected_and_counted(tmp_path):
    long_address = "1XX " + "MAIN ST " * 1000
    huge_id = "X" * 1_000_000
    rows = ["C1,2025-03-01 10:00:00,MHC,2,CLOSED," + long_address + ",39.11,-84.54\n",
            huge_id + ",2025-03-01 11:00:00,MHC,2,CLOSED,3XX VINE ST,39.11,-84.54\n",
            "C3,2025-03-01 12:00:00,MHC,2," + "é" * 1500 + ",3XX VINE ST,39.11,-84.54\n"]
    data = make_data_dir(tmp_path, rows)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    snap, calls = calls_of(data)
    assert calls["call_id"].tolist() == ["C1", "C3"]
    by_id = calls.set_index("call_id")
    assert by_id.loc["C1", "address"] == long_address[:300]
    assert by_id.loc["C3", "disposition"] == "é" * 1000
    assert snap.manifest["fixes"]["address: longer than 300 characters, cut"] == 1
    assert snap.manifest["fixes"]["disposition: longer than 1,000 characters, cut"] == 1
    assert result.rejected_by_reason["calls"] == {"call_id longer than 200 characters": 1}
    value = snap.query("SELECT value FROM rejects")["value"][0]
    assert value == "X" * 200 + "... (1,000,000 characters)"


# --- 6. files that are not text ---------------------------------------------------------------

@pytest.mark.parametrize(("content", "needle"), [
    (PNG, "looks like a PNG image, not CSV text"),
    (b"PK\x03\x04" + bytes(200), "looks like a ZIP archive"),
    (b"call_id,received_at\nC1,\x00\x01\x02", "looks like a binary file (NUL byte at byte 23), not CSV text"),
    ("call_id,received_at\n".encode("utf-16"), "looks like UTF-16 text"),
])
def test_binary_files_are_refused_in_one_line(tmp_path, content, needle):
    (tmp_path / "calls.csv").write_bytes(content)
    with pytest.raises(ExtractError) as caught:
        read_csv_text(tmp_path / "calls.csv")
    assert str(caught.value).startswith("calls.csv: " + needle) and "\n" not in str(caught.value)
    assert describe_binary(Path(__file__)) is None


def test_binary_areas_zones_and_contacts_are_refused_by_name(tmp_path):
    for name in ("areas.geojson", "zones.geojson", "team_contacts.csv"):
        data = make_data_dir(tmp_path / name)
        (data / name).write_bytes(PNG)
        result = run_refresh(data, progress=False)
        assert not result.ok and result.errors[0].startswith(f"{name}: looks like a PNG image, not ")


def _run_cli(data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), str(Path(".").resolve())])}
    return subprocess.run([sys.executable, "-m", "response_atlas", "refresh", "--data", str(data), "--quiet"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_refresh_command_on_a_binary_calls_file_prints_one_line_and_fails(tmp_path):
    data = make_data_dir(tmp_path / "png")
    (data / "calls.csv").write_bytes(PNG)
    done = _run_cli(data)
    assert done.returncode == 1
    errors = [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert errors == ["error: calls.csv: looks like a PNG image, not CSV text"]
    assert "Traceback" not in done.stdout + done.stderr
    # stderr carries the same one line (for logs and timers), nothing else
    assert done.stderr.strip().splitlines() == [
        "refresh error: calls.csv: looks like a PNG image, not CSV text"]
    # rows of the wrong width that are not UTF-8, after 64 kB that are: pyarrow could not hand
    # such a row to the reader's handler (a traceback); now read again as latin-1, and every bad
    # row rejected by number
    data = make_data_dir(tmp_path / "latin")
    good = b"".join(b"C%d,2025-03-01 10:00:00,MHC,39.11,-84.54\n" % i for i in range(3000))
    (data / "calls.csv").write_bytes(b"call_id,received_at,incident_code,lat,lon\n" + good
                                     + b"\xe9\xa2\xff,2025\n" * 50 + b"X1,2025-03-01 10:00:00,CAF\xc9,39.11,-84.54\n")
    done = _run_cli(data)
    assert done.returncode == 0, done.stdout
    assert "Traceback" not in done.stdout + done.stderr and "Exception" not in done.stderr
    assert "calls: read 3,051, accepted 3,001, rejected 50" in done.stdout
    assert "rejected calls: row has 2 field(s), expected 5 (truncated or malformed line): 50" in done.stdout
    assert calls_of(data)[1].set_index("call_id").loc["X1", "incident_code"] == "CAF\u00c9"
    # a file that is not UTF-8 from its start is read as latin-1 at once
    (data / "calls.csv").write_bytes(b"call_id,received_at,incident_code,lat,lon\n\xe9\xa2\xff,2025\n")
    read = read_csv_text(data / "calls.csv")
    assert read.encoding == "latin-1" and read.bad_rows[0][0] == 1
