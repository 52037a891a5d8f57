"""Snapshot layout: the calls table as Parquet parts, and snapshots from before parts existed."""

from __future__ import annotations

import os

import duckdb
import pandas as pd
import pyarrow as pa

from response_atlas.ingest.snapshot_writer import write_arrow_parts
from response_atlas.schema import parquet_scan_sql, snapshot_table_files


def test_calls_are_written_in_parts_that_read_back_in_order(tmp_path):
    table = pa.table({"call_id": [f"C{i}" for i in range(10)], "n": list(range(10))})
    written = write_arrow_parts(table, tmp_path / "snap" / "calls", rows_per_part=3)
    expected_parts = min(os.cpu_count() or 1, 4)
    assert len(written) == expected_parts
    files = snapshot_table_files(tmp_path / "snap", "calls")
    assert files == written
    con = duckdb.connect()
    got = con.execute(f"SELECT n FROM {parquet_scan_sql(files)}").fetchall()
    assert [r[0] for r in got] == list(range(10))


def test_a_snapshot_with_one_calls_file_is_still_read(tmp_path):
    pd.DataFrame({"call_id": ["A"]}).to_parquet(tmp_path / "calls.parquet")
    assert snapshot_table_files(tmp_path, "calls") == [tmp_path / "calls.parquet"]
    assert snapshot_table_files(tmp_path / "missing", "calls") == []
