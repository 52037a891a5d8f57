"""Calls extracts: map a file onto the canonical columns, type them, validate with pandera.

Each file becomes a typed frame (``schema.CALL_COLUMNS``; times naive local) plus rejects: rows
whose required values are missing or unparseable, with file, row, column and problem. Optional
times that do not parse are cleared (the call is kept) and counted as fixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from response_atlas.config import TIMEZONE
from response_atlas.ingest.presets import CallPreset, detect_preset, pick_time_format
from response_atlas.ingest.readers import ExtractError, read_csv_text, table_to_frame
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


def reject(kind: str, file: str, row: object, column: str, problem: str, value: object) -> dict:
    """One rejects-table row (all text)."""
    values = (kind, file, row, column, problem, value)
    return {k: "" if v is None or (np.isscalar(v) and pd.isna(v)) or v is pd.NA else str(v)
            for k, v in zip(REJECT_COLUMNS, values, strict=True)}


def parse_times(raw: pd.Series, time_format: str | None) -> pd.Series:
    """Text to naive local timestamps (microseconds); unparseable values become NaT.

    Values with a UTC offset are converted to America/New_York wall time first.
    """
    text = raw.astype("string").str.strip()
    if time_format is None:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(text, format=time_format, errors="coerce")
    return parsed.astype("datetime64[us]")


def synthetic_ids(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """A stable id from a row's content (same row -> same id, in any file or order)."""
    cols = [c for c in ("received_at", "incident_code", "lat", "lon") if c in frame]
    hashed = pd.util.hash_pandas_object(frame[cols].astype("string").fillna(""), index=False)
    return prefix + pd.Series(hashed.to_numpy(), index=frame.index).map("{:016x}".format)


def load_calls_file(path: Path, preset: CallPreset | None = None) -> CallsFile:
    """Read, map, type and validate one calls file; raises ExtractError when unusable."""
    read = read_csv_text(path)
    if read.table.num_rows == 0 and not read.bad_rows:
        raise ExtractError(path, "has a header but no data rows")
    from response_atlas.ingest.presets import PresetError

    try:
        preset = preset or detect_preset(read.header)
        mapping = preset.resolve(read.header)
    except PresetError as exc:
        raise ExtractError(path, str(exc)) from None
    table = read.table.select(list(mapping.values())).rename_columns(list(mapping))
    raw = table_to_frame(table)
    rows = read.row_numbers if read.row_numbers is not None else np.arange(1, len(raw) + 1)
    name = Path(path).name
    rejects = [reject("calls", name, r, "", p, t) for r, p, t in read.bad_rows]
    fixes: dict[str, int] = {}

    typed = pd.DataFrame(index=raw.index)
    for column in TEXT_COLUMNS:
        if column in raw:
            typed[column] = raw[column].str.strip().replace("", pd.NA)
        elif column in preset.defaults:
            typed[column] = pd.Series(preset.defaults[column], index=raw.index, dtype="string")
        else:
            typed[column] = pd.Series(pd.NA, index=raw.index, dtype="string")
    for column in ("lat", "lon"):
        typed[column] = (pd.to_numeric(raw[column], errors="coerce").astype("float64")
                         if column in raw else np.nan)
    sample = raw["received_at"].dropna().head(50)
    time_format = pick_time_format(sample, preset.time_format)
    for column in CALL_TIME_COLUMNS:
        if column in raw:
            typed[column] = parse_times(raw[column], time_format)
        else:
            typed[column] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    if preset.synthetic_id:
        typed["call_id"] = synthetic_ids(typed, f"{preset.name.upper()}-").astype("string")
    typed["source_row"] = rows[: len(typed)]

    bad_index = _validate(typed, raw, name, rejects)
    # Optional times that did not parse are cleared, not fatal: count them.
    for column in CALL_TIME_COLUMNS[1:]:
        if column in raw:
            lost = int((typed[column].isna() & raw[column].str.strip().fillna("").ne("")).sum())
            if lost:
                fixes[f"{column}: unparseable time cleared"] = lost
    for column in ("lat", "lon"):
        if column in raw:
            lost = int((typed[column].isna() & raw[column].str.strip().fillna("").ne("")).sum())
            if lost:
                fixes[f"{column}: not a number, location cleared"] = lost
    accepted = typed.drop(index=bad_index) if len(bad_index) else typed
    accepted = accepted.assign(source_file=name)
    return CallsFile(Path(path), preset.name, read.encoding, len(raw) + len(read.bad_rows),
                     accepted.reset_index(drop=True), rejects, fixes)


def _validate(typed: pd.DataFrame, raw: pd.DataFrame, name: str, rejects: list[dict]) -> pd.Index:
    """Run the pandera contract; append one reject per failing row and return their index."""
    try:
        CALLS_SCHEMA.validate(typed, lazy=True)
        return pd.Index([])
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()].drop_duplicates("index")
    out = []
    for column, check, index in cases[["column", "check", "index"]].itertuples(index=False):
        index = int(index)
        value = raw[column].iloc[index] if column in raw else None
        problem = _PROBLEMS.get(str(check), str(check))
        if column in CALL_TIME_COLUMNS and value is not None and not pd.isna(value) and str(value).strip():
            problem = "unparseable timestamp"
        rejects.append(reject("calls", name, typed["source_row"].iloc[index], column, problem, value))
        out.append(typed.index[index])
    return pd.Index(out)


def arrow_text(values: pd.Series) -> pa_arrow.Array:
    """A pyarrow string array from a pandas text column (nulls kept)."""
    return pa_arrow.array(values.astype("string"), type=pa_arrow.string(), from_pandas=True)
