"""Monthly trend helpers: a complete month axis, partial months, launch, before/after, rolling mean.

Pure pandas (no streamlit, no SQL). Definitions, tested in ``tests/unit/test_trends*.py``:

- The month axis runs over the *covered period*: the user's date filter cut to the dates the
  snapshot has data for. A month with no events is a row with zeros, never a missing row.
- A month is *partial* when the covered period holds fewer of its days than the month has (the
  first and last months of the data usually). Partial months are flagged, drawn differently and
  left out of averages (rolling and before/after), because their counts are not comparable.
- *Launch*: the first month with a contact of the program, unless a date is configured.
- *Before/after*: the mean per full month before the launch month vs from the launch month on.
- *3-month rolling average*: the mean of a month and the two before it; empty when any of the
  three is partial (or hidden by suppression, so that the average cannot reveal a hidden count).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import pandas as pd

from response_atlas.publish import Audience, count_text

MONTH = "month"
PARTIAL_COLUMNS = ("days_covered", "days_in_month", "partial")


def covered_period(
    start: date, end: date, data_first: date | None, data_last: date | None
) -> tuple[date, date] | None:
    """The filter period cut to the data's dates; None when they do not overlap (or no data)."""
    if data_first is None or data_last is None:
        return None
    lo, hi = max(start, data_first), min(end, data_last)
    return (lo, hi) if lo <= hi else None


def month_spine(start: date, end: date) -> pd.DatetimeIndex:
    """First days of every month from ``start``'s month to ``end``'s month, inclusive."""
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    last = pd.Timestamp(end).to_period("M").to_timestamp()
    return pd.date_range(first, last, freq="MS", name=MONTH)


def days_covered(month: pd.Timestamp, start: date, end: date) -> int:
    """How many days of ``month`` fall within ``start..end`` (inclusive)."""
    month = pd.Timestamp(month)
    n_days = calendar.monthrange(month.year, month.month)[1]
    lo = max(pd.Timestamp(start), month)
    hi = min(pd.Timestamp(end), month + pd.Timedelta(days=n_days - 1))
    return max(0, (hi - lo).days + 1)


def complete_months(
    frame: pd.DataFrame, start: date, end: date, value_columns: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """Reindex ``frame`` (a ``month`` column plus counts) onto every month of ``start..end``.

    Missing months become zeros; ``days_covered``, ``days_in_month`` and ``partial`` are added.
    """
    spine = month_spine(start, end)
    data = frame.copy()
    if len(data):
        data[MONTH] = pd.to_datetime(data[MONTH]).dt.to_period("M").dt.to_timestamp()
        data = data.groupby(MONTH)[list(value_columns)].sum()
    else:
        data = pd.DataFrame(columns=list(value_columns), index=pd.DatetimeIndex([], name=MONTH))
    out = data.reindex(spine, fill_value=0).fillna(0).astype("int64").reset_index()
    out[MONTH] = pd.to_datetime(out[MONTH]).astype("datetime64[ns]")
    out["days_in_month"] = [calendar.monthrange(m.year, m.month)[1] for m in out[MONTH]]
    out["days_covered"] = [days_covered(m, start, end) for m in out[MONTH]]
    out["partial"] = out["days_covered"] < out["days_in_month"]
    return out


def rolling_average(
    values: pd.Series, exclude: pd.Series | None = None, window: int = 3
) -> pd.Series:
    """Mean over ``window`` consecutive months; NaN when any month in the window is excluded."""
    numbers = values.astype("float64").copy()
    if exclude is not None:
        numbers[exclude.to_numpy(dtype=bool)] = float("nan")
    return numbers.rolling(window, min_periods=window).mean()


def launch_month(first_contact: date | None, configured: date | None = None) -> pd.Timestamp | None:
    """The program's launch month: the configured date if any, else the first contact's month."""
    chosen = configured or first_contact
    if chosen is None or pd.isna(chosen):
        return None
    return pd.Timestamp(chosen).to_period("M").to_timestamp()


@dataclass(frozen=True)
class BeforeAfter:
    """Mean per full month before the launch and from the launch month on."""

    launch: pd.Timestamp | None
    months_before: int
    months_after: int
    total_before: int
    total_after: int

    @property
    def mean_before(self) -> float | None:
        return self.total_before / self.months_before if self.months_before else None

    @property
    def mean_after(self) -> float | None:
        return self.total_after / self.months_after if self.months_after else None


def before_after(monthly: pd.DataFrame, column: str, launch: pd.Timestamp | None) -> BeforeAfter:
    """Compare the mean per month before and after ``launch``, full months only."""
    full = monthly[~monthly["partial"]] if "partial" in monthly else monthly
    if launch is None:
        return BeforeAfter(None, 0, len(full), 0, int(full[column].sum()))
    launch = pd.Timestamp(launch)
    before = full[full[MONTH] < launch]
    after = full[full[MONTH] >= launch]
    return BeforeAfter(
        launch, len(before), len(after), int(before[column].sum()), int(after[column].sum())
    )


def month_label(month: pd.Timestamp | date) -> str:
    """``Jan 2025``."""
    return pd.Timestamp(month).strftime("%b %Y")


def summarize_trend(
    label: str,
    published: pd.DataFrame,
    column: str,
    total: float,
    audience: Audience,
    launch: pd.Timestamp | None = None,
    program: str = "the program",
) -> str:
    """One plain-language sentence: the figure, the before/after change and the caveats.

    ``published`` is the monthly frame as published (NaN = a suppressed month) and ``total``
    the published total: the sentence says nothing the published table does not."""
    monthly = published
    if monthly.empty:
        return f"{label}: no data in the selected period."
    first, last = monthly[MONTH].iloc[0], monthly[MONTH].iloc[-1]
    span = month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"
    parts = [f"{label}: {count_text(total, audience)} from {span}."]
    if total == 0:
        return parts[0]
    if launch is not None:
        start_text = f"{program} started in {month_label(launch)}"
        full = monthly[~monthly["partial"]] if "partial" in monthly else monthly
        hidden = bool(full[column].isna().any())
        ba = before_after(monthly.fillna({column: 0}), column, launch)
        if ba.months_before and ba.months_after and not hidden:
            parts.append(
                f"{ba.mean_before:,.1f} a month before {start_text}, "
                f"{ba.mean_after:,.1f} a month since (full months only)."
            )
        elif hidden:
            parts.append(f"{start_text}; averages are not shown because some monthly counts "
                         "are small.")
        else:
            parts.append(f"{start_text}; there are not enough full months on both sides to compare.")
    caveats = []
    partial = monthly[monthly["partial"]] if "partial" in monthly else monthly.iloc[0:0]
    if len(partial):
        described = ", ".join(
            f"{month_label(r[MONTH])} ({r['days_covered']} of {r['days_in_month']} days)"
            for _, r in partial.iterrows()
        )
        word = "is a partial month" if len(partial) == 1 else "are partial months"
        caveats.append(f"{described} {word}, left out of averages")
    if monthly[column].isna().any():
        caveats.append(f"monthly counts from 1 to {audience.threshold} are hidden in public views")
    if caveats:
        parts.append("Note: " + "; ".join(caveats) + ".")
    return " ".join(parts)
