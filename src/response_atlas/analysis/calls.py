"""Where and when calls happen: counts and rates by area, hexagon, hour and month.

Pure functions over a :class:`~response_atlas.snapshot.Snapshot`; the SQL runs in DuckDB with the
shared filters (``filters.build_where``). Results are small frames, safe to cache.

Privacy: hexagon counts never include the sensitive categories (domestic violence, substance use /
overdose): those are never shown below area level, to anyone. Display helpers here suppress
counts from 1 to 10 for public views, with one complementary cell where a single hidden count could
be worked out from a shown total.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from response_atlas.filters import Filters, build_where
from response_atlas.publish import (
    Audience,
    combine_keys,
    count_text,
    key_sql,
    publish_column,
    publish_count,
)
from response_atlas.publish import (
    rate as published_rate,
)
from response_atlas.schema import CATEGORIES, SENSITIVE_CATEGORIES, TIERS
from response_atlas.snapshot import Snapshot

HEX_COLUMNS = {"fine": "h3_fine", "coarse": "h3_coarse"}
# Rates built on fewer events than this are unstable (the NCHS rule of thumb for rates).
SMALL_NUMBER = 20
PER = 1000.0
HIDDEN_LABEL = "not shown"  # a rate or change that would reveal a hidden count


COUNT = f"count(*)::BIGINT AS calls, {key_sql('count(*)')} AS calls_key"  # a count and its cell key


def _where(filters: Filters, exclude_sensitive: bool = False) -> tuple[str, list]:
    sql, params = build_where(filters)
    if exclude_sensitive:
        sql += f" AND category NOT IN ({', '.join('?' * len(SENSITIVE_CATEGORIES))})"
        params = [*params, *SENSITIVE_CATEGORIES]
    return sql, params


def _rate_sql(count_sql: str) -> str:
    """Per 1,000 residents of ``area_facts``, to 2 decimals; NULL for an area without residents.

    (``round_even`` everywhere here: halves to even, as pandas rounds every other figure.)"""
    return f"round_even(({count_sql}) * {PER} / CASE WHEN f.population > 0 THEN f.population END, 2)"


def _every_area_sql(filters: Filters, counts_sql: str, count_columns: list[str],
                    extra: str = "") -> tuple[str, list]:
    """SQL with ``area, kind, population`` of every area (those the filters name) and the count
    columns of ``counts_sql`` (a query grouped by ``area``) joined on, zeros where an area has
    none; ``extra`` adds select items over ``f`` (area facts) and ``c`` (the counts)."""
    counts = ", ".join(f"coalesce(c.{column}, 0)::BIGINT AS {column}" for column in count_columns)
    sql = (f"WITH c AS ({counts_sql}) SELECT f.area, f.kind, f.population, {counts}{extra} "
           "FROM area_facts f LEFT JOIN c ON c.area = f.area")
    if not filters.areas:
        return sql, []
    return sql + f" WHERE f.area IN ({', '.join('?' * len(filters.areas))})", list(filters.areas)


def area_counts(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Calls and calls per 1,000 residents for every area (zeros included).

    Columns ``area, kind, population, calls, rate_per_1000``, busiest first. When the filters
    name areas, only those are listed. Calls outside the county or without a location are not in
    any area (see :func:`total_calls`).
    """
    where, params = _where(filters)
    sql, area_params = _every_area_sql(
        filters, f"SELECT area, {COUNT} FROM calls WHERE {where} GROUP BY area",
        ["calls"], f", {_rate_sql('coalesce(c.calls, 0)')} AS rate_per_1000, "
        "coalesce(c.calls_key, 0::UBIGINT) AS calls_key")
    return snapshot.query(f"{sql} ORDER BY calls DESC, area", [*params, *area_params])


