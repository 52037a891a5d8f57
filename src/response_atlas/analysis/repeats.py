"""Repeat locations: the blocks that call again and again, and whether a team contact changes that.

Pure functions (no streamlit). The heavy lifting runs in DuckDB over the snapshot's ``calls`` and
``contacts`` views; only small results come back as DataFrames.

Definitions (shown to users on the page and tested in ``tests/unit/test_repeats*.py``):

- A *location* is a published block address (``address``, e.g. ``23XX FERGUSON RD``), trimmed. The
  publisher masks addresses to the block; nothing here tries to undo that.
- *Rolling window*: a location is a repeat location when some window of ``window_days`` consecutive
  calendar days holds at least ``threshold`` of its calls. Windows count whole local days: with a
  90-day window, calls on day 0 and day 89 fall in one window, a call on day 90 does not
  (``call_date - first_date < window_days``). The 12-month view is a 365-day window.
- *Privacy*: domestic violence and substance use / overdose calls never appear at block level. They
  are removed from every block-level result here (tables, map points, drill-down, downloads) and
  count only in :func:`area_totals`. Team contacts from the QRT (overdose) and DVERT (domestic
  violence) programs are left out of block-level results as well, because a QRT or DVERT visit at a
  block would reveal an overdose or a DV call there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from response_atlas.filters import Filters, build_where
from response_atlas.schema import CATEGORY_LABELS, SENSITIVE_CATEGORIES
from response_atlas.snapshot import Snapshot

WINDOW_90_DAYS = 90
WINDOW_12_MONTHS = 365
DEFAULT_THRESHOLD = 3
# Programs whose contacts would reveal a sensitive event at a block (QRT: overdose; DVERT: DV).
BLOCK_HIDDEN_PROGRAMS = ("QRT", "DVERT")
# Call-count bands for matching comparison locations (lower bounds, inclusive).
CALL_BANDS = (1, 3, 5, 10, 20)
MATCH_OPTIONS = ("area", "band")


class RepeatSettingsError(ValueError):
    """Invalid repeat settings; the message lists every problem at once."""


@dataclass(frozen=True)
class RepeatRule:
    """When a location counts as a repeat location: ``threshold`` calls within ``window_days``."""

    threshold: int = DEFAULT_THRESHOLD
    window_days: int = WINDOW_90_DAYS

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.threshold, int | np.integer) or not 2 <= self.threshold <= 1000:
            problems.append(f"threshold must be a whole number from 2 to 1000 (got {self.threshold!r})")
        if not isinstance(self.window_days, int | np.integer) or not 1 <= self.window_days <= 3660:
            problems.append(
                f"window_days must be a whole number from 1 to 3660 (got {self.window_days!r})"
            )
        if problems:
            raise RepeatSettingsError("; ".join(problems))

    def describe(self) -> str:
        """The rule in plain words, e.g. '3 or more calls within 90 days'."""
        span = "12 months (365 days)" if self.window_days == WINDOW_12_MONTHS else (
            f"{self.window_days} days" if self.window_days != 1 else "1 day"
        )
        return f"{self.threshold} or more calls within {span}"


# --- SQL building blocks ---------------------------------------------------------------------


def _block_calls_cte(filters: Filters, materialized: bool = False) -> tuple[str, list]:
    """CTE ``block_calls``: filtered calls with a block address, sensitive categories removed.

    Addresses are trimmed once at ingest (``ingest.calls.trim_text``; empty text is no address),
    so the column is compared as stored: a filter on it reaches the Parquet scan.
    ``materialized``: computed once when several CTEs read it (the big repeat query).
    """
    where, params = _block_where(filters)
    sql = f"""
    block_calls AS {"MATERIALIZED " if materialized else ""}(
        SELECT address, area, call_date, received_at, category, tier, lat, lon
        FROM calls WHERE {where}
    )"""
    return sql, params


def _block_where(filters: Filters) -> tuple[str, list]:
    """Condition on ``calls`` for block-level calls: the filters, a block address, no DV or
    overdose."""
    where, params = build_where(filters)
    hidden = ", ".join(f"'{c}'" for c in SENSITIVE_CATEGORIES)
    return (f"{where} AND coalesce(category, 'unclassified') NOT IN ({hidden}) "
            "AND address <> ''"), params


def _contacts_source(snapshot: Snapshot) -> str:
    """The contacts visible at block level (a subquery); empty when the snapshot has none."""
    hidden = ", ".join(f"'{p}'" for p in BLOCK_HIDDEN_PROGRAMS)
    if not snapshot.has_table("contacts"):
        return (
            "(SELECT NULL::VARCHAR AS contact_id, NULL::VARCHAR AS call_id, NULL::VARCHAR AS team_id,"
            " NULL::VARCHAR AS program, NULL::TIMESTAMP AS contact_at, NULL::VARCHAR AS outcome"
            " WHERE false)"
        )
    return (
        "(SELECT contact_id, call_id, team_id, program, contact_at, outcome FROM contacts"
        f" WHERE call_id IS NOT NULL AND coalesce(program, '') NOT IN ({hidden}))"
    )


def _contacted_calls_source(snapshot: Snapshot) -> str:
    """The calls that have a team contact: a small table made once per snapshot
    (``Snapshot.contacted_calls``), so contacts are found without reading every call's id (a
    third of the ranking query at 5M calls); no rows when the snapshot has no contacts."""
    return "contacted_calls" if snapshot.contacted_calls() else "(SELECT * FROM calls WHERE false)"


def _repeat_ctes(snapshot: Snapshot, filters: Filters, rule: RepeatRule,
                 contacts: bool = True) -> tuple[str, list]:
    """CTEs ``block_calls``, ``all_loc`` (every block location), ``per_loc`` (those with enough
    calls), ``windowed``, ``repeat_addr``, ``repeat_calls`` (the block calls of repeat
    locations), ``loc_area``, and ``loc_contacts`` unless ``contacts`` is False.

    The rolling count sums each location's calls per day over ``[day, day + window_days - 1]``
    (RANGE frame): so day 0 and day 89 share a 90-day window. Only locations with at least
    ``threshold`` calls in the period can reach it in one window, so the window, area and contact
    work runs on those alone (at 5M calls a third of the query time of doing it for every block).
    """
    block_sql, params = _block_calls_cte(filters, materialized=True)
    span = int(rule.window_days) - 1
    threshold = int(rule.threshold)
    sql = f"""
    WITH {block_sql},
    all_loc AS (
        SELECT address, count(*) AS calls, min(received_at) AS first_call,
               max(received_at) AS last_call,
               avg(CASE WHEN tier = 'alternative' THEN 1.0 ELSE 0.0 END) AS alternative_share,
               avg(lat) AS lat, avg(lon) AS lon
        FROM block_calls GROUP BY address
    ),
    per_loc AS (SELECT * FROM all_loc WHERE calls >= {threshold}),
    windowed AS (
        SELECT address, call_date, sum(n) OVER (
                   PARTITION BY address ORDER BY call_date
                   RANGE BETWEEN CURRENT ROW AND INTERVAL {span} DAYS FOLLOWING
               ) AS in_window
        FROM (SELECT b.address, b.call_date, count(*) AS n
              FROM block_calls b SEMI JOIN per_loc USING (address) GROUP BY ALL)
    ),
    repeat_addr AS (
        -- the busiest window's start: the earliest day among those with the most calls
        SELECT address, CAST(max(in_window) AS BIGINT) AS peak_window_calls,
               arg_max(call_date, in_window * 100000 - (call_date - DATE '1970-01-01'))
                   AS busiest_window_start
        FROM windowed GROUP BY address HAVING max(in_window) >= {threshold}
    ),
    repeat_calls AS (
        SELECT b.* FROM block_calls b SEMI JOIN repeat_addr USING (address)
    ),
    loc_area AS (
        -- a block can straddle an area line (coordinates are offset): take its most frequent area
        SELECT address, first(area ORDER BY n DESC, area) AS area
        FROM (SELECT address, area, count(*) AS n FROM repeat_calls GROUP BY ALL)
        GROUP BY address
    )"""
    if not contacts:
        return sql, params
    where, where_params = _block_where(filters)
    contacted = _contacted_calls_source(snapshot)
    sql += f""",
    loc_contacts AS (
        -- From the calls that have a contact, not from the block calls: carrying every call's
        -- id through them cost almost half the query when no call type is chosen (at 5M calls
        -- 2.8 s with them, 1.5 s this way).
        SELECT b.address, count(DISTINCT c.contact_id) AS contacts,
               min(c.contact_at) AS first_contact
        FROM {_contacts_source(snapshot)} c
        JOIN (SELECT call_id, address FROM {contacted} WHERE {where}) b ON b.call_id = c.call_id
        SEMI JOIN repeat_addr r ON r.address = b.address
        GROUP BY b.address
    )"""
    return sql, [*params, *where_params]


def _label_categories(codes: str | None) -> str:
    if not codes:
        return ""
    return "; ".join(CATEGORY_LABELS.get(c, c) for c in codes.split(","))


# --- ranked table ----------------------------------------------------------------------------

RANKED_COLUMNS = (
    "rank", "address", "area", "calls", "peak_window_calls", "busiest_window_start", "categories",
    "first_call", "last_call", "alternative_share", "team_contact", "contacts", "first_contact",
    "lat", "lon",
)


@dataclass(frozen=True)
class RepeatRanking:
    """The ranked repeat locations and the block-level totals they are a share of."""

    ranked: pd.DataFrame  # see find_repeat_locations
    block: dict  # calls, locations: as count_block_calls


def rank_repeat_locations(
    snapshot: Snapshot, filters: Filters, rule: RepeatRule = RepeatRule()
) -> RepeatRanking:
    """:func:`find_repeat_locations` and :func:`count_block_calls` from one scan of the calls
    (the page's headline needs both; a second statement scanned them again)."""
    ctes, params = _repeat_ctes(snapshot, filters, rule)
    sql = f"""{ctes},
    cats AS (
        SELECT address, string_agg(category, ',' ORDER BY n DESC, category) AS categories
        FROM (SELECT address, coalesce(category, 'unclassified') AS category, count(*) AS n
              FROM repeat_calls GROUP BY ALL)
        GROUP BY address
    ),
    ranked AS (
        SELECT l.address, a.area, l.calls, r.peak_window_calls, r.busiest_window_start,
               c.categories, l.first_call, l.last_call, l.alternative_share,
               coalesce(k.contacts, 0) AS contacts, k.first_contact, l.lat, l.lon
        FROM repeat_addr r
        JOIN per_loc l USING (address)
        JOIN loc_area a USING (address)
        JOIN cats c USING (address)
        LEFT JOIN loc_contacts k USING (address)
    )
    -- one row even without repeat locations: it carries the block totals
    SELECT t.block_calls, t.block_locations, ranked.*
    FROM (SELECT coalesce(sum(calls), 0) AS block_calls, count(*) AS block_locations
          FROM all_loc) t
    LEFT JOIN ranked ON true
    ORDER BY ranked.calls DESC, ranked.address
    """
    df = snapshot.query(sql, params)
    block = {"calls": int(df["block_calls"].iloc[0]), "locations": int(df["block_locations"].iloc[0])}
    df = df[df["address"].notna()].reset_index(drop=True)
    if df.empty:
        return RepeatRanking(pd.DataFrame({c: pd.Series(dtype=object) for c in RANKED_COLUMNS}),
                             block)
    df["calls"] = df["calls"].astype(int)
    df["peak_window_calls"] = df["peak_window_calls"].astype(int)
    df["contacts"] = df["contacts"].astype(int)
    df["team_contact"] = df["contacts"] > 0
    df["categories"] = df["categories"].map(_label_categories)
    df["busiest_window_start"] = pd.to_datetime(df["busiest_window_start"]).dt.date
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return RepeatRanking(df[list(RANKED_COLUMNS)].reset_index(drop=True), block)


def find_repeat_locations(
    snapshot: Snapshot, filters: Filters, rule: RepeatRule = RepeatRule()
) -> pd.DataFrame:
    """Ranked repeat locations (block level, DV and overdose excluded).

    Columns: ``rank, address, area, calls`` (block-level calls in the period), ``peak_window_calls``
    (most calls in one window), ``busiest_window_start``, ``categories`` (labels, most frequent
    first), ``first_call, last_call`` (timestamps), ``alternative_share`` (share of the location's
    calls in tier ``alternative``, 0-1), ``team_contact`` (bool), ``contacts``, ``first_contact``,
    ``lat, lon`` (mean of the published, offset coordinates). Ranked by calls (descending), then
    address, so ties always come out in the same order.
    """
    return rank_repeat_locations(snapshot, filters, rule).ranked


def count_repeat_locations(snapshot: Snapshot, filters: Filters,
                           rule: RepeatRule = RepeatRule()) -> int:
    """How many locations are repeat locations under ``rule`` (the ranked list's length)."""
    ctes, params = _repeat_ctes(snapshot, filters, rule, contacts=False)
    return int(snapshot.query(f"{ctes} SELECT count(*) AS n FROM repeat_addr", params)["n"].iloc[0])


def count_block_calls(snapshot: Snapshot, filters: Filters) -> dict:
    """Block-level calls and locations in the filtered period (DV and overdose excluded)."""
    block_sql, params = _block_calls_cte(filters)
    row = snapshot.query(
        f"WITH {block_sql} SELECT count(*) AS calls, count(DISTINCT address) AS locations "
        "FROM block_calls",
        params,
    ).iloc[0]
    return {"calls": int(row["calls"]), "locations": int(row["locations"])}


def summarize_repeats(ranked: pd.DataFrame, block: dict) -> dict:
    """Headline numbers: repeat locations, their calls, and their share of block-level calls."""
    calls = int(ranked["calls"].sum()) if not ranked.empty else 0
    total = int(block.get("calls", 0))
    return {
        "repeat_locations": len(ranked),
        "repeat_calls": calls,
        "block_calls": total,
        "block_locations": int(block.get("locations", 0)),
        "share_of_calls": calls / total if total else 0.0,
        "with_contact": int(ranked["team_contact"].sum()) if not ranked.empty else 0,
    }


# --- concentration ---------------------------------------------------------------------------


def location_call_counts(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Calls per block location (``address, area, calls``), most calls first, then address."""
    block_sql, params = _block_calls_cte(filters)
    sql = f"""
    WITH {block_sql},
    loc_area AS (
        SELECT address, area FROM (
            SELECT address, area, row_number() OVER (
                PARTITION BY address ORDER BY count(*) DESC, area) AS rn
            FROM block_calls GROUP BY address, area
        ) WHERE rn = 1
    )
    SELECT address, a.area, count(*) AS calls
    FROM block_calls JOIN loc_area a USING (address)
    GROUP BY ALL ORDER BY calls DESC, address
    """
    df = snapshot.query(sql, params)
    df["calls"] = df["calls"].astype(int)
    return df


def concentration_curve(calls: pd.Series | list[int], max_points: int = 1001) -> pd.DataFrame:
    """Cumulative share of locations vs share of calls, busiest location first, from (0, 0).

    Returns ``locations`` (count so far), ``address_share`` and ``call_share`` (0-1). With more
    than ``max_points`` locations the curve keeps that many evenly spaced points (ends included),
    so a county's tens of thousands of blocks stay a small chart.
    """
    values = np.sort(np.asarray(list(calls), dtype=float))[::-1]
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return pd.DataFrame({"locations": [0], "address_share": [0.0], "call_share": [0.0]})
    cum = np.concatenate([[0.0], np.cumsum(values)])
    k = np.arange(0, n + 1)
    if n + 1 > max_points:
        k = np.unique(np.linspace(0, n, max_points).round().astype(int))
        cum = cum[k]
    return pd.DataFrame({"locations": k, "address_share": k / n, "call_share": cum / total})


@dataclass(frozen=True)
class TopShare:
    """The busiest ``top_locations`` of ``locations`` produced ``call_share`` of ``calls``."""

    scope: str
    locations: int
    calls: int
    top_locations: int
    top_calls: int

    @property
    def address_share(self) -> float:
        return self.top_locations / self.locations if self.locations else 0.0

    @property
    def call_share(self) -> float:
        return self.top_calls / self.calls if self.calls else 0.0

    def sentence(self) -> str:
        """Headline: 'In all areas, 5% of addresses (3 of 60) produced 40% of calls (52 of 130).'"""
        if not self.locations:
            return f"{self.scope}: no block-level calls in this selection."
        return (
            f"{self.scope}: {self.address_share:.0%} of addresses ({self.top_locations:,} of "
            f"{self.locations:,}) produced {self.call_share:.0%} of calls "
            f"({self.top_calls:,} of {self.calls:,})."
        )


def top_share(calls: pd.Series | list[int], share: float = 0.05, scope: str = "All areas") -> TopShare:
    """Calls produced by the busiest ``share`` of locations.

    The top group is ``ceil(share * n)`` locations (at least one), so with 6 locations the top 5%
    is the single busiest one; the sentence states the actual share that this is.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    values = np.sort(np.asarray(list(calls), dtype=int))[::-1]
    n = len(values)
    k = max(1, math.ceil(round(share * n, 9))) if n else 0
    return TopShare(scope, n, int(values.sum()), k, int(values[:k].sum()))


def concentration_by_area(counts: pd.DataFrame, share: float = 0.05) -> pd.DataFrame:
    """Per area (each location in its most frequent area): locations, calls, top share figures."""
    rows = []
    for area, group in counts.groupby("area", sort=True):
        t = top_share(group["calls"], share, scope=str(area))
        rows.append({
            "area": area, "locations": t.locations, "calls": t.calls,
            "top_locations": t.top_locations, "top_calls": t.top_calls,
            "address_share": t.address_share, "call_share": t.call_share,
        })
    columns = ["area", "locations", "calls", "top_locations", "top_calls", "address_share",
               "call_share"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["call_share", "area"], ascending=[False, True]).reset_index(drop=True)


@dataclass(frozen=True)
class Concentration:
    """County-wide and per-area concentration of block-level calls."""

    county: TopShare
    curve: pd.DataFrame
    by_area: pd.DataFrame
    share: float = 0.05


def compute_concentration(
    snapshot: Snapshot, filters: Filters, share: float = 0.05
) -> Concentration:
    """Concentration curve and headline figures for the selection and per area."""
    counts = location_call_counts(snapshot, filters)
    scope = ", ".join(filters.areas) if filters.areas else "All areas"
    return Concentration(
        county=top_share(counts["calls"], share, scope=scope),
        curve=concentration_curve(counts["calls"]),
        by_area=concentration_by_area(counts, share),
        share=share,
    )


# --- area totals (the only place DV and overdose calls count) ---------------------------------


def area_totals(snapshot: Snapshot, filters: Filters, rule: RepeatRule = RepeatRule()) -> pd.DataFrame:
    """Per area: all calls (DV and overdose included), those two, block-level and repeat figures.

    Columns: ``area, all_calls, domestic_violence, substance_use, block_calls,
    repeat_locations, repeat_calls``. Areas are the calls' own areas; a location counts as a
    repeat location in every area where it has calls (rare: blocks on an area line).
    """
    where, params = build_where(filters)
    ctes, rparams = _repeat_ctes(snapshot, filters, rule, contacts=False)
    sql = f"""{ctes},
    all_calls AS (
        SELECT area, count(*) AS all_calls,
               count(*) FILTER (WHERE category = 'domestic_violence') AS domestic_violence,
               count(*) FILTER (WHERE category = 'substance_use') AS substance_use
        FROM calls WHERE {where} GROUP BY area
    ),
    block AS (
        SELECT b.area, count(*) AS block_calls,
               count(DISTINCT r.address) AS repeat_locations,
               count(r.address) AS repeat_calls
        FROM block_calls b LEFT JOIN repeat_addr r USING (address)
        GROUP BY b.area
    )
    SELECT a.area, a.all_calls, a.domestic_violence, a.substance_use,
           coalesce(b.block_calls, 0) AS block_calls,
           coalesce(b.repeat_locations, 0) AS repeat_locations,
           coalesce(b.repeat_calls, 0) AS repeat_calls
    FROM all_calls a LEFT JOIN block b USING (area)
    ORDER BY a.all_calls DESC, a.area
    """
    df = snapshot.query(sql, rparams + params)
    for c in df.columns[1:]:
        df[c] = df[c].astype(int)
    return df


# --- drill-down ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationTimeline:
    """One location's block-level calls and the (block-visible) team contacts on them."""

    address: str
    calls: pd.DataFrame  # call_id, received_at, category, category_label, tier, incident_code, disposition
    contacts: pd.DataFrame  # contact_id, call_id, team_id, program, contact_at, outcome


def location_timeline(snapshot: Snapshot, filters: Filters, address: str) -> LocationTimeline:
    """Calls at ``address`` in the filtered period (DV and overdose never included) and contacts."""
    where, params = _block_where(filters)
    calls = snapshot.query(
        f"""SELECT call_id, received_at, coalesce(category, 'unclassified') AS category, tier,
               incident_code, disposition
        FROM calls WHERE {where} AND address = trim(?) ORDER BY received_at, call_id""",
        params + [address],
    )
    calls["category_label"] = calls["category"].map(lambda c: CATEGORY_LABELS.get(c, c))
    # The contacts of exactly those calls, found among the calls that have one (a list of a
    # busy block's call ids as a parameter cost 65 ms at 5M calls; this, a few).
    contacts = snapshot.query(
        f"""SELECT contact_id, call_id, team_id, program, contact_at, outcome
        FROM {_contacts_source(snapshot)} c WHERE call_id IN (
            SELECT call_id FROM {_contacted_calls_source(snapshot)}
            WHERE {where} AND address = trim(?))
        ORDER BY contact_at, contact_id""",
        params + [address],
    )
    return LocationTimeline(address, calls, contacts)


# --- before / after --------------------------------------------------------------------------


def call_band(calls: int) -> str:
    """The call-count band used to match comparison locations, e.g. '5-9' or '20+'."""
    label = f"{CALL_BANDS[-1]}+"
    for lo, hi in zip(CALL_BANDS, CALL_BANDS[1:], strict=False):
        if lo <= calls < hi:
            label = f"{lo}-{hi - 1}" if hi - 1 > lo else str(lo)
            break
    return label


def count_in_windows(days: np.ndarray, index_day: date, window_days: int) -> tuple[int, int]:
    """Calls in the ``window_days`` days before ``index_day`` and the ``window_days`` days after.

    Before is ``[index - W, index - 1]``, after is ``[index + 1, index + W]``; calls on the index
    day itself count in neither (the contact and the call it answered usually share that day).
    ``days`` must be sorted ``datetime64[D]``.
    """
    idx = np.datetime64(index_day, "D")
    w = np.timedelta64(window_days, "D")
    one = np.timedelta64(1, "D")
    before = np.searchsorted(days, idx, "left") - np.searchsorted(days, idx - w, "left")
    after = np.searchsorted(days, idx + w, "right") - np.searchsorted(days, idx + one, "left")
    return int(before), int(after)


def _days_by_location(loc_calls: pd.DataFrame) -> dict[str, np.ndarray]:
    """``address -> sorted call days`` (one sort and split; a groupby loop is slow at county size)."""
    if loc_calls.empty:
        return {}
    addr = loc_calls["address"].astype(str).to_numpy()
    days = pd.to_datetime(loc_calls["call_date"]).to_numpy(dtype="datetime64[D]")
    order = np.lexsort((days, addr))
    addr, days = addr[order], days[order]
    names, starts = np.unique(addr, return_index=True)
    return dict(zip(names.tolist(), np.split(days, starts[1:]), strict=True))


class _ControlPool:
    """All calls of a group of comparison locations, sorted by day, for fast window counts."""

    def __init__(self, addresses: list[str], days_by_loc: dict[str, np.ndarray]):
        self.size = len(addresses)
        parts = [days_by_loc.get(a, np.array([], dtype="datetime64[D]")) for a in addresses]
        days = np.concatenate(parts) if parts else np.array([], dtype="datetime64[D]")
        owner = np.repeat(np.arange(self.size), [len(p) for p in parts])
        order = np.argsort(days, kind="stable")
        self.days, self.owner = days[order], owner[order]

    def counts(self, index_day: date, window_days: int) -> tuple[np.ndarray, np.ndarray]:
        """Per location: calls in the window before and after ``index_day`` (as count_in_windows)."""
        idx = np.datetime64(index_day, "D")
        w = np.timedelta64(window_days, "D")
        lo = np.searchsorted(self.days, idx - w, "left")
        mid_lo = np.searchsorted(self.days, idx, "left")
        mid_hi = np.searchsorted(self.days, idx, "right")
        hi = np.searchsorted(self.days, idx + w, "right")
        before = np.bincount(self.owner[lo:mid_lo], minlength=self.size)
        after = np.bincount(self.owner[mid_hi:hi], minlength=self.size)
        return before, after


@dataclass
class BeforeAfter:
    """Difference-in-differences style summary of calls before vs after a first team contact."""

    window_days: int
    match_on: str
    locations: pd.DataFrame  # one row per contacted location used
    summary: dict  # treated/comparison means before and after, changes, did
    left_out: dict = field(default_factory=dict)  # reason -> number of contacted locations

    @property
    def empty(self) -> bool:
        return self.locations.empty


def compare_before_after(
    loc_calls: pd.DataFrame,
    locations: pd.DataFrame,
    data_start: date,
    data_end: date,
    window_days: int = 90,
    match_on: str = "area",
) -> BeforeAfter:
    """Before/after counts for contacted locations against similar repeat locations without contact.

    ``loc_calls``: ``address, call_date`` (every call at the candidate locations, any date).
    ``locations``: ``address, area, calls, first_contact`` (NaT when no contact) for the repeat
    locations. A contacted location is used when both windows lie inside ``[data_start,
    data_end]`` (otherwise a window would be cut short). Its comparison group is every repeat
    location without contact in the same area (``match_on='area'``) or the same call-count band
    (``'band'``) that had at least one call in the before window of the contacted location's
    contact date (the pseudo-index date). Each contacted location weighs the same: its comparison
    value is the mean over its group. ``did`` = (treated after - before) - (comparison after -
    before), in mean calls per location.
    """
    if match_on not in MATCH_OPTIONS:
        raise ValueError(f"match_on must be one of {MATCH_OPTIONS}, got {match_on!r}")
    w = int(window_days)
    days_by_loc = _days_by_location(loc_calls)
    empty_days = np.array([], dtype="datetime64[D]")
    locs = locations.copy()
    locs["band"] = locs["calls"].map(call_band)
    contacted = locs[locs["first_contact"].notna()].sort_values("address")
    controls = locs[locs["first_contact"].isna()]
    pools = {key: _ControlPool(list(group["address"]), days_by_loc)
             for key, group in controls.groupby(match_on, sort=False)}
    left_out = {"window outside the data": 0, "no comparison location": 0}
    rows = []
    for t in contacted.itertuples(index=False):
        d0 = pd.Timestamp(t.first_contact).date()
        if d0 - timedelta(days=w) < data_start or d0 + timedelta(days=w) > data_end:
            left_out["window outside the data"] += 1
            continue
        before, after = count_in_windows(days_by_loc.get(t.address, empty_days), d0, w)
        pool = pools.get(t.area if match_on == "area" else t.band)
        c_before, c_after = pool.counts(d0, w) if pool else (np.array([]), np.array([]))
        similar = c_before > 0  # similar: was calling in the before window too
        if not similar.any():
            left_out["no comparison location"] += 1
            continue
        rows.append({
            "address": t.address, "area": t.area, "band": t.band, "first_contact": d0,
            "before": before, "after": after, "comparison_locations": int(similar.sum()),
            "comparison_before": float(c_before[similar].mean()),
            "comparison_after": float(c_after[similar].mean()),
        })
    columns = ["address", "area", "band", "first_contact", "before", "after",
               "comparison_locations", "comparison_before", "comparison_after"]
    table = pd.DataFrame(rows, columns=columns)
    summary: dict = {"locations": len(table)}
    if not table.empty:
        tb, ta = table["before"].mean(), table["after"].mean()
        cb, ca = table["comparison_before"].mean(), table["comparison_after"].mean()
        summary.update({
            "treated_before": float(tb), "treated_after": float(ta),
            "comparison_before": float(cb), "comparison_after": float(ca),
            "treated_change": float(ta - tb), "comparison_change": float(ca - cb),
            "did": float((ta - tb) - (ca - cb)),
        })
    return BeforeAfter(w, match_on, table, summary, left_out)


def before_after(
    snapshot: Snapshot,
    filters: Filters,
    rule: RepeatRule = RepeatRule(),
    window_days: int = 90,
    match_on: str = "area",
) -> BeforeAfter:
    """Before/after a first team contact for the repeat locations of the selection.

    Repeat locations and contacts come from the filtered period; the before/after counts use the
    same call types, tiers and areas but may reach outside the period, up to the data's first and
    last day (windows that would pass those are left out and counted in ``left_out``).
    """
    ranked = find_repeat_locations(snapshot, filters, rule)
    first, last = snapshot.date_range
    if ranked.empty:
        return compare_before_after(
            pd.DataFrame(columns=["address", "call_date"]),
            pd.DataFrame(columns=["address", "area", "calls", "first_contact"]),
            first, last, window_days, match_on,
        )
    all_dates = filters.with_(start=first, end=last)
    block_sql, params = _block_calls_cte(all_dates)
    addresses = list(ranked["address"])
    loc_calls = snapshot.query(
        f"""WITH {block_sql}
        SELECT address, call_date FROM block_calls
        WHERE address IN (SELECT unnest(?::VARCHAR[]))""",
        params + [addresses],
    )
    locations = ranked[["address", "area", "calls", "first_contact"]]
    return compare_before_after(loc_calls, locations, first, last, window_days, match_on)
