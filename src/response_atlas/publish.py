"""The publish step: the one place where public figures get their disclosure control.

Method (explained in plain words on the About page), from statistical-agency practice:

1. **Small counts are suppressed.** A count from 1 to the threshold (``ATLAS_SUPPRESS_BELOW``,
   10 by default) is published as "fewer than 11"; zero is zero.
2. **Every other count is randomly rounded to a multiple of 5, keyed to the cell's contents**
   (the ABS/Census "cell key" idea with Stats NZ-style random rounding). A count ``5q + r`` is
   published as ``5q`` or ``5q + 5``; it goes up with probability ``r / 5``, so rounding is
   unbiased on average. The draw is not random per request: it is a fixed function of the cell
   key, the exclusive-or of the hashes of the records counted (``bit_xor(hash(call_id))`` in
   DuckDB). The same calls always give the same published figure, however the question is asked
   (another page, another filter spelling), so asking again gives nothing new; one call more
   or less changes the key, so two neighbouring cells round independently. A count above the
   threshold is never published below ``threshold + 1`` rounded up to 5 (15 for 10), so the
   words "fewer than 11" stay true and a rounded 10 never appears.
   Where a figure's own records are not at hand (Outcomes, Equity, repeat locations) the key
   is a hash of the cell's place in its table (table, column, row) and of the *scope key*: the
   exclusive-or of the hashes of every call the filters select (:func:`scope_key`). Filters
   that select the same calls (an area with no calls added, a category spelled differently)
   give the same scope key and so the same figures.
3. **Filters are a fixed grid for the public** (``filters.snap_public``): whole calendar months,
   six-hour bands; domestic violence and overdose calls are left out as soon as an hour band or
   a weekday is chosen, so they are never published below area by month.
4. **Totals are rounded on their own** (their own key), so parts need not add up to the total,
   and no hidden count is the difference of exact figures. Rates, shares and ratios are computed
   from the published counts.

Staff views are exact: :func:`publish_count` returns the count unchanged for a staff audience.
Pure (no streamlit).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASE = 5  # rounding base of public counts
_MASK64 = (1 << 64) - 1
HIDDEN_RATE = "not shown"


@dataclass(frozen=True)
class Audience:
    """Who a figure is published for: public or staff, and the configured threshold."""

    public: bool
    threshold: int

    @property
    def small_label(self) -> str:
        return f"fewer than {self.threshold + 1}"

    @property
    def floor(self) -> int:
        """The smallest published count above the threshold (15 for a threshold of 10)."""
        return BASE * (self.threshold // BASE + 1)


def key_sql(count_sql: str, id_sql: str = "call_id") -> str:
    """The cell key aggregate for a ``count(*)`` expression (``FILTER`` clauses kept).

    ``count(*) FILTER (WHERE c.tier = 'x')`` -> ``bit_xor(hash(call_id)) FILTER (...)``: the
    exclusive-or of the record hashes of exactly the records that ``count_sql`` counts.
    """
    if "count(*)" not in count_sql:
        raise ValueError(f"key_sql needs a count(*) expression, not {count_sql!r}")
    return f"coalesce({count_sql.replace('count(*)', f'bit_xor(hash({id_sql}))')}, 0::UBIGINT)"


def combine_keys(keys: Iterable[object]) -> int:
    """The key of a union of disjoint cells: the exclusive-or of their keys (missing = 0)."""
    out = 0
    for key in keys:
        out ^= as_key(key)
    return out


def as_key(key: object) -> int:
    """A key from SQL (UBIGINT, maybe NULL / NaN for an empty cell) as a Python int."""
    if key is None or (isinstance(key, float) and math.isnan(key)) or key is pd.NA:
        return 0
    return int(key) & _MASK64


def definition_key(*parts: object) -> int:
    """A key from a cell's definition (for cells without a record list): a stable hash."""
    text = "\x1f".join(repr(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def scope_key(snapshot, filters) -> int:
    """The key of the calls ``filters`` select (the exclusive-or of their hashes)."""
    from response_atlas.filters import build_where

    where, params = build_where(filters)
    row = snapshot.query(f"SELECT {key_sql('count(*)')} AS k FROM calls WHERE {where}", params)
    return as_key(row["k"].iloc[0])


def _uniform(key: int) -> float:
    """A number in [0, 1) fixed by ``key`` (splitmix64 finalizer, so near keys differ widely)."""
    z = (key + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    return z / 2.0**64


def publish_count(count: float, key: object, audience: Audience) -> float:
    """The published value of one count: exact for staff; for the public NaN when suppressed
    (1..threshold), 0 for zero, else randomly rounded to base 5 by the cell key."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return math.nan
    n = int(round(count))
    if not audience.public or n <= 0:
        return float(n)
    if n <= audience.threshold:
        return math.nan
    q, r = divmod(n, BASE)
    up = _uniform(as_key(key) ^ n) < r / BASE
    return float(max(BASE * (q + up), audience.floor))


def publish_counts(counts: Sequence[float], keys: Sequence[object], audience: Audience) -> np.ndarray:
    """:func:`publish_count` over parallel sequences, as floats (NaN = suppressed)."""
    return np.array([publish_count(c, k, audience) for c, k in zip(counts, keys, strict=True)],
                    dtype="float64")


def publish_column(frame: pd.DataFrame, column: str, audience: Audience,
                   key_column: str | None = None, keys: Sequence[object] | None = None,
                   ) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` published (float, NaN = suppressed); the key column,
    if any, is dropped so no key reaches a page. Staff get the column unchanged (as float)."""
    out = frame.copy()
    key_column = key_column or f"{column}_key"
    if keys is None:
        keys = out[key_column].tolist() if key_column in out else [0] * len(out)
    out[column] = publish_counts(out[column].tolist(), list(keys), audience)
    return out.drop(columns=[key_column], errors="ignore")


def drop_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``*_key`` columns."""
    return frame.drop(columns=[c for c in frame.columns if str(c).endswith("_key")])


def count_text(value: float, audience: Audience) -> str:
    """Display text of a published count: "fewer than 11" when suppressed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return audience.small_label
    return f"{int(round(value)):,}"


def rate(published: float, population: float, per: float = 1000.0) -> float:
    """Per ``per`` residents from a published count; NaN when hidden or without residents."""
    if published is None or math.isnan(published) or not population or population <= 0:
        return math.nan
    return published * per / population


def share(part: float, whole: float) -> float:
    """``part / whole`` from published counts, capped at 1 (independent rounding of a part
    and its whole can put the part above the whole); NaN when either is hidden or whole is 0."""
    if any(v is None or math.isnan(v) for v in (part, whole)) or whole <= 0:
        return math.nan
    return min(part / whole, 1.0)


def method_note(audience: Audience) -> str:
    """One sentence for captions under public figures."""
    return (f"Public counts: 1 to {audience.threshold} shown as \"{audience.small_label}\", "
            f"others rounded to a multiple of {BASE} (at random but fixed for the same calls); "
            "rates and shares use the rounded counts.")
