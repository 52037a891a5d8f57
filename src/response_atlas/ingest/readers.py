"""Read extract files into plain tables, with clear errors for files that cannot be read.

CSV files are read with pyarrow (multi-threaded, much faster than pandas), every column as text:
typing and validation happen afterwards so a bad value rejects one row, not the file. UTF-8 (with
or without a BOM) is tried first and latin-1 second. Rows with the wrong number of fields (a
truncated last line, a stray delimiter) are returned as bad rows, not dropped silently.

Before any parsing, the start of every extract is looked at (:func:`describe_binary`): a ZIP,
an image, a spreadsheet or any file with NUL or control bytes is refused in one line that names
the file and what it looks like, instead of failing deep inside a parser.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:  # geopandas, pandas and shapely load on first use: a refresh starts reading sooner
    import geopandas as gpd
    import pandas as pd


class ExtractError(ValueError):
    """An extract file that cannot be used at all (empty, not CSV/JSON, wrong columns)."""

    def __init__(self, file: Path | str, problem: str):
        self.file = str(file)
        self.problem = problem
        super().__init__(f"{Path(file).name}: {problem}")


@dataclass
class CsvRead:
    """A CSV read as text columns, plus the rows that could not be split into fields."""

    table: pa.Table
    encoding: str
    bad_rows: list[tuple[int | None, str, str]] = field(default_factory=list)  # row, problem, text
    row_numbers: np.ndarray | None = None  # 1-based data row of each table row (header is 0)

    @property
    def header(self) -> list[str]:
        return list(self.table.column_names)


# Leading bytes of files often saved under a data file's name by mistake.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook or a zipped download?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls / Office document"),
    (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)
_SNIFF_BYTES = 64 << 10
# Control bytes that never appear in text (tab, newlines and form feed do)
_CONTROL = np.array([b for b in range(32) if b not in (9, 10, 12, 13)], dtype=np.uint8)


def describe_binary(path: Path, expected: str = "CSV text") -> str | None:
    """Why ``path`` is not a text file, in a few words, or None when its start looks like text.

    E.g. "looks like a PNG image, not CSV text". UTF-16 (a byte-order mark, or NUL bytes in
    every other place) is named as such: it is text, but not in an encoding the reader takes.
    """
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"looks like {what}, not {expected}"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 4 and head[1::2].count(0) > len(head) // 4):
        return f"looks like UTF-16 text, not {expected} in UTF-8 or latin-1: save it as UTF-8"
    data = np.frombuffer(head, dtype=np.uint8)
    nul = np.flatnonzero(data == 0)
    if len(nul):
        return f"looks like a binary file (NUL byte at byte {int(nul[0]):,}), not {expected}"
    control = np.flatnonzero(np.isin(data, _CONTROL))
    if len(control) > max(2, len(data) // 1000):
        return (f"looks like a binary file ({len(control):,} control bytes in the first "
                f"{len(data):,}, the first at byte {int(control[0]):,}), not {expected}")
    return None


def refuse_binary(path: Path, expected: str = "CSV text") -> None:
    """Raise :class:`ExtractError` when ``path`` is not a text file (:func:`describe_binary`)."""
    what = describe_binary(path, expected)
    if what:
        raise ExtractError(path, what)


def read_header(path: Path) -> list[str]:
    """The column names of a CSV file (first line), BOM and surrounding spaces stripped."""
    with open(path, "rb") as handle:
        first = handle.readline()
    if not first.strip():
        raise ExtractError(path, "the file is empty (no header line)")
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    read = pacsv.read_csv(pa.py_buffer(text.encode() + b"\n"),
                          read_options=pacsv.ReadOptions(autogenerate_column_names=True))
    return [str(read.column(i)[0]).strip() for i in range(read.num_columns)]


def count_lines(path: Path, digest: hashlib._Hash | None = None) -> int:
    """Lines in a file: newline characters, plus one when the last line has none.

    ``digest``: a hashlib object fed every block on the way (hash and count in one pass).
    """
    # One reused buffer, newlines counted by numpy: bytes.count held the GIL for most of a
    # second per gigabyte (this runs beside the refresh's main thread), numpy a fifth of that.
    lines, last = 0, ord("\n")
    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            block = view[:size]
            if digest is not None:
                digest.update(block)
            lines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")))
            last = buffer[size - 1]
    return lines + (last != ord("\n"))


def read_csv_text(path: Path, line_count: Callable[[], int] | None = None) -> CsvRead:
    """Read ``path`` with every column as text; raises :class:`ExtractError` when unusable.

    ``line_count``: gives the file's :func:`count_lines` (a refresh counts while it hashes).
    The file is first read the fast way, which splits blocks at any newline: right for every
    file whose records are one line each. A file with line breaks inside quoted values either
    fails that read or yields fewer records than lines, and is then read again quote-aware
    (several times slower on two cores, so only when needed).
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise ExtractError(path, "the file is empty")
    refuse_binary(path)
    header = read_header(path)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise ExtractError(path, f"repeated column name(s) in the header: {', '.join(dupes)}")
    line_count = line_count or (lambda: count_lines(path))
    # (a file whose start is not UTF-8 is read as latin-1 at once: pyarrow cannot report a
    # malformed row that is not UTF-8 in a UTF-8 read)
    for encoding in ("utf8", "latin-1") if _starts_as_utf8(path) else ("latin-1",):
        for quoted_newlines in (False, True):
            bad: list[tuple[int | None, str, str]] = []
            try:
                table = _read_text_table(path, header, encoding, quoted_newlines, bad)
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                if encoding == "utf8" and ("UTF8" in str(exc).upper() or not _is_utf8(path)):
                    break  # not UTF-8: try latin-1
                if isinstance(exc, UnicodeDecodeError):
                    raise ExtractError(path, "is not text in a known encoding (UTF-8 or latin-1)") from None
                if not quoted_newlines and "out of sync with chunker" in str(exc):
                    continue  # a quoted value spans lines: read again quote-aware
                raise ExtractError(path, f"cannot be read as CSV ({_first_line(exc)})") from None
            if not quoted_newlines and 1 + table.num_rows + len(bad) != line_count():
                continue  # some record spans lines (or blank lines): read again quote-aware
            # pyarrow keeps surrounding spaces in header names; match the stripped header.
            table = table.rename_columns([c.strip().lstrip("\ufeff") for c in table.column_names])
            name = "utf-8-sig" if encoding == "utf8" else "latin-1"
            rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
            if bad:
                bad, rows = _locate_bad_rows(path, name, len(header))
            return CsvRead(table, "utf-8" if encoding == "utf8" else "latin-1", bad, rows)
    raise ExtractError(path, "cannot be decoded")  # pragma: no cover - latin-1 decodes any byte


