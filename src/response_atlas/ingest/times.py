"""Time columns read row by row: every value in the first format that reads it.

Publishers mix forms, even within one column (an export appended to an API download): ISO 8601
with ``T`` or a space, with or without fractions of a second, with a UTC offset or ``Z``, and the
portal's ``MM/DD/YYYY hh:mm[:ss] AM``. Each column is parsed on its own: the whole column in the
format its first value suggests, then only the rows still unread in the next format, and so on
(every pass vectorised, in Arrow or pandas). A value no format reads stays empty (NaT) and the
caller decides what that means (a rejected call, a cleared optional time). Which formats were
found, and how many values each read, is returned per column for the refresh report.

Values with an offset are converted to America/New_York wall time; values without one are taken
as local wall time already.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from response_atlas.config import TIMEZONE

ISO = "ISO 8601"
ISO_OFFSET = "ISO 8601 with UTC offset"
# (label, strptime format) of the US forms, 12-hour ones first
US_FORMATS = (
    ("MM/DD/YYYY hh:mm:ss AM", "%m/%d/%Y %I:%M:%S %p"),
    ("MM/DD/YYYY hh:mm AM", "%m/%d/%Y %I:%M %p"),
    ("MM/DD/YYYY HH:MM:SS", "%m/%d/%Y %H:%M:%S"),
    ("MM/DD/YYYY HH:MM", "%m/%d/%Y %H:%M"),
)
_OFFSET = r"(Z|[+-]\d\d(:?\d\d)?)$"  # a trailing UTC offset (ISO 8601)
_ISO_DATE_TIME = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?)?"
_ISO_SHAPE = _ISO_DATE_TIME + "$"  # what Arrow's cast reads (date, minutes, seconds, fraction)
_ISO_OFFSET = _ISO_DATE_TIME + r"\s?" + _OFFSET


@dataclass(frozen=True)
class TimeFormat:
    """One way of reading times: a label for the report and a parser of Arrow text."""

    label: str
    parse: Callable[[pa.Array], np.ndarray]  # text -> datetime64[us], NaT where it does not fit


def _strptime(time_format: str) -> Callable[[pa.Array], np.ndarray]:
    def parse(text: pa.Array) -> np.ndarray:
        parsed = pc.strptime(text, format=time_format, unit="us", error_is_null=True)
        return _numpy(parsed)
    return parse


def _numpy(parsed: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def _series(text: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(text.cast(pa.string())))


def _nat(n: int) -> np.ndarray:
    return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")


def _matching(text: pa.Array, pattern: str) -> np.ndarray:
    """Positions of the values matching ``pattern`` (RE2, in Arrow)."""
    found = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    return np.flatnonzero(found.to_numpy(zero_copy_only=False))


def _pandas_iso(text: pa.Array, utc: bool = False) -> np.ndarray:
    """pandas' ISO 8601 reader (every variant; ``utc``: offsets converted to local time)."""
    try:
        parsed = pd.to_datetime(_series(text), format="ISO8601", errors="coerce", utc=utc)
    except ValueError:  # an odd value pandas takes for a zone: value by value (rare)
        return np.array([_one_iso(v, utc) for v in text.to_pylist()], dtype="datetime64[us]")
    if utc:
        parsed = parsed.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    elif getattr(parsed.dt, "tz", None) is not None:
        return _nat(len(text))
    return parsed.to_numpy().astype("datetime64[us]")


def _one_iso(value: str | None, utc: bool) -> np.datetime64:
    try:
        stamp = pd.to_datetime(value, format="ISO8601", utc=utc)
    except (ValueError, TypeError):
        return np.datetime64("NaT")
    if stamp is pd.NaT or (stamp.tzinfo is not None and not utc):
        return np.datetime64("NaT")
    if utc:
        stamp = stamp.tz_convert(TIMEZONE).tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "us")