def total_calls(snapshot: Snapshot, filters: Filters) -> dict[str, int]:
    """All matching calls, and how many fell outside the county, inside it but outside the
    areas (``outside_areas``), or had no location."""
    where, params = _where(filters)
    row = snapshot.query(
        "SELECT count(*) AS calls, "
        "count(*) FILTER (WHERE location_status = 'outside_county') AS outside, "
        f"{key_sql(OUTSIDE)} AS outside_key, "
        f"{OUTSIDE_AREAS} AS outside_areas, "
        f"{key_sql(OUTSIDE_AREAS)} AS outside_areas_key, "
        f"{NO_LOCATION} AS no_location, "
        f"{key_sql(NO_LOCATION)} AS no_location_key "
        f"FROM calls WHERE {where}",
        params,
    ).iloc[0]
    return {k: int(row[k]) for k in ("calls", "outside", "outside_areas", "no_location",
                                      "outside_key", "outside_areas_key", "no_location_key")}


OUTSIDE = "count(*) FILTER (WHERE location_status = 'outside_county')"
OUTSIDE_AREAS = "count(*) FILTER (WHERE location_status = 'outside_areas')"
NO_LOCATION = "count(*) FILTER (WHERE location_status = 'no_location')"
UNMAPPED = ("outside", "outside_areas", "no_location")


def published_totals(totals: dict[str, int], audience: Audience) -> dict[str, str]:
    """The unmapped calls (outside the areas, outside the county, no location) as published
    text."""
    return {k: count_text(publish_count(totals[k], totals[f"{k}_key"], audience), audience)
            for k in UNMAPPED}


def county_rate(snapshot: Snapshot, filters: Filters) -> float:
    """Calls in the listed areas per 1,000 of their residents (NaN without population)."""
    counts = area_counts(snapshot, filters)
    pop = pd.to_numeric(counts["population"], errors="coerce").sum()
    return round(float(counts["calls"].sum()) * PER / pop, 2) if pop > 0 else float("nan")


def hex_counts(snapshot: Snapshot, filters: Filters, resolution: str = "fine") -> pd.DataFrame:
    """Calls per H3 cell (``h3_cell, calls``), sensitive categories always left out."""
    if resolution not in HEX_COLUMNS:
        raise ValueError(f"resolution must be one of {sorted(HEX_COLUMNS)}, not {resolution!r}")
    column = HEX_COLUMNS[resolution]
    where, params = _where(filters, exclude_sensitive=True)
    return snapshot.query(
        f"SELECT {column} AS h3_cell, {COUNT} FROM calls "
        f"WHERE {where} AND {column} IS NOT NULL GROUP BY 1 ORDER BY calls DESC, h3_cell",
        params,
    )


def hour_weekday_matrix(snapshot: Snapshot, filters: Filters,
                        audience: Audience | None = None) -> pd.DataFrame:
    """Calls by hour (rows 0-23) and weekday (columns 0=Monday .. 6), zeros filled.

    On the public grid domestic violence and overdose calls are left out (never below area by
    month); with an ``audience`` every cell is published (NaN = suppressed)."""
    where, params = _where(filters, exclude_sensitive=filters.public_grid)
    long = snapshot.query(
        f"SELECT hour, weekday, {COUNT} FROM calls WHERE {where} GROUP BY 1, 2", params
    )
    if audience is not None:
        long = publish_column(long, "calls", audience)
    grid = np.zeros((24, 7), dtype="float64" if audience is not None else "int64")
    grid[long["hour"].to_numpy(), long["weekday"].to_numpy()] = long["calls"].to_numpy()
    return pd.DataFrame(grid, index=pd.RangeIndex(24, name="hour"),
                        columns=pd.RangeIndex(7, name="weekday"))