def _read_text_table(path: Path, header: list[str], encoding: str, quoted_newlines: bool,
                     bad: list[tuple[int | None, str, str]]) -> pa.Table:
    """One pyarrow read of ``path`` as text columns; malformed rows are appended to ``bad``."""

    def on_invalid(row: pacsv.InvalidRow) -> str:
        problem = (f"row has {row.actual_columns} field(s), expected {row.expected_columns}"
                   " (truncated or malformed line)")
        try:
            text = row.text[:200]
        except UnicodeDecodeError:  # (pyarrow decodes the row as UTF-8 whatever the encoding)
            text = "(not UTF-8 text)"
        bad.append((row.number, problem, text))
        return "skip"

    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=quoted_newlines,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _starts_as_utf8(path: Path) -> bool:
    """Whether the first 64 kB of ``path`` are UTF-8 (a character cut at the end allowed)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and len(head) == _SNIFF_BYTES
    return True


def _is_utf8(path: Path) -> bool:
    """Whether the whole of ``path`` is UTF-8 (only asked after a UTF-8 read failed)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(4 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _quiet_invalid_row_decoding(unraisable) -> None:
    """``sys.unraisablehook`` that drops the one error pyarrow cannot hand back: decoding a
    malformed, non-UTF-8 row for :func:`_read_text_table`'s handler (the read then fails and is
    retried as latin-1). Everything else goes to the previous hook."""
    if isinstance(unraisable.exc_value, UnicodeDecodeError) and \
            getattr(unraisable.object, "__qualname__", "").endswith("on_invalid"):
        return
    _PREVIOUS_HOOK(unraisable)


_PREVIOUS_HOOK = sys.unraisablehook
sys.unraisablehook = _quiet_invalid_row_decoding


def _first_line(exc: Exception) -> str:
    """An exception's message on one line (pyarrow's run over several)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _locate_bad_rows(path: Path, encoding: str, width: int):
    """Exact data-row numbers of malformed rows (rare: only run when pyarrow reported some)."""
    bad, good = [], []
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, fields in enumerate(reader, start=1):
            if len(fields) == width:
                good.append(number)
            elif fields:
                problem = (f"row has {len(fields)} field(s), expected {width}"
                           " (truncated or malformed line)")
                bad.append((number, problem, ",".join(fields)[:200]))
    return bad, np.asarray(good, dtype=np.int64)


def read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON file as EPSG:4326; raises :class:`ExtractError` when it is not GeoJSON."""
    import geopandas as gpd

    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise ExtractError(path, "the file is empty")
    refuse_binary(path, "GeoJSON text")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExtractError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ExtractError(path, "is not a GeoJSON FeatureCollection")
    features = data.get("features") or []
    if not features:
        raise ExtractError(path, "has no features")
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    except Exception as exc:  # shapely/geopandas raise several types for bad geometry
        raise ExtractError(path, f"has unreadable geometry ({exc})") from None
    return frame


def repair_geometries(frame: gpd.GeoDataFrame, label_column: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid polygons with ``make_valid`` (keeping polygon parts); return messages."""
    import shapely

    invalid = ~frame.geometry.is_valid & frame.geometry.notna()
    messages = []
    if invalid.any():
        frame = frame.copy()
        for idx in frame.index[invalid]:
            reason = shapely.is_valid_reason(frame.geometry.loc[idx])
            fixed = shapely.make_valid(frame.geometry.loc[idx])
            # make_valid may return a collection with stray lines; keep only polygon parts.
            parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
            frame.loc[idx, "geometry"] = shapely.union_all(parts) if parts else fixed
            messages.append(f"{frame.loc[idx, label_column]!s}: invalid geometry repaired ({reason})")
    return frame, messages


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """A pandas frame of text columns from an Arrow table (pyarrow-backed strings, no copies)."""
    import pandas as pd

    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
