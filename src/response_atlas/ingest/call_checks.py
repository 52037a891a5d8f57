"""Checks on typed calls that no column type catches: implausible dates and over-long text.

- Dates: a time before the first plausible date (``ATLAS_EARLIEST_CALL``, default 1990-01-01)
  or more than a day after the refresh is an entry or export error (1900-01-01 placeholders,
  2099 "never closed" markers). A call received outside that window is rejected (it would
  otherwise set "data as of"); an optional time outside it is cleared and counted.
- Text: values longer than ``schema.TEXT_LIMITS`` are cut to the limit and counted; an
  identifier that long (``schema.REJECT_ON_OVERFLOW``) rejects the call instead.

Every check is vectorised and costs nothing on clean columns (a min/max or a maximum length).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from response_atlas.config import TIMEZONE, earliest_call_date
from response_atlas.schema import REJECT_ON_OVERFLOW, TEXT_LIMITS


@dataclass(frozen=True)
class TimeWindow:
    """The plausible times of a call: from ``start`` to ``end`` (naive local), both included."""

    start: np.datetime64
    end: np.datetime64

    @classmethod
    def around(cls, now: datetime | None = None, start: str | None = None) -> TimeWindow:
        """From ``start`` (default: the configured earliest date) to a day after ``now``."""
        now = now or datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
        return cls(np.datetime64(start or earliest_call_date(), "us"),
                   np.datetime64(now + timedelta(days=1), "us"))

    def outside(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(too early, too late) masks of ``datetime64[us]`` values (NaT is neither)."""
        values = np.asarray(values, dtype="datetime64[us]")
        present = ~np.isnat(values)
        return present & (values < self.start), present & (values > self.end)

    def problems(self, column: str) -> tuple[str, str]:
        """Report texts for a value of ``column`` too early and too late."""
        return (f"{column} before {str(self.start)[:10]} (implausible date)",
                f"{column} after {str(self.end)[:16].replace('T', ' ')} "
                "(more than a day after the refresh)")


def cut_long_text(column: pa.ChunkedArray | pa.Array, limit: int,
                  ) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray | None]:
    """``column`` with values over ``limit`` characters cut to it, and the rows that were cut
    (None when none was: the column is returned as it is)."""
    if len(column) == 0 or column.null_count == len(column):
        return column, None
    # bytes >= characters: a column whose longest value fits in bytes needs no character count
    if pc.max(pc.binary_length(column)).as_py() <= limit:
        return column, None
    over = pc.fill_null(pc.greater(pc.utf8_length(column), limit), False)
    rows = np.asarray(over.to_numpy(zero_copy_only=False), dtype=bool)
    if not rows.any():
        return column, None
    return pc.if_else(over, pc.utf8_slice_codeunits(column, 0, limit), column), rows


def limit_text_columns(columns: dict[str, pa.ChunkedArray]
                       ) -> tuple[dict[str, pa.ChunkedArray], dict[str, np.ndarray], dict[str, int]]:
    """Apply ``TEXT_LIMITS``: (columns, rows to reject per identifier column, cut counts)."""
    overflow: dict[str, np.ndarray] = {}
    cut: dict[str, int] = {}
    for name, column in list(columns.items()):
        limit = TEXT_LIMITS.get(name)
        if limit is None:
            continue
        shortened, rows = cut_long_text(column, limit)
        if rows is None:
            continue
        if name in REJECT_ON_OVERFLOW:
            overflow[name] = rows
        else:
            columns[name] = shortened
            cut[f"{name}: longer than {limit:,} characters, cut"] = int(rows.sum())
    return columns, overflow, cut


def overflow_problem(column: str) -> str:
    """The reject reason of an identifier over its limit."""
    return f"{column} longer than {TEXT_LIMITS[column]:,} characters"
