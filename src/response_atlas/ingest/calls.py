"""Calls extracts: map a file onto the canonical columns, type them, validate with pandera.

Each file becomes a typed frame (``schema.CALL_COLUMNS``; times naive local) plus rejects: rows
whose required values are missing or unparseable, with file, row, column and problem. Optional
times that do not parse are cleared (the call is kept) and counted as fixes. Each time column is
read row by row in every known format (``ingest/times.py``); dates outside the plausible window
and over-long text are handled by ``ingest/call_checks.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from response_atlas.ingest.call_checks import TimeWindow, limit_text_columns, overflow_problem
from response_atlas.ingest.presets import CallPreset, detect_preset
from response_atlas.ingest.readers import CsvRead, ExtractError, read_csv_text
from response_atlas.ingest.times import ISO, US_FORMATS, first_value, looks_us, parse_time_text
from response_atlas.schema import CALL_COLUMNS, CALL_TIME_COLUMNS, REJECT_COLUMNS

TEXT_COLUMNS = tuple(c for c in CALL_COLUMNS if c not in CALL_TIME_COLUMNS and c not in ("lat", "lon"))

# The contract every accepted call meets; failures become counted rejections.
CALLS_SCHEMA = pa.DataFrameSchema(
    {
        "call_id": pa.Column(nullable=False, checks=pa.Check.str_length(min_value=1)),
        "received_at": pa.Column("datetime64[us]", nullable=False),
        "incident_code": pa.Column(nullable=False, checks=pa.Check.str_length(min_value=1)),
        "lat": pa.Column(float, pa.Check.in_range(-90, 90), nullable=True),
        "lon": pa.Column(float, pa.Check.in_range(-180, 180), nullable=True),
        **{c: pa.Column("datetime64[us]", nullable=True) for c in CALL_TIME_COLUMNS[1:]},
    },
    strict=False,
)

_PROBLEMS = {
    "not_nullable": "missing value",
    "str_length(1, None)": "empty value",
    "in_range(-90, 90)": "latitude out of range",
    "in_range(-180, 180)": "longitude out of range",
}


@dataclass
class CallsFile:
    """One calls file, typed and validated."""

    path: Path
    preset: str
    encoding: str
    rows_read: int
    calls: pd.DataFrame
    rejects: list[dict] = field(default_factory=list)
    fixes: dict[str, int] = field(default_factory=dict)
    time_formats: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> format -> n
    notes: list[str] = field(default_factory=list)  # e.g. optional columns that look misspelt


# A rejected value is kept in the rejects table up to this many characters (a 1 MB field
# would otherwise be copied whole into the snapshot).
REJECT_VALUE_CHARS = 200


def reject(kind: str, file: str, row: object, column: str, problem: str, value: object) -> dict:
    """One rejects-table row (all text)."""
    if isinstance(value, str) and len(value) > REJECT_VALUE_CHARS:
        value = f"{value[:REJECT_VALUE_CHARS]}... ({len(value):,} characters)"
    values = (kind, file, row, column, problem, value)
    return {k: "" if v is None or (np.isscalar(v) and pd.isna(v)) or v is pd.NA else str(v)
            for k, v in zip(REJECT_COLUMNS, values, strict=True)}


def parse_times(raw: pd.Series, time_format: str | None = "auto") -> pd.Series:
    """Text to naive local timestamps (microseconds), row by row in every known format
    (``times.parse_time_text``; ``time_format`` first); unreadable values become NaT.

    (ISO 8601 or a US form picked from the first values, as ``presets.pick_time_format`` gives
    them, read every known form: a contacts file may mix them as a calls file may.)
    """
    if time_format is None or time_format in {fmt for _, fmt in US_FORMATS}:
        time_format = "auto"
    text = trim_text(pa_arrow.chunked_array([pa_arrow.array(raw.astype("string"), type=pa_arrow.string(),
                                                            from_pandas=True)]))
    values, _ = parse_time_text(text, time_format)
    return pd.Series(values, index=raw.index)


def synthetic_ids(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """A stable id from a row's content (same row -> same id, in any file or order)."""
    cols = [c for c in ("received_at", "incident_code", "lat", "lon") if c in frame]
    hashed = pd.util.hash_pandas_object(frame[cols].astype("string").fillna(""), index=False)
    return prefix + pd.Series(hashed.to_numpy(), index=frame.index).map("{:016x}".format)


