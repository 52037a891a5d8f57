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


def test_refresh_keeps_label_columns_dictionary_encoded(tmp_path):
    """Triage, area and zone columns are written as Parquet dictionaries (small, fast to scan)."""
    import pyarrow.parquet as pq

    from tests.unit.test_ingest_refresh import refresh_with_one_zone

    _, result = refresh_with_one_zone(tmp_path / "d")
    (part,) = snapshot_table_files(result.snapshot_dir, "calls")
    group = pq.ParquetFile(part).metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings
                 for i in range(group.num_columns)}
    for column in ("category", "tier", "rule_id", "incident_base", "area", "location_status",
                   "h3_fine", "zone_ids.list.element"):
        assert "RLE_DICTIONARY" in encodings[column], column