def _parse_shaped(text: pa.Array, pattern: str, parse: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``parse`` on the values matching ``pattern`` only; the others NaT."""
    out = _nat(len(text))
    rows = _matching(text, pattern)
    if len(rows):
        out[rows] = parse(text if len(rows) == len(text) else text.take(pa.array(rows)))
    return out


def _arrow_iso(text: pa.Array) -> np.ndarray:
    """Arrow's ISO 8601 cast (fast; fails on the whole array for one bad value: then pandas)."""
    try:
        return _numpy(pc.cast(text, pa.timestamp("us")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _pandas_iso(text)  # e.g. an impossible date (2025-02-30) among them


def parse_iso_naive(text: pa.Array) -> np.ndarray:
    """ISO 8601 values without an offset (``T`` or space, fractions); others NaT."""
    try:
        return _numpy(pc.cast(text, pa.timestamp("us")))  # every value fits: Arrow alone
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _parse_shaped(text, _ISO_SHAPE, _arrow_iso)


def parse_iso_offset(text: pa.Array) -> np.ndarray:
    """ISO 8601 values with a UTC offset or ``Z``, as local wall time; others NaT."""
    return _parse_shaped(text, _ISO_OFFSET, lambda aware: _pandas_iso(aware, utc=True))


def parse_iso_other(text: pa.Array) -> np.ndarray:
    """Any other ISO 8601 form pandas reads (basic ``20250301T1000``, ...), without offset:
    the last pass, on the few values no other format read."""
    out = _nat(len(text))
    naive = np.setdiff1d(np.arange(len(text)), _matching(text, _OFFSET))
    if len(naive):
        out[naive] = _pandas_iso(text.take(pa.array(naive)))
    return out


def formats_in_order(first_value: str | None, time_format: str | None = "auto") -> list[TimeFormat]:
    """The formats to try, the one ``first_value`` looks like first.

    ``time_format``: a preset's setting: ``"auto"`` (every known form), ``None`` (ISO 8601
    only) or a strptime format (that one first, then ISO 8601).
    """
    iso = [TimeFormat(ISO, parse_iso_naive), TimeFormat(ISO_OFFSET, parse_iso_offset)]
    last = TimeFormat(ISO, parse_iso_other)
    if time_format is None:
        return [*iso, last]
    if time_format != "auto":
        return [TimeFormat(time_format, _strptime(time_format)), *iso, last]
    us = [TimeFormat(label, _strptime(fmt)) for label, fmt in US_FORMATS]
    text = (first_value or "").strip()
    if looks_us(text):
        twelve_hour = text.upper().endswith(("AM", "PM"))
        us.sort(key=lambda f: "AM" not in f.label if twelve_hour else "AM" in f.label)
        return [*us, *iso, last]
    return [*iso, *us, last]


def looks_us(value: str | None) -> bool:
    """Whether a time value looks like the US ``MM/DD/YYYY ...`` form (a slash up front)."""
    return value is not None and "/" in value.strip()[:6]


def first_value(column: pa.Array | pa.ChunkedArray, look: int = 1000) -> str | None:
    """The first non-null value among the first ``look`` of ``column`` (None if all null)."""
    head = column.slice(0, look).drop_null()
    return head[0].as_py() if len(head) else None


def parse_time_text(text: pa.Array | pa.ChunkedArray, time_format: str | None = "auto",
                    ) -> tuple[np.ndarray, dict[str, int]]:
    """Naive local ``datetime64[us]`` per value of trimmed ``text`` (null: NaT), and how many
    values each format read (the formats that read none are left out).

    Each format sees only the rows the formats before it could not read.
    """
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    text = text.cast(pa.string())
    todo = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False))
    found: dict[str, int] = {}
    if len(todo) == 0:
        return _nat(len(text)), found
    out = None
    for fmt in formats_in_order(text[int(todo[0])].as_py(), time_format):
        if out is None:  # the first format reads the whole column (nulls stay NaT): no copy
            out = fmt.parse(text)
            read = ~np.isnat(out[todo])
        else:
            parsed = fmt.parse(text.take(pa.array(todo)))
            read = ~np.isnat(parsed)
            if read.any() and not out.flags.writeable:  # (a view of Arrow's buffer)
                out = out.copy()
            out[todo[read]] = parsed[read]
        if read.any():
            found[fmt.label] = found.get(fmt.label, 0) + int(read.sum())
            todo = todo[~read]
        if len(todo) == 0:
            break
    return out, found


def describe_formats(found: dict[str, dict[str, int]]) -> str:
    """``received_at: ISO 8601 (990), MM/DD/YYYY hh:mm AM (10); closed_at: ...`` for the report."""
    return "; ".join(f"{column}: " + ", ".join(f"{label} ({n:,})" for label, n in labels.items())
                     for column, labels in found.items() if labels)
