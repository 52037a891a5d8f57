"""The CSV reader's fast path (one record per line) and its quote-aware fallback give the same table."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from response_atlas.ingest import readers
from response_atlas.ingest.calls import trim_text
from response_atlas.ingest.readers import count_lines, read_csv_text


def _records(n: int, every: int) -> list[tuple[str, str]]:
    """Rows whose second value spans two lines every ``every`` rows (with a comma after the break,
    so the broken-off half has the right number of fields)."""
    return [(str(i), f"x\nfoo{i},bar" if i % every == 0 else f"z{i}") for i in range(n)]


def _write(path, rows, newline="\n") -> None:
    body = "a,b" + newline + "".join(f'{a},"{b}"{newline}' for a, b in rows)
    path.write_bytes(body.encode())


@pytest.mark.parametrize("block_size", [64, 97, 128, 333, 1000, 4096])
def test_values_spanning_lines_are_read_whole_whatever_the_block_size(tmp_path, monkeypatch, block_size):
    original = readers.pacsv.ReadOptions
    monkeypatch.setattr(readers.pacsv, "ReadOptions",
                        lambda **kw: original(**{**kw, "block_size": block_size}))
    rows = _records(300, every=5)
    _write(tmp_path / "c.csv", rows)
    read = read_csv_text(tmp_path / "c.csv")
    assert read.table.column("b").to_pylist() == [b for _, b in rows]
    assert read.bad_rows == []


def test_one_record_per_line_takes_the_fast_read_and_counts_lines(tmp_path, monkeypatch):
    rows = [(str(i), f"v{i}") for i in range(50)]
    _write(tmp_path / "c.csv", rows, newline="\r\n")
    assert count_lines(tmp_path / "c.csv") == 51
    quote_aware = []
    original = readers._read_text_table

    def spy(path, header, encoding, quoted_newlines, bad):
        quote_aware.append(quoted_newlines)
        return original(path, header, encoding, quoted_newlines, bad)

    monkeypatch.setattr(readers, "_read_text_table", spy)
    read = read_csv_text(tmp_path / "c.csv")
    assert read.table.column("b").to_pylist() == [b for _, b in rows]
    assert quote_aware == [False]
    # A value spanning lines: the fast read's record count falls short, so it is read again.
    _write(tmp_path / "d.csv", rows + [("x", "two\nlines")])
    quote_aware.clear()
    assert read_csv_text(tmp_path / "d.csv").table.column("b").to_pylist()[-1] == "two\nlines"
    assert quote_aware == [False, True]


def test_no_final_newline_and_blank_lines(tmp_path):
    (tmp_path / "c.csv").write_bytes(b"a,b\n1,2\n\n3,4")
    assert count_lines(tmp_path / "c.csv") == 4
    assert read_csv_text(tmp_path / "c.csv").table.column("a").to_pylist() == ["1", "3"]


def test_count_lines_across_read_blocks_hashes_the_whole_file(tmp_path):
    # 9 MB: the count and the hash go over three 4 MB blocks, a line broken between two
    data = b"".join(b"%07d,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" % i for i in range(240_000)) + b"end"
    (tmp_path / "big.csv").write_bytes(data)
    digest = hashlib.sha256()
    assert count_lines(tmp_path / "big.csv", digest) == 240_001 == data.count(b"\n") + 1
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty.csv").write_bytes(b"")
    assert count_lines(tmp_path / "empty.csv") == 0


@pytest.mark.parametrize("values", [
    [" a", "b ", "c", None, ""], ["x", "y", None], ["Caf\u00e9", "\u00a0z"], ["", "a"],
    [None, None], [], ["a\t"], ["ok", "fine"], ["\u2003wide space\u2003"],
])
def test_trim_text_matches_arrow_trim_and_empty_to_null(values):
    column = pa.chunked_array([pa.array(values, type=pa.string())])
    trimmed = pc.utf8_trim_whitespace(column)
    expected = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    assert trim_text(column).to_pylist() == expected.to_pylist()


def test_trim_text_on_a_sliced_chunk():
    chunk = pa.array([" q", "w", "e ", "r"]).slice(1, 2)
    assert trim_text(pa.chunked_array([chunk])).to_pylist() == ["w", "e"]