def trim_text(column: pa_arrow.ChunkedArray) -> pa_arrow.ChunkedArray:
    """Surrounding whitespace removed and empty text as null (Arrow, no Python per value).

    Columns that need neither are returned as they are, so clean extracts are not copied.
    Whether a column needs trimming is read off the first and last byte of each value (no
    copy); only a column with a space or a non-ASCII character at an edge is trimmed.
    """
    column = column.cast(pa_arrow.string())
    chunks = column.chunks if isinstance(column, pa_arrow.ChunkedArray) else [column]
    edges = [_edge_bytes(chunk) for chunk in chunks]
    if any(may_trim for may_trim, _ in edges):
        trimmed = pc.utf8_trim_whitespace(column)  # what pandas' str.strip runs on Arrow strings
        if pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(column)).as_py():
            column = trimmed
        del trimmed
        has_empty = pc.any(pc.equal(column, "")).as_py()
    else:
        has_empty = any(empty for _, empty in edges)
    if has_empty:
        column = pc.if_else(pc.equal(column, ""), pa_arrow.scalar(None, pa_arrow.string()), column)
    return column


def _edge_bytes(chunk: pa_arrow.StringArray) -> tuple[bool, bool]:
    """(some value may start or end with whitespace, some value is the empty string).

    Read straight from the Arrow buffers: an edge byte that is a space or control character,
    or any non-ASCII byte (Unicode spaces such as U+00A0), means "may need trimming".
    """
    if len(chunk) == 0:
        return False, False
    _, offsets_buf, data_buf = chunk.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[chunk.offset: chunk.offset + len(chunk) + 1]
    lengths = np.diff(offsets)
    filled = lengths > 0
    empty = bool((~filled & chunk.is_valid().to_numpy(zero_copy_only=False)).any()) \
        if chunk.null_count else bool((~filled).any())
    if data_buf is None or not filled.any():
        return False, empty
    data = np.frombuffer(data_buf, dtype=np.uint8)
    first = data[offsets[:-1][filled]]
    last = data[offsets[1:][filled] - 1]
    edge = ((first <= 32) | (first >= 0x80)).any() or ((last <= 32) | (last >= 0x80)).any()
    return bool(edge), empty


