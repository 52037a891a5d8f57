"""Snapshot layout: the calls table as Parquet parts, and snapshots from before parts existed."""

from __future__ import annotations

import os

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from response_atlas.ingest.enrich import chunk_slices
from response_atlas.ingest.snapshot_writer import (
    list_snapshots,
    write_arrow_parts,
    write_part_stream,
    write_snapshot,
)
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


def test_chunk_slices_cover_every_row_once_in_order():
    assert chunk_slices(10, 4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert chunk_slices(10, 100, min_chunks=2) == [slice(0, 5), slice(5, 10)]
    assert chunk_slices(1, 100, min_chunks=2) == [slice(0, 1)]  # never an empty chunk
    assert chunk_slices(0, 4) == [slice(0, 0)]
    for rows, size, least in ((7, 3, 1), (1_000_001, 250_000, 2), (5, 1, 8)):
        slices = chunk_slices(rows, size, least)
        assert [s.start for s in slices[1:]] == [s.stop for s in slices[:-1]]
        assert slices[0].start == 0 and slices[-1].stop == rows
        assert all(0 < s.stop - s.start <= size for s in slices)


def test_a_stream_of_tables_is_written_as_parts_in_order(tmp_path):
    asked = []

    def tables():
        for i in range(5):
            asked.append(i)
            yield pa.table({"n": [2 * i, 2 * i + 1]})

    written = write_part_stream(tables(), tmp_path / "calls", ahead=2)
    assert [p.name for p in written] == [f"part-{i}.parquet" for i in range(5)]
    assert snapshot_table_files(tmp_path, "calls") == written
    got = duckdb.connect().execute(f"SELECT n FROM {parquet_scan_sql(written)}").fetchall()
    assert [r[0] for r in got] == list(range(10))
    assert asked == list(range(5))


def test_a_failing_stream_leaves_no_snapshot_and_the_manifest_waits_for_it(tmp_path):
    def tables():
        yield pa.table({"call_id": ["A"]})
        raise RuntimeError("enrichment failed")

    manifest_asked = []
    with pytest.raises(RuntimeError, match="enrichment failed"):
        write_snapshot(tmp_path, {"calls": tables()}, lambda: manifest_asked.append(1) or {})
    assert manifest_asked == [] and list_snapshots(tmp_path) == []
    assert not any(p.name.startswith(".staging") for p in tmp_path.iterdir())
    made = write_snapshot(tmp_path, {"calls": iter([pa.table({"call_id": ["A"]})])},
                          lambda: {"counts": {"calls": 1}})
    assert list_snapshots(tmp_path) == [made]
    assert (made / "manifest.json").read_text().count('"calls": 1') == 1


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
