"""Small-cell suppression for published tables: primary and complementary.

Primary suppression hides every count from 1 to ``threshold`` (``config.Settings.suppress_below``,
10 by default; zero is shown). Complementary suppression then hides further cells so that no hidden
count can be worked out from the published totals: a table with margins is a set of *lines*, each
"these members add up to that total". For each line we compute the range a reader could deduce for
every hidden entry from the shown entries; when a hidden entry is pinned to one value, the smallest
non-zero shown entry of that line is hidden too. This repeats until nothing changes.

The reader's knowledge is modelled honestly: a primary cell is known to be in ``1..threshold``, a
complementary cell (labelled differently, because it is not small) is known to be above it.

Pure functions, no streamlit. Output is display strings plus a boolean mask: a suppressed cell's
raw value never reaches a display frame.

Public pages do not use complementary suppression any more: ``response_atlas.publish`` rounds
every public count (keyed to its calls), so a total minus its shown parts is never exact. The
functions here stay for exact tables that need it; :func:`format_derived` is shared.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

SHOWN = "shown"
PRIMARY = "primary"
COMPLEMENTARY = "complementary"
# A complementary cell is not small, so it is not called "fewer than 11" (that would be false).
COMPLEMENTARY_LABEL = "suppressed"
RATE_HIDDEN_LABEL = "not shown"
TOTAL_LABEL = "Total"


def small_label(threshold: int) -> str:
    """The display text of a count from 1 to ``threshold``: "fewer than 11" by default."""
    return f"fewer than {threshold + 1}"


def is_small(value: float, threshold: int) -> bool:
    """True for counts from 1 to ``threshold`` (the cells primary suppression hides)."""
    return value is not None and not _isnan(value) and 0 < value <= threshold


def primary_mask(counts: pd.DataFrame | pd.Series, threshold: int):
    """Boolean mask of the same shape: True where a count is from 1 to ``threshold``."""
    return (counts > 0) & (counts <= threshold)


@dataclass(frozen=True)
class Line:
    """``members`` add up to ``total`` (a key of a published cell, or None when no total is shown)."""

    members: tuple[Hashable, ...]
    total: Hashable | None = None


def protect_cells(
    values: Mapping[Hashable, float],
    lines: Iterable[Line],
    threshold: int,
) -> dict[Hashable, str]:
    """Status of every cell: ``"shown"``, ``"primary"`` or ``"complementary"``.

    ``values`` holds every published count (members and totals); ``lines`` the additive relations
    a reader can use. Complementary cells are chosen, per exposed line, as the smallest non-zero
    shown member (a total only when no member is left).
    """
    lines = [ln for ln in lines if ln.members]
    status = {k: (PRIMARY if is_small(v, threshold) else SHOWN) for k, v in values.items()}
    for _ in range(len(values) + 1):  # each round hides at least one more cell, or stops
        changed = False
        for line in lines:
            if _line_exposes(line, values, status, threshold):
                pick = _pick_complement(line, values, status)
                if pick is not None:
                    status[pick] = COMPLEMENTARY
                    changed = True
        if not changed:
            break
    return status


def _bounds(key: Hashable, values: Mapping, status: Mapping, threshold: int) -> tuple[float, float]:
    """What a reader knows about a cell: its value, ``1..threshold`` or ``threshold+1..inf``."""
    s = status[key]
    if s == SHOWN:
        v = float(values[key])
        return v, v
    if s == PRIMARY:
        return 1.0, float(threshold)
    return float(threshold + 1), math.inf


def _line_exposes(line: Line, values: Mapping, status: Mapping, threshold: int) -> bool:
    """True when some hidden entry of ``line`` is pinned to a single value by the others."""
    entries = [(k, 1) for k in line.members]
    if line.total is not None:
        entries.append((line.total, -1))
    if line.total is None:
        return False  # no published total: the members are independent
    hidden = [k for k, _ in entries if status[k] != SHOWN]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    # sum(sign * x) == 0; deduce each hidden x from the ranges of all the others
    for key, sign in entries:
        if status[key] == SHOWN:
            continue
        lo_rest, hi_rest = 0.0, 0.0
        for other, other_sign in entries:
            if other == key:
                continue
            lo, hi = _bounds(other, values, status, threshold)
            if other_sign > 0:
                lo_rest, hi_rest = lo_rest + lo, hi_rest + hi
            else:
                lo_rest, hi_rest = lo_rest - hi, hi_rest - lo
        # sign * x = -(rest)
        lo_x, hi_x = (-hi_rest, -lo_rest) if sign > 0 else (lo_rest, hi_rest)
        own_lo, own_hi = _bounds(key, values, status, threshold)
        lo_x, hi_x = max(lo_x, own_lo), min(hi_x, own_hi)
        if lo_x >= hi_x:
            return True
    return False


def _pick_complement(line: Line, values: Mapping, status: Mapping) -> Hashable | None:
    """The smallest non-zero shown member of ``line`` (else its total, if shown and non-zero)."""
    members = [k for k in line.members if status[k] == SHOWN and values[k] > 0]
    if members:
        return min(members, key=lambda k: (values[k], str(k)))
    if line.total is not None and status[line.total] == SHOWN and values[line.total] > 0:
        return line.total
    return None


def format_count(value: float, status: str, threshold: int) -> str:
    """Display text of a count cell with its suppression status."""
    if status == PRIMARY:
        return small_label(threshold)
    if status == COMPLEMENTARY:
        return COMPLEMENTARY_LABEL
    if value is None or _isnan(value):
        return ""
    return f"{int(round(value)):,}"


def format_derived(value: float, hidden: bool, fmt: str = "{:,.1f}") -> str:
    """Display text of a figure derived from a count (a rate, a ratio): hidden with its count."""
    if hidden:
        return RATE_HIDDEN_LABEL
    if value is None or _isnan(value) or (isinstance(value, float) and math.isinf(value)):
        return "no value"
    return fmt.format(value)


@dataclass(frozen=True)
class SuppressedTable:
    """A published table: display strings and a mask (True = suppressed); no raw hidden values."""

    display: pd.DataFrame
    mask: pd.DataFrame


def suppress_table(
    counts: pd.DataFrame,
    threshold: int,
    margins: bool = True,
    total_label: str = TOTAL_LABEL,
) -> SuppressedTable:
    """Suppress a 2-D count table; with ``margins`` a total row and column are added and protected.

    Every row and every column is a line (members add up to the margin), so a row or column with
    exactly one hidden cell gets a second one.
    """
    counts = counts.fillna(0).astype(float)
    values: dict[Hashable, float] = {}
    rows, cols = list(counts.index), list(counts.columns)
    for r in rows:
        for c in cols:
            values[(r, c)] = float(counts.at[r, c])
    lines: list[Line] = []
    if margins:
        for r in rows:
            values[(r, total_label)] = float(counts.loc[r].sum())
            lines.append(Line(tuple((r, c) for c in cols), (r, total_label)))
        for c in cols:
            values[(total_label, c)] = float(counts[c].sum())
            lines.append(Line(tuple((r, c) for r in rows), (total_label, c)))
        values[(total_label, total_label)] = float(counts.to_numpy().sum())
        lines.append(Line(tuple((r, total_label) for r in rows), (total_label, total_label)))
        lines.append(Line(tuple((total_label, c) for c in cols), (total_label, total_label)))
        rows, cols = [*rows, total_label], [*cols, total_label]
    status = protect_cells(values, lines, threshold)
    display = pd.DataFrame(
        [[format_count(values[(r, c)], status[(r, c)], threshold) for c in cols] for r in rows],
        index=pd.Index(rows, name=counts.index.name),
        columns=pd.Index(cols, name=counts.columns.name),
    )
    mask = pd.DataFrame(
        [[status[(r, c)] != SHOWN for c in cols] for r in rows], index=display.index,
        columns=display.columns,
    )
    return SuppressedTable(display, mask)


def suppress_grouped(
    counts: pd.Series,
    groupings: Mapping[str, pd.Series],
    threshold: int,
    total_label: str = TOTAL_LABEL,
) -> dict[Hashable, str]:
    """Statuses for one count per unit (e.g. per area), its group subtotals and the grand total.

    ``groupings`` maps a grouping name to a Series ``unit -> group``; every grouping's subtotals
    are published, so each group is a line (its units add up to the subtotal) and each grouping's
    subtotals add up to the total. Keys of the result: ``("unit", u)``, ``(name, group)``,
    ``("total", total_label)``.
    """
    counts = counts.fillna(0).astype(float)
    values: dict[Hashable, float] = {("unit", u): float(v) for u, v in counts.items()}
    total_key = ("total", total_label)
    values[total_key] = float(counts.sum())
    lines: list[Line] = []
    for name, mapping in groupings.items():
        mapping = mapping.reindex(counts.index)
        group_keys = []
        for group, units in mapping.groupby(mapping, observed=True, sort=True):
            key = (name, group)
            group_keys.append(key)
            values[key] = float(counts.loc[units.index].sum())
            lines.append(Line(tuple(("unit", u) for u in units.index), key))
        lines.append(Line(tuple(group_keys), total_key))
    # Last: the units add up to the total. Fine lines go first so their complements (chosen
    # within a group) usually protect this line too, hiding fewer cells.
    lines.append(Line(tuple(("unit", u) for u in counts.index), total_key))
    return protect_cells(values, lines, threshold)


def hidden_values(statuses: Mapping[Hashable, str]) -> set[Hashable]:
    """The keys whose cells are suppressed (primary or complementary)."""
    return {k for k, s in statuses.items() if s != SHOWN}


def _isnan(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_counts(values: Sequence[float], statuses: Sequence[str], threshold: int) -> list[str]:
    """:func:`format_count` over parallel sequences."""
    return [format_count(v, s, threshold) for v, s in zip(values, statuses, strict=True)]