def parse_number_column(raw: pa_arrow.ChunkedArray) -> np.ndarray:
    """Float64 values (NaN where missing or not a number); Arrow first, pandas for odd text."""
    try:
        return pc.cast(raw, pa_arrow.float64()).to_numpy().astype("float64", copy=False)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError):
        series = pd.Series(pd.arrays.ArrowStringArray(raw.cast(pa_arrow.string())))
        return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def _typed_column(raw: pa_arrow.ChunkedArray, time_format: str | None,
                  number: bool = False) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Typed values of a number or time column, the rows that held non-empty text, and (times)
    how many values each format read.

    Clean columns (every value well formed, no surrounding spaces) are typed straight from the
    text; others are trimmed first and parsed value by value (numbers as pandas would, times in
    every known format).
    """
    try:
        if number:
            parsed = pc.cast(raw, pa_arrow.float64())
        elif time_format in (None, "auto") and not looks_us(first_value(raw)):
            parsed = pc.cast(raw, pa_arrow.timestamp("us"))
        else:  # (a failed cast of a US column costs half as much as reading it)
            raise ValueError("strptime formats go through the trimmed path")
        present = raw.is_valid().to_numpy(zero_copy_only=False)
        formats = {} if number or not present.any() else {ISO: int(present.sum())}
        return parsed.to_numpy(), present, formats
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError, ValueError):
        text = trim_text(raw)
        present = text.is_valid().to_numpy(zero_copy_only=False)
    if number:
        return parse_number_column(raw), present, {}
    values, formats = parse_time_text(text, time_format)
    return values, present, formats


def _string_series(column: pa_arrow.ChunkedArray) -> pd.Series:
    """Arrow text as a pandas column without a copy.

    (pandas' own string dtype re-encodes every value with 64-bit offsets, and the snapshot
    writer would encode them back: a quarter of a second per million calls and column.)
    """
    return pd.Series(pd.arrays.ArrowExtensionArray(column), copy=False)


def load_calls_file(path: Path, preset: CallPreset | None = None, *,
                    read: CsvRead | None = None, window: TimeWindow | None = None) -> CallsFile:
    """Read, map, type and validate one calls file; raises ExtractError when unusable.

    ``read``: the file already read with :func:`read_csv_text` (a refresh reads ahead).
    ``window``: the plausible call times (default: the configured start to a day from now).
    """
    read = read if read is not None else read_csv_text(path)
    if read.table.num_rows == 0 and not read.bad_rows:
        raise ExtractError(path, "has a header but no data rows")
    from response_atlas.ingest.presets import PresetError

    try:
        preset = preset or detect_preset(read.header)
        mapping = preset.resolve(read.header)
    except PresetError as exc:
        raise ExtractError(path, str(exc)) from None
    notes = [f"{Path(path).name}: {note}" for note in preset.near_misses(read.header)]
    table = read.table.select(list(mapping.values())).rename_columns(list(mapping))
    n = table.num_rows
    rows = read.row_numbers if read.row_numbers is not None else np.arange(1, n + 1)
    name = Path(path).name
    rejects = [reject("calls", name, r, "", p, t) for r, p, t in read.bad_rows]
    encoding, rows_read = read.encoding, n + len(read.bad_rows)
    del read  # the full text table (all source columns) is no longer needed
    fixes: dict[str, int] = {}

    # Typing runs in Arrow: pandas only wraps the results (no per-value Python objects).
    columns: dict[str, object] = {}
    present: dict[str, np.ndarray] = {}  # column -> rows holding non-empty text
    time_format = preset.time_format
    time_formats: dict[str, dict[str, int]] = {}
    # Columns are independent and Arrow compute releases the GIL: trim and type them in two
    # threads (results are gathered in a fixed order, so nothing depends on timing).
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {}
        for column in (*CALL_TIME_COLUMNS, "lat", "lon"):
            if column in table.column_names:
                jobs[column] = pool.submit(_typed_column, table.column(column),
                                           None if column in ("lat", "lon") else time_format,
                                           column in ("lat", "lon"))
        for column in TEXT_COLUMNS:
            if column in table.column_names:
                jobs[column] = pool.submit(trim_text, table.column(column))
        texts, overflow, cut = limit_text_columns(
            {c: jobs[c].result() for c in TEXT_COLUMNS if c in jobs})
        fixes.update(cut)
        for column in TEXT_COLUMNS:
            if column in texts:
                columns[column] = _string_series(texts[column])
            elif column in preset.defaults:
                columns[column] = pd.Series(preset.defaults[column], index=range(n), dtype="string")
            else:
                columns[column] = pd.Series(pd.NA, index=range(n), dtype="string")
        for column in ("lat", "lon"):
            if column in jobs:
                columns[column], present[column], _ = jobs[column].result()
            else:
                columns[column] = np.full(n, np.nan)
        for column in CALL_TIME_COLUMNS:
            if column in jobs:
                columns[column], present[column], time_formats[column] = jobs[column].result()
            else:
                columns[column] = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    # The file name as a one-label category: a text column of millions of copies of one
    # name cost 0.2 s at 5 million calls (and its Parquet encoding hashed every copy).
    columns["source_row"] = rows[:n]
    columns["source_file"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [name])
    typed = pd.DataFrame({c: columns[c] for c in (*CALL_COLUMNS, "source_row", "source_file")},
                         index=pd.RangeIndex(n), copy=False)
    if preset.synthetic_id:
        typed["call_id"] = synthetic_ids(typed, f"{preset.name.upper()}-").astype("string")

    bad_index = _validate(typed, table, name, rejects)
    window = window or TimeWindow.around()
    late = _late_rejects(typed, table, bad_index, window, overflow, name, rejects)
    bad_index = bad_index.append(late) if len(late) else bad_index
    # Optional times that did not parse are cleared, not fatal: count them.
    for column in CALL_TIME_COLUMNS[1:]:
        if column in present:
            lost = int((np.isnat(typed[column].to_numpy()) & present[column]).sum())
            if lost:
                fixes[f"{column}: unparseable time cleared"] = lost
    _clear_outside_window(typed, window, fixes)  # (after the count above: not counted twice)
    for column in ("lat", "lon"):
        if column in present:
            lost = int((np.isnan(typed[column].to_numpy()) & present[column]).sum())
            if lost:
                fixes[f"{column}: not a number, location cleared"] = lost
    accepted = typed.drop(index=bad_index) if len(bad_index) else typed
    return CallsFile(Path(path), preset.name, encoding, rows_read,
                     accepted.reset_index(drop=True), rejects, fixes, time_formats, notes)


def _late_rejects(typed: pd.DataFrame, raw: pa_arrow.Table, bad_index: pd.Index, window: TimeWindow,
                  overflow: dict[str, np.ndarray], name: str, rejects: list[dict]) -> pd.Index:
    """Rows the schema passed but that are still rejected: received outside ``window``, or an
    identifier over its length limit (``overflow``). One reject each; their index is returned."""
    flagged: dict[int, tuple[str, str]] = {}
    early, late = window.outside(typed["received_at"].to_numpy())
    too_early, too_late = window.problems("received_at")
    for mask, problem in ((early, too_early), (late, too_late)):
        for position in np.flatnonzero(mask).tolist():
            flagged.setdefault(position, ("received_at", problem))
    for column, rows in overflow.items():
        for position in np.flatnonzero(rows).tolist():
            flagged.setdefault(position, (column, overflow_problem(column)))
    if not flagged:
        return pd.Index([])
    already = set(bad_index.tolist())
    out = []
    for position in sorted(set(flagged) - already):
        column, problem = flagged[position]
        value = raw.column(column)[position].as_py() if column in raw.column_names else None
        if column == "received_at" and value is None:
            value = str(typed["received_at"].iloc[position])
        rejects.append(reject("calls", name, typed["source_row"].iloc[position], column, problem, value))
        out.append(typed.index[position])
    return pd.Index(out)


def _clear_outside_window(typed: pd.DataFrame, window: TimeWindow, fixes: dict[str, int]) -> None:
    """Optional times outside ``window`` cleared in place and counted (the call is kept)."""
    for column in CALL_TIME_COLUMNS[1:]:
        early, late = window.outside(typed[column].to_numpy())
        outside = early | late
        if not outside.any():
            continue
        for mask, problem in zip((early, late), window.problems(column), strict=True):
            if mask.any():
                fixes[f"{problem}: cleared"] = int(mask.sum())
        typed[column] = np.where(outside, np.datetime64("NaT"), typed[column].to_numpy())


def load_validation_backend() -> None:
    """Import pandera's pandas backend now; it otherwise loads on the first validation (about
    0.15 s), where a refresh can load it while its first file is still being read."""
    CALLS_SCHEMA.get_backend(check_type=pd.DataFrame)


def _rows_to_validate(frame: pd.DataFrame, head: int = 1000) -> np.ndarray:
    """Positions pandera must see: every row an Arrow pre-check flags, plus the first ``head``.

    The pre-check is looser than the schema (it flags every row any row-level check could fail),
    so pandera still decides every rejection while skipping the rows that cannot fail; the
    column-level checks (dtypes) see the same columns either way.
    """
    n = len(frame)
    flagged = np.zeros(n, dtype=bool)
    flagged[: min(head, n)] = True
    for column in ("call_id", "incident_code"):
        if column in frame:
            text = pa_arrow.array(frame[column], type=pa_arrow.string(), from_pandas=True)
            # (byte length: read off the offsets, where counting characters would decode UTF-8)
            flagged |= pc.fill_null(pc.less(pc.binary_length(text), 1), True).to_numpy(zero_copy_only=False)
    if "received_at" in frame:
        flagged |= np.isnat(frame["received_at"].to_numpy(dtype="datetime64[us]"))
    for column, bound in (("lat", 90), ("lon", 180)):
        if column in frame:
            values = frame[column].to_numpy(dtype="float64")
            flagged |= ~np.isnan(values) & ~((values >= -bound) & (values <= bound))
    return np.flatnonzero(flagged)


def _validate(typed: pd.DataFrame, raw: pa_arrow.Table, name: str, rejects: list[dict]) -> pd.Index:
    """Run the pandera contract; append one reject per failing row and return their index.

    ``raw``: the source text (canonical names), for the rejected values.
    """
    checked = typed[[c for c in CALLS_SCHEMA.columns if c in typed]]
    try:
        CALLS_SCHEMA.validate(checked.iloc[_rows_to_validate(checked)], lazy=True)
        return pd.Index([])
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()].drop_duplicates("index")
    out = []
    for column, check, index in cases[["column", "check", "index"]].itertuples(index=False):
        index = int(index)
        value = raw.column(column)[index].as_py() if column in raw.column_names else None
        problem = _PROBLEMS.get(str(check), str(check))
        if column in CALL_TIME_COLUMNS and value is not None and not pd.isna(value) and str(value).strip():
            problem = "unparseable timestamp"
        rejects.append(reject("calls", name, typed["source_row"].iloc[index], column, problem, value))
        out.append(typed.index[index])
    return pd.Index(out)


def arrow_text(values: pd.Series) -> pa_arrow.Array:
    """A pyarrow string array from a pandas text column (nulls kept)."""
    return pa_arrow.array(values.astype("string"), type=pa_arrow.string(), from_pandas=True)