def _months(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def monthly_trend(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Calls per month and category (``call_month, category, calls``), zero months filled in."""
    where, params = _where(filters)
    return snapshot.query_columns(
        f"WITH n AS (SELECT call_month, category, {COUNT} FROM calls WHERE {where} "
        "GROUP BY 1, 2), "
        "months AS (SELECT unnest(generate_series(?::DATE, ?::DATE, INTERVAL 1 MONTH))::DATE "
        "AS call_month), "
        "cats AS (SELECT DISTINCT category FROM n WHERE list_contains(?, category)) "
        "SELECT m.call_month, k.category, coalesce(n.calls, 0)::BIGINT AS calls, "
        "coalesce(n.calls_key, 0::UBIGINT) AS calls_key "
        "FROM months m CROSS JOIN cats k "
        "LEFT JOIN n ON n.call_month = m.call_month AND n.category = k.category "
        "ORDER BY m.call_month, list_position(?, k.category)",
        [*params, filters.start.replace(day=1), filters.end, list(CATEGORIES), list(CATEGORIES)],
    )


@dataclass(frozen=True)
class AreaPanel:
    """Everything the area panel shows for one area."""

    area: str
    calls: int
    population: float
    rate_per_1000: float
    county_rate_per_1000: float
    by_category: pd.DataFrame  # category, calls
    by_tier: pd.DataFrame  # tier, calls
    trend: pd.DataFrame  # call_month, calls
    busiest_hours: pd.DataFrame  # hour, calls (top 3)
    top_codes: pd.DataFrame  # incident_code, calls (top 5)
    calls_key: int = 0  # cell keys of the area's and the county's counts (see publish.py)
    county_calls: int = 0
    county_key: int = 0
    county_population: float = float("nan")

    @property
    def rate_ratio(self) -> float:
        """The area's rate over the county's (1.0 = same as the county)."""
        if not self.county_rate_per_1000 or np.isnan(self.county_rate_per_1000):
            return float("nan")
        return round(self.rate_per_1000 / self.county_rate_per_1000, 2)


def area_panel(snapshot: Snapshot, filters: Filters, area: str) -> AreaPanel:
    """Counts by category and tier, monthly trend, busiest hours, top codes, rate vs county."""
    counts = area_counts(snapshot, filters.with_(areas=()))
    row = counts[counts["area"] == area]
    if row.empty:
        raise ValueError(f"Unknown area: {area!r}")
    row = row.iloc[0]
    scoped = filters.with_(areas=(area,))
    where, params = _where(scoped)

    def grouped(column: str, order: str, limit: int | None = None,
                sensitive: bool = True) -> pd.DataFrame:
        w, p = (where, params) if sensitive else _where(scoped, exclude_sensitive=True)
        sql = (f"SELECT {column}, {COUNT} FROM calls WHERE {w} "
               f"GROUP BY 1 ORDER BY {order}")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return snapshot.query(sql, p)

    by_category = grouped("category", "calls DESC, category")
    by_tier = grouped("tier", "calls DESC, tier")
    by_tier["tier"] = pd.Categorical(by_tier["tier"], categories=list(TIERS), ordered=True)
    trend = grouped("call_month", "call_month")
    if not trend.empty:
        trend["call_month"] = pd.to_datetime(trend["call_month"]).dt.date
        trend = (trend.set_index("call_month")["calls"]
                 .reindex(_months(filters.start, filters.end), fill_value=0)
                 .rename_axis("call_month").reset_index()
                 .merge(trend[["call_month", "calls_key"]], on="call_month", how="left")
                 .fillna({"calls_key": 0}))
    population = pd.to_numeric(counts["population"], errors="coerce").sum()
    return AreaPanel(
        area=area,
        calls=int(row["calls"]),
        population=float(row["population"]) if pd.notna(row["population"]) else float("nan"),
        rate_per_1000=float(row["rate_per_1000"]),
        county_rate_per_1000=county_rate(snapshot, filters.with_(areas=())),
        by_category=by_category,
        by_tier=by_tier.sort_values("tier").reset_index(drop=True),
        trend=trend,
        # hours on the public grid leave domestic violence and overdose out (area by month only)
        busiest_hours=grouped("hour", "calls DESC, hour", 3, sensitive=not filters.public_grid),
        top_codes=grouped("incident_code", "calls DESC, incident_code", 5),
        calls_key=int(row["calls_key"]),
        county_calls=int(counts["calls"].sum()),
        county_key=combine_keys(counts["calls_key"]),
        county_population=float(population),
    )


def publish_panel(panel: AreaPanel, audience: Audience) -> AreaPanel:
    """The area panel as published for ``audience``: every count through the publish step
    (NaN = suppressed), the area's and the county's rates from the published counts."""
    calls = publish_count(panel.calls, panel.calls_key, audience)
    county = publish_count(panel.county_calls, panel.county_key, audience)
    county_rate_value = round(published_rate(county, panel.county_population), 2)
    rate_value = published_rate(calls, panel.population)
    hours = publish_column(panel.busiest_hours, "calls", audience)
    if audience.public:  # rank by what is published, so the order says no more than the counts
        hours = hours.sort_values(["calls", "hour"], ascending=[False, True], na_position="last")
    return dataclasses.replace(
        panel, calls=calls, rate_per_1000=round(rate_value, 2) if rate_value == rate_value
        else rate_value, county_rate_per_1000=county_rate_value,
        by_category=publish_column(panel.by_category, "calls", audience),
        by_tier=publish_column(panel.by_tier, "calls", audience),
        trend=publish_column(panel.trend, "calls", audience) if "calls_key" in panel.trend
        else panel.trend,
        busiest_hours=hours.reset_index(drop=True),
        top_codes=publish_column(panel.top_codes, "calls", audience),
        calls_key=0, county_calls=0, county_key=0)


def period_comparison(
    snapshot: Snapshot,
    filters: Filters,
    before: tuple[date, date],
    after: tuple[date, date],
) -> pd.DataFrame:
    """Change in calls and rate per area between two date ranges (other filters kept).

    Columns ``area, population, calls_before, calls_after, change, pct_change, rate_before,
    rate_after, rate_change, small_numbers``; ``small_numbers`` is True when either period has
    fewer than 20 calls (the change is then mostly noise). Rates are per 1,000 residents per
    period (the two periods should have the same length to compare rates).
    """
    # One scan over both periods (and any days between them), each counted by its own filter.
    where, params = _where(filters.with_(start=min(before[0], after[0]),
                                         end=max(before[1], after[1])))
    in_before = "count(*) FILTER (WHERE call_date BETWEEN ? AND ?)"
    in_after = "count(*) FILTER (WHERE call_date BETWEEN ? AND ?)"
    counts_sql = (f"SELECT area, {in_before} AS calls_before, {in_after} AS calls_after, "
                  f"{key_sql(in_before)} AS calls_before_key, {key_sql(in_after)} AS calls_after_key "
                  f"FROM calls WHERE {where} GROUP BY area")
    rates = "".join(f", {_rate_sql(f'coalesce(c.calls_{p}, 0)')} AS rate_{p}"
                    for p in ("before", "after"))
    rates += "".join(f", coalesce(c.calls_{p}_key, 0::UBIGINT) AS calls_{p}_key"
                     for p in ("before", "after"))
    sql, area_params = _every_area_sql(filters, counts_sql, ["calls_before", "calls_after"], rates)
    return snapshot.query(
        "SELECT area, population, calls_before, calls_after, calls_after - calls_before AS change, "
        "round_even((calls_after - calls_before) * 100.0 / nullif(calls_before, 0), 1) AS pct_change, "
        "rate_before, rate_after, round_even(rate_after - rate_before, 2) AS rate_change, "
        f"least(calls_before, calls_after) < {SMALL_NUMBER} AS small_numbers, "
        f"calls_before_key, calls_after_key FROM ({sql}) ORDER BY change DESC, area",
        [*before, *after, *before, *after, *params, *area_params])


# --- publishing (every public figure goes through response_atlas.publish) -------------------


def publish_area_counts(counts: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """:func:`area_counts` as published: calls through the publish step (NaN = suppressed), the
    rate from the published count, no keys."""
    out = publish_column(counts, "calls", audience)
    out["rate_per_1000"] = [round(published_rate(c, p), 2) for c, p in
                            zip(out["calls"], pd.to_numeric(out["population"], errors="coerce"),
                                strict=True)]
    return out


def publish_hexes(hexes: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """Hexagons as published: suppressed ones are dropped (not drawn, not in the heat)."""
    out = publish_column(hexes, "calls", audience)
    return out[out["calls"].notna()].reset_index(drop=True)


def publish_trend(trend: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """:func:`monthly_trend` as published (NaN = suppressed: a gap in the line)."""
    return publish_column(trend, "calls", audience)


def publish_comparison(comparison: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """:func:`period_comparison` as published: both counts through the publish step; change,
    percent change and rates from the published counts (NaN when a count is hidden)."""
    out = publish_column(publish_column(comparison, "calls_before", audience),
                         "calls_after", audience)
    before, after = out["calls_before"], out["calls_after"]
    out["change"] = after - before
    out["pct_change"] = (out["change"] * 100.0 / before.where(before > 0)).round(1)
    population = pd.to_numeric(out["population"], errors="coerce")
    for p in ("before", "after"):
        out[f"rate_{p}"] = [round(published_rate(c, n), 2)
                            for c, n in zip(out[f"calls_{p}"], population, strict=True)]
    out["rate_change"] = (out["rate_after"] - out["rate_before"]).round(2)
    # "small numbers" from what is published (a hidden count is small too)
    out["small_numbers"] = ~(np.minimum(before, after) >= SMALL_NUMBER)  # NaN compares False
    return out.sort_values(["change", "area"], ascending=[False, True], na_position="last"
                           ).reset_index(drop=True)


def text_columns(
    df: pd.DataFrame, count_col: str, derived_cols: tuple[str, ...], audience: Audience,
    always_text: bool = False,
) -> pd.DataFrame:
    """A display copy of a published frame: a suppressed count (NaN) reads "fewer than 11", its
    derived columns "not shown". The touched columns become text (one type per column); for
    staff they stay numbers unless ``always_text``."""
    out = df.copy()
    if not (audience.public or always_text):  # staff: exact whole counts, numbers stay numbers
        out[count_col] = out[count_col].astype("Int64")
        return out
    hidden = out[count_col].isna()
    out[count_col] = [count_text(v, audience) for v in out[count_col]]
    for column in derived_cols:
        # whole numbers (a change in calls) stay whole; rates and percentages get one decimal
        fmt = "{:,.0f}" if column == "change" else "{:,.1f}"
        out[column] = [HIDDEN_LABEL if hide else _text(v, fmt)
                       for hide, v in zip(hidden, out[column], strict=True)]
    return out


def _text(value: object, fmt: str) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None or pd.isna(value) else fmt.format(value)


def area_table(published: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """The table of areas (``published`` from :func:`publish_area_counts`) for display and
    download, with plain-language column names."""
    counts = published.assign(
        kind=published["kind"].str.replace("_", " ").str.capitalize(),  # "Cincinnati neighborhood"
        population=published["population"].round().astype("Int64"),  # residents are whole people
    )
    if audience.public:
        counts = text_columns(counts, "calls", ("rate_per_1000",), audience)
    else:  # exact counts, one decimal for rates, as the public table writes them
        counts = counts.assign(calls=counts["calls"].astype("int64"),
                               rate_per_1000=counts["rate_per_1000"].round(1))
    return counts.rename(columns={
        "area": "Area", "kind": "Kind", "population": "Residents", "calls": "Calls",
        "rate_per_1000": "Calls per 1,000 residents",
    })
