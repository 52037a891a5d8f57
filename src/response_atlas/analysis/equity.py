"""Equity figures: per-capita rates by area, rates by demographic group, rate ratios and trends.

Pure (no streamlit). Counts come from the snapshot through SQL with the shared filters; population
and demographics from the area facts (``Snapshot.areas``). Everything here is *raw*: small counts
are hidden later, in :func:`public_view`, before anything is displayed.

Conventions (said in plain words on the page, see :func:`definitions`):
- a rate is per 1,000 residents over the selected period (not per year);
- a group's rate is the sum of its areas' counts over the sum of their population;
- a rate ratio compares a group's rate with the reference group's; its 95% confidence interval
  uses the log rate ratio with Poisson counts, SE = sqrt(1/a + 1/b).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from response_atlas.analysis.suppression import (
    format_derived,
)
from response_atlas.filters import Filters, build_where
from response_atlas.publish import (
    Audience,
    as_key,
    combine_keys,
    count_text,
    key_sql,
    method_note,
    publish_count,
)
from response_atlas.schema import LOCATION_IN_AREA

PER = 1000
Z95 = 1.959963984540054
SMALL_FOR_RATIO = 30  # below this, a ratio is shown with a plain "small numbers" warning
POPULATION_SOURCE = (
    "American Community Survey (ACS) 2023 5-year estimates, Census Bureau, carried from census "
    "tracts to areas by area-weighted interpolation (the area facts file)"
)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # column / axis label
    noun: str  # for sentences: "calls", "arrests after calls"
    sql: str  # aggregate over calls ``c`` LEFT JOIN served ``s``


MEASURES: dict[str, Measure] = {
    "calls": Measure("calls", "911 calls", "calls to 911", "count(*)"),
    "eligible": Measure(
        "eligible", "Calls eligible for an alternative response", "calls eligible for an alternative response",
        "count(*) FILTER (WHERE c.tier = 'alternative')",
    ),
    "served": Measure(
        "served", "Calls answered by a crisis team", "calls answered by a crisis team",
        "count(*) FILTER (WHERE s.call_id IS NOT NULL)",
    ),
    "arrests": Measure(
        "arrests", "Calls that ended in an arrest", "calls that ended in an arrest",
        "count(*) FILTER (WHERE c.arrest)",
    ),
}

DEMOGRAPHICS = {
    "pct_black": ("Share of residents who are Black", "of residents are Black"),
    "pct_poverty": ("Share of residents in poverty", "of residents live in poverty"),
}
DEFAULT_CUTS = {"pct_black": (10.0, 25.0, 50.0), "pct_poverty": (10.0, 20.0, 30.0)}


@dataclass(frozen=True)
class Grouping:
    """How areas are grouped: by ``column`` into population quintiles or bands at ``cuts`` (%)."""

    column: str = "pct_black"
    method: str = "bands"  # "bands" or "quintiles"
    cuts: tuple[float, ...] = field(default=())

    def effective_cuts(self) -> tuple[float, ...]:
        return tuple(sorted(self.cuts)) if self.cuts else DEFAULT_CUTS[self.column]


class EquityInputError(ValueError):
    """Bad equity options; lists every problem at once."""


def validate_grouping(grouping: Grouping) -> None:
    """Raise :class:`EquityInputError` listing every problem with ``grouping``."""
    problems = []
    if grouping.column not in DEMOGRAPHICS:
        problems.append(f"unknown demographic '{grouping.column}' (use {', '.join(DEMOGRAPHICS)})")
    if grouping.method not in ("bands", "quintiles"):
        problems.append(f"unknown grouping method '{grouping.method}' (use bands or quintiles)")
    bad = [c for c in grouping.cuts if not (0 < c < 100)]
    if bad:
        problems.append(f"band limits must be between 0 and 100: {bad}")
    if len(set(grouping.cuts)) != len(grouping.cuts):
        problems.append("band limits must differ")
    if problems:
        raise EquityInputError("; ".join(problems))


def parse_cuts(text: str) -> tuple[float, ...]:
    """``"10, 25, 50"`` -> ``(10.0, 25.0, 50.0)``; raises :class:`EquityInputError` on bad text."""
    parts = [p.strip().rstrip("%") for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        cuts = tuple(sorted(float(p) for p in parts))
    except ValueError as err:
        raise EquityInputError(f"band limits must be numbers separated by commas: '{text}'") from err
    validate_grouping(Grouping("pct_black", "bands", cuts))
    return cuts


# --- grouping ---------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{x:g}%"


def band_groups(values: pd.Series, cuts: Sequence[float], phrase: str) -> tuple[pd.Series, dict]:
    """Assign each value to a band ``[lo, hi)``; returns labels and ``label -> description``."""
    edges = [-math.inf, *sorted(cuts), math.inf]
    labels, descriptions = [], {}
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if lo == -math.inf:
            label, desc = f"Under {_pct(hi)}", f"areas where under {_pct(hi)} {phrase}"
        elif hi == math.inf:
            label, desc = f"{_pct(lo)} or more", f"areas where {_pct(lo)} or more {phrase}"
        else:
            label = f"{_pct(lo)} to under {_pct(hi)}"
            desc = f"areas where {_pct(lo)} to under {_pct(hi)} {phrase}"
        labels.append(label)
        descriptions[label] = desc
    codes = np.searchsorted(np.asarray(sorted(cuts), dtype=float), values.to_numpy(float), side="right")
    out = pd.Series([labels[i] for i in codes], index=values.index)
    return pd.Series(pd.Categorical(out, categories=labels, ordered=True), index=values.index), descriptions


def quintile_groups(
    values: pd.Series, population: pd.Series, phrase: str
) -> tuple[pd.Series, dict]:
    """Population-weighted quintiles: each fifth holds about a fifth of the residents.

    Areas are sorted by value; an area falls in the fifth that holds the midpoint of its residents
    on the cumulative population scale. Labels give the value range inside each fifth.
    """
    order = values.sort_values(kind="mergesort").index
    pop = population.reindex(order).astype(float)
    total = float(pop.sum())
    mid = (pop.cumsum() - pop / 2) / total if total > 0 else pop * 0
    fifth = np.minimum((mid.to_numpy() * 5).astype(int) + 1, 5)
    q = pd.Series(fifth, index=order)
    names = {1: "lowest", 2: "second", 3: "middle", 4: "fourth", 5: "highest"}
    labels, descriptions = {}, {}
    for k in sorted(q.unique()):
        members = values.reindex(q.index[q == k])
        lo, hi = float(members.min()), float(members.max())
        span = _pct(round(lo, 1)) if lo == hi else f"{_pct(round(lo, 1))}-{_pct(round(hi, 1))}"
        label = f"Q{k} {names[k]} ({span})"
        labels[k] = label
        descriptions[label] = f"areas in the {names[k]} fifth ({span} {phrase})"
    ordered = [labels[k] for k in sorted(labels)]
    out = q.map(labels).reindex(values.index)
    return pd.Series(pd.Categorical(out, categories=ordered, ordered=True), index=values.index), descriptions


def assign_groups(facts: pd.DataFrame, grouping: Grouping) -> tuple[pd.Series, dict]:
    """Group label per area (index of ``facts``) and ``label -> plain description``."""
    validate_grouping(grouping)
    phrase = DEMOGRAPHICS[grouping.column][1]
    values = facts[grouping.column].astype(float)
    if grouping.method == "quintiles":
        return quintile_groups(values, facts["population"], phrase)
    return band_groups(values, grouping.effective_cuts(), phrase)


# --- statistics -------------------------------------------------------------------------------
def rate_per(count: float, population: float, per: int = PER) -> float:
    """``count`` per ``per`` residents; NaN when the population is missing or zero."""
    if population is None or pd.isna(population) or population <= 0:
        return math.nan
    return float(count) / float(population) * per


def poisson_rate_ci(count: float, population: float, per: int = PER) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson rate per ``per`` residents."""
    if population is None or pd.isna(population) or population <= 0:
        return math.nan, math.nan
    lo = 0.0 if count <= 0 else stats.chi2.ppf(0.025, 2 * count) / 2
    hi = stats.chi2.ppf(0.975, 2 * count + 2) / 2
    return lo / population * per, hi / population * per


def rate_ratio_ci(
    a: float, pop_a: float, b: float, pop_b: float
) -> tuple[float, float, float]:
    """Rate ratio (a/pop_a)/(b/pop_b) and its 95% interval from the log ratio, SE = sqrt(1/a+1/b).

    NaN when a count or population is zero (no log, no interval).
    """
    if min(a, b) <= 0 or min(pop_a, pop_b) <= 0:
        return math.nan, math.nan, math.nan
    ratio = (a / pop_a) / (b / pop_b)
    se = math.sqrt(1 / a + 1 / b)
    return ratio, math.exp(math.log(ratio) - Z95 * se), math.exp(math.log(ratio) + Z95 * se)


# --- queries ----------------------------------------------------------------------------------
def _served_join(snapshot) -> str:
    if snapshot.has_table("contacts"):
        return ("LEFT JOIN (SELECT DISTINCT call_id FROM contacts WHERE call_id IS NOT NULL) s "
                "ON s.call_id = c.call_id")
    return "LEFT JOIN (SELECT NULL::VARCHAR AS call_id WHERE false) s ON s.call_id = c.call_id"


def _measure_sql() -> str:
    """Each measure's count and its cell key (publish.py: the xor of the counted calls' hashes)."""
    return ", ".join(f"{m.sql} AS {m.key}, {key_sql(m.sql, 'c.call_id')} AS {m.key}_key"
                     for m in MEASURES.values())


def _python_keys(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Key columns as Python ints (object dtype): a join that adds missing rows would otherwise
    turn 64-bit keys into floats."""
    for column in columns:
        frame[column] = pd.Series([int(v) for v in frame[column]], index=frame.index, dtype=object)
    return frame


def area_facts(snapshot) -> pd.DataFrame:
    """Population and demographics per area (index ``area``), areas with residents only."""
    facts = pd.DataFrame(snapshot.areas.drop(columns="geometry"))
    facts = facts[["area", "population", "pct_black", "pct_poverty"]].copy()
    facts["population"] = pd.to_numeric(facts["population"], errors="coerce")
    facts = facts[facts["population"] > 0]
    return facts.set_index("area")


def query_area_counts(snapshot, filters: Filters) -> pd.DataFrame:
    """Counts per area (calls located in an area only) and the median response time."""
    where, params = build_where(filters, "c")
    sql = f"""
        SELECT c.area, {_measure_sql()},
               count(c.response_min) AS response_n,
               median(c.response_min) AS median_response_min
        FROM calls c {_served_join(snapshot)}
        WHERE {where} AND c.location_status = ?
        GROUP BY c.area
    """
    out = snapshot.query(sql, [*params, LOCATION_IN_AREA]).set_index("area")
    return _python_keys(out, [f"{k}_key" for k in MEASURES])


def query_unlocated(snapshot, filters: Filters) -> int:
    """Calls matching the filters that are in no area (outside the county or no location)."""
    where, params = build_where(filters, "c")
    sql = f"SELECT count(*) FROM calls c WHERE {where} AND c.location_status <> ?"
    return int(snapshot.query(sql, [*params, LOCATION_IN_AREA]).iloc[0, 0])


def _values_sql(mapping: pd.Series) -> tuple[str, list]:
    rows = [(str(a), str(g)) for a, g in mapping.items() if pd.notna(g)]
    if not rows:
        return "SELECT NULL::VARCHAR AS area, NULL::VARCHAR AS grp WHERE false", []
    sql = "SELECT * FROM (VALUES " + ", ".join("(?, ?)" for _ in rows) + ") AS t(area, grp)"
    return sql, [x for row in rows for x in row]


def query_group_medians(snapshot, filters: Filters, groups: pd.Series) -> pd.DataFrame:
    """Median response minutes per group over all its calls (not a median of area medians)."""
    where, params = build_where(filters, "c")
    values_sql, values_params = _values_sql(groups)
    sql = f"""
        WITH g AS ({values_sql})
        SELECT g.grp AS "group", count(c.response_min) AS response_n,
               median(c.response_min) AS median_response_min
        FROM calls c JOIN g ON g.area = c.area
        WHERE {where}
        GROUP BY g.grp
    """
    return snapshot.query(sql, [*values_params, *params]).set_index("group")


def query_group_periods(
    snapshot, filters: Filters, groups: pd.Series, measure: str, freq: str = "quarter"
) -> pd.DataFrame:
    """Counts of ``measure`` per period (month or quarter) and group."""
    if freq not in ("month", "quarter"):
        raise EquityInputError(f"unknown period '{freq}' (use month or quarter)")
    where, params = build_where(filters, "c")
    values_sql, values_params = _values_sql(groups)
    sql = f"""
        WITH g AS ({values_sql})
        SELECT CAST(date_trunc('{freq}', c.call_date) AS DATE) AS period, g.grp AS "group",
               {MEASURES[measure].sql} AS count,
               {key_sql(MEASURES[measure].sql, 'c.call_id')} AS count_key
        FROM calls c {_served_join(snapshot)} JOIN g ON g.area = c.area
        WHERE {where}
        GROUP BY 1, 2 ORDER BY 1, 2
    """
    return _python_keys(snapshot.query(sql, [*values_params, *params]), ["count_key"])


def query_launch_date(snapshot) -> date | None:
    """Program launch: the date of the first team contact in the snapshot (None without any)."""
    if not snapshot.has_table("contacts"):
        return None
    value = snapshot.query("SELECT min(contact_at) FROM contacts").iloc[0, 0]
    return None if pd.isna(value) else pd.Timestamp(value).date()


# --- the report -------------------------------------------------------------------------------
@dataclass
class EquityReport:
    """Raw figures (small counts included): pass through :func:`public_view` before display."""

    areas: pd.DataFrame  # index area: facts, group, counts, rates, median response
    groups: pd.DataFrame  # index group: description, areas, population, counts, rates, CIs
    ratios: pd.DataFrame  # index group: per measure ratio vs reference and interval
    trend: pd.DataFrame  # period, group, count, population, rate, ratio, lo, hi, phase
    phases: pd.DataFrame  # phase, group, count, population, rate, ratio, lo, hi
    grouping: Grouping
    reference: str
    measure: str
    launch: date | None
    unlocated: int
    freq: str


def _ratio_rows(counts: pd.Series, pops: pd.Series, reference: str) -> pd.DataFrame:
    b, pop_b = float(counts.get(reference, 0)), float(pops.get(reference, 0))
    rows = []
    for group in counts.index:
        ratio, lo, hi = rate_ratio_ci(float(counts[group]), float(pops[group]), b, pop_b)
        rows.append({"group": group, "ratio": ratio, "ratio_lo": lo, "ratio_hi": hi})
    return pd.DataFrame(rows).set_index("group")


def build_equity_report(
    snapshot,
    filters: Filters,
    grouping: Grouping = Grouping(),
    reference: str | None = None,
    measure: str = "calls",
    freq: str = "quarter",
) -> EquityReport:
    """Every equity figure for the filters; groups are fixed county-wide, before area filters."""
    if measure not in MEASURES:
        raise EquityInputError(f"unknown measure '{measure}' (use {', '.join(MEASURES)})")
    facts = area_facts(snapshot)
    group_of, descriptions = assign_groups(facts, grouping)
    counts = query_area_counts(snapshot, filters)
    areas = facts.copy()
    areas["group"] = group_of
    areas = areas.join(counts, how="left")
    if filters.areas:
        areas = areas[areas.index.isin(filters.areas)]
    for key in [*MEASURES, "response_n"]:
        areas[key] = areas[key].fillna(0).astype(int)
    for key in MEASURES:
        areas[f"{key}_key"] = areas[f"{key}_key"].map(as_key).astype(object)
    for key in MEASURES:
        areas[f"{key}_rate"] = areas[key] / areas["population"] * PER
    areas.index.name = "area"

    present = areas["group"].cat.remove_unused_categories()
    order = list(present.cat.categories)
    groups = areas.groupby("group", observed=True)[["population", *MEASURES]].sum().reindex(order)
    groups["areas"] = areas.groupby("group", observed=True).size().reindex(order)
    for key in MEASURES:  # a group is the union of its areas: the xor of their keys
        groups[f"{key}_key"] = (areas.groupby("group", observed=True)[f"{key}_key"]
                                .agg(combine_keys).reindex(order).astype(object))
    groups["description"] = [descriptions[g] for g in order]
    for key in MEASURES:
        groups[f"{key}_rate"] = groups[key] / groups["population"] * PER
        cis = [poisson_rate_ci(c, p) for c, p in zip(groups[key], groups["population"], strict=True)]
        groups[f"{key}_rate_lo"] = [c[0] for c in cis]
        groups[f"{key}_rate_hi"] = [c[1] for c in cis]
    area_group = areas["group"].astype(str)
    medians = query_group_medians(snapshot, filters, area_group)
    groups = groups.join(medians, how="left")
    groups["response_n"] = groups["response_n"].fillna(0).astype(int)
    groups.index.name = "group"

    if reference not in order:
        reference = order[0] if order else ""
    ratios = pd.concat(
        {key: _ratio_rows(groups[key], groups["population"], reference) for key in MEASURES},
        axis=1,
    ) if order else pd.DataFrame()

    trend, phases = _trend_and_phases(snapshot, filters, area_group, groups, reference, measure, freq)
    return EquityReport(
        areas=areas, groups=groups, ratios=ratios, trend=trend, phases=phases, grouping=grouping,
        reference=reference, measure=measure, launch=query_launch_date(snapshot),
        unlocated=query_unlocated(snapshot, filters), freq=freq,
    )


def _trend_and_phases(snapshot, filters, area_group, groups, reference, measure, freq):
    cols = ["period", "group", "count", "population", "rate", "ratio", "ratio_lo", "ratio_hi"]
    launch = query_launch_date(snapshot)
    raw = query_group_periods(snapshot, filters, area_group, measure, freq)
    if raw.empty or groups.empty:
        return pd.DataFrame(columns=[*cols, "phase"]), pd.DataFrame(columns=["phase", *cols[1:]])
    periods = sorted(pd.to_datetime(raw["period"]).dt.date.unique())
    full = pd.MultiIndex.from_product([periods, list(groups.index)], names=["period", "group"])
    raw["period"] = pd.to_datetime(raw["period"]).dt.date
    indexed = raw.set_index(["period", "group"])
    trend = indexed["count"].reindex(full, fill_value=0).reset_index()
    trend["count_key"] = indexed["count_key"].reindex(full).map(as_key).astype(object).to_numpy()
    trend["population"] = trend["group"].map(groups["population"]).astype(float)
    trend["rate"] = trend["count"] / trend["population"] * PER
    trend = _add_ratios(trend, "period", reference)
    trend["phase"] = [
        "After launch" if launch and p >= _period_start(launch, freq) else "Before launch"
        for p in trend["period"]
    ]
    phases = (trend.groupby(["phase", "group"], sort=False)
              .agg(count=("count", "sum"), count_key=("count_key", combine_keys)).reset_index())
    phases["population"] = phases["group"].map(groups["population"]).astype(float)
    phases["rate"] = phases["count"] / phases["population"] * PER
    phases = _add_ratios(phases, "phase", reference)
    return trend, phases


def _period_start(day: date, freq: str) -> date:
    month = day.month if freq == "month" else 3 * ((day.month - 1) // 3) + 1
    return date(day.year, month, 1)


def _add_ratios(frame: pd.DataFrame, by: str, reference: str) -> pd.DataFrame:
    out = []
    for _, part in frame.groupby(by, sort=False):
        ref = part[part["group"] == reference]
        b = float(ref["count"].iloc[0]) if len(ref) else 0.0
        pop_b = float(ref["population"].iloc[0]) if len(ref) else 0.0
        vals = [rate_ratio_ci(float(a), float(p), b, pop_b)
                for a, p in zip(part["count"], part["population"], strict=True)]
        part = part.assign(ratio=[v[0] for v in vals], ratio_lo=[v[1] for v in vals],
                           ratio_hi=[v[2] for v in vals])
        out.append(part)
    return pd.concat(out, ignore_index=True)


# --- published ---------------------------------------------------------------------------------
@dataclass
class PublicEquity:
    """Display frames only, from published counts (``response_atlas.publish``): a suppressed
    count is text ("fewer than 11"), every other public count is rounded, and every rate,
    interval and ratio is computed from the published counts.

    Numeric columns kept for charts and maps are NaN wherever the matching count is hidden.
    """

    area_table: pd.DataFrame  # display strings, one row per area
    area_values: pd.DataFrame  # index area: numeric rate per measure (NaN when hidden) + facts
    group_table: pd.DataFrame  # display strings, one row per group (selected measure)
    group_chart: pd.DataFrame  # group, rate, rate_lo, rate_hi, ratio, ratio_lo, ratio_hi
    trend_table: pd.DataFrame  # display strings: period, group, count, rate, ratio
    trend_chart: pd.DataFrame  # period, group, ratio, ratio_lo, ratio_hi (NaN when hidden)
    phase_table: pd.DataFrame  # display strings: phase, group, count, rate, ratio
    headlines: list[str]
    warnings: list[str]


def _ratio_text(ratio: float, lo: float, hi: float, hidden: bool, small: bool,
                audience: Audience) -> tuple[str, str, str]:
    if hidden:
        return "not shown", "not shown", f"A count is {audience.small_label}: no ratio."
    if pd.isna(ratio):
        return "no value", "no value", "A count is zero: no ratio."
    note = "Small numbers: the range is wide, read with care." if small else ""
    return f"{ratio:.2f}", f"{lo:.2f} to {hi:.2f}", note


def _rate_text(value: float, hidden: bool, fmt: str = "{:,.1f}") -> str:
    return format_derived(value, hidden, fmt)


def _published_rows(frame: pd.DataFrame, count: str, key: str, by: str | None,
                    reference: str, audience: Audience) -> pd.DataFrame:
    """``frame`` with ``published`` (the count through the publish step), ``p_rate`` and the
    rate ratio vs ``reference`` (within each ``by`` value) from published counts."""
    out = frame.copy()
    out["published"] = [publish_count(c, k, audience) for c, k in
                        zip(out[count], out[key], strict=True)]
    out["p_rate"] = out["published"] / out["population"] * PER
    ratios = []
    for _, part in (out.groupby(by, sort=False) if by else [(None, out)]):
        ref = part[part["group"] == reference]
        b = float(ref["published"].iloc[0]) if len(ref) else math.nan
        pop_b = float(ref["population"].iloc[0]) if len(ref) else 0.0
        for idx, r in part.iterrows():
            hidden = math.isnan(r["published"]) or math.isnan(b)
            ratio = (math.nan,) * 3 if hidden else rate_ratio_ci(r["published"], r["population"],
                                                                  b, pop_b)
            ratios.append((idx, hidden, b, *ratio))
    ratio_frame = pd.DataFrame(ratios, columns=["idx", "p_hidden", "p_ref", "p_ratio",
                                                "p_ratio_lo", "p_ratio_hi"]).set_index("idx")
    return out.join(ratio_frame)


def public_view(report: EquityReport, audience: Audience) -> PublicEquity:
    """Turn a raw report into published display frames plus plain headlines.

    Every count goes through the publish step; rates, their exact Poisson 95% ranges and the
    rate ratios with their ranges are computed from the published counts (rounding moves a
    count by at most 4, small against those ranges for counts above the threshold)."""
    m = MEASURES[report.measure]
    warnings: list[str] = []

    # areas
    rows, values = [], []
    any_hidden = False
    for area, r in report.areas.iterrows():
        row = {"Area": area, "Group": str(r["group"]), "Residents": f"{int(r['population']):,}",
               "Share Black": f"{r['pct_black']:.1f}%", "Share in poverty": f"{r['pct_poverty']:.1f}%"}
        vals = {"area": area, "pct_black": float(r["pct_black"]),
                "pct_poverty": float(r["pct_poverty"])}
        for key, meas in MEASURES.items():
            published = publish_count(r[key], r[f"{key}_key"], audience)
            hidden = math.isnan(published)
            any_hidden |= hidden
            rate_value = published / r["population"] * PER
            row[meas.label] = count_text(published, audience) if audience.public else int(published)
            row[f"{meas.label} per 1,000 residents"] = _rate_text(rate_value, hidden)
            vals[f"{key}_rate"] = math.nan if hidden else float(rate_value)
            vals[f"{key}_rate_text"] = row[f"{meas.label} per 1,000 residents"]
        few = audience.public and 0 < r["response_n"] <= audience.threshold
        row["Median minutes to arrival"] = format_derived(r["median_response_min"], few, "{:.0f}")
        rows.append(row)
        values.append(vals)
    area_table = pd.DataFrame(rows)
    area_values = pd.DataFrame(values).set_index("area") if values else pd.DataFrame()

    # groups, for the chosen measure
    groups = report.groups.reset_index()
    g_pub = _published_rows(groups, report.measure, f"{report.measure}_key", None,
                            report.reference, audience) if len(groups) else groups
    g_rows, chart = [], []
    for _, g in g_pub.iterrows():
        group = g["group"]
        hidden = math.isnan(g["published"])
        lo, hi = poisson_rate_ci(g["published"], g["population"]) if not hidden else (math.nan,) * 2
        small = min(g["published"], g["p_ref"]) < SMALL_FOR_RATIO if not g["p_hidden"] else False
        r_text, ci_text, note = _ratio_text(g["p_ratio"], g["p_ratio_lo"], g["p_ratio_hi"],
                                            g["p_hidden"], small, audience)
        if group == report.reference:
            r_text, ci_text, note = "1.00", "reference", "Reference group"
        few = audience.public and 0 < g["response_n"] <= audience.threshold
        g_rows.append({
            "Group": group, "Areas": int(g["areas"]), "Residents": f"{int(g['population']):,}",
            m.label: count_text(g["published"], audience) if audience.public
            else int(g["published"]),
            "Per 1,000 residents": _rate_text(g["p_rate"], hidden),
            "95% range of the rate": "not shown" if hidden else f"{lo:.1f} to {hi:.1f}",
            "Rate ratio vs reference": r_text, "95% range of the ratio": ci_text, "Note": note,
            "Median minutes to arrival": format_derived(g["median_response_min"], few, "{:.0f}"),
        })
        keep_ratio = r_text not in ("not shown", "no value")
        chart.append({
            "group": group, "rate": math.nan if hidden else g["p_rate"],
            "rate_lo": lo, "rate_hi": hi,
            "ratio": g["p_ratio"] if keep_ratio else math.nan,
            "ratio_lo": g["p_ratio_lo"] if keep_ratio else math.nan,
            "ratio_hi": g["p_ratio_hi"] if keep_ratio else math.nan,
        })
    group_table = pd.DataFrame(g_rows)
    group_chart = pd.DataFrame(chart, columns=["group", "rate", "rate_lo", "rate_hi", "ratio",
                                               "ratio_lo", "ratio_hi"])
    if any(r.get("Note", "").startswith("Small") for r in g_rows):
        warnings.append("Some groups have fewer than 30 calls of this kind: their ratios are "
                        "uncertain (see the 95% ranges).")

    trend_table, trend_chart = _public_periods(report.trend, "period", report, audience)
    phase_table, _ = _public_periods(report.phases, "phase", report, audience)
    headlines = headline_sentences(report, group_chart)
    if audience.public and (any_hidden or group_chart["rate"].isna().any()):
        warnings.append(f"Counts from 1 to {audience.threshold} are shown as "
                        f"\"{audience.small_label}\"; rates and ratios built on them are not shown.")
    if audience.public:
        warnings.append(method_note(audience) + " The 95% ranges are computed from the rounded "
                        "counts; rounding moves a count by at most 4.")
    return PublicEquity(area_table, area_values, group_table, group_chart, trend_table,
                        trend_chart, phase_table, headlines, warnings)


def _public_periods(frame, by, report, audience):
    label = "Quarter" if report.freq == "quarter" else "Month"
    rows, chart = [], []
    if frame.empty:
        return pd.DataFrame(), pd.DataFrame(columns=["period", "group", "ratio", "ratio_lo", "ratio_hi"])
    pub = _published_rows(frame, "count", "count_key", by, report.reference, audience)
    for _, r in pub.iterrows():
        hidden = math.isnan(r["published"])
        small = not r["p_hidden"] and min(r["published"], r["p_ref"]) < SMALL_FOR_RATIO
        r_text, ci_text, note = _ratio_text(r["p_ratio"], r["p_ratio_lo"], r["p_ratio_hi"],
                                            r["p_hidden"], small, audience)
        if r["group"] == report.reference:
            r_text, ci_text, note = "1.00", "reference", "Reference group"
        when = _period_label(r[by], report.freq) if by == "period" else r[by]
        rows.append({label if by == "period" else "Period": when, "Group": r["group"],
                     MEASURES[report.measure].label: count_text(r["published"], audience)
                     if audience.public else int(r["published"]),
                     "Per 1,000 residents": _rate_text(r["p_rate"], hidden),
                     "Rate ratio vs reference": r_text, "95% range of the ratio": ci_text,
                     "Note": note})
        ok = r_text not in ("not shown", "no value")
        chart.append({"period": r[by] if by == "phase" else pd.Timestamp(r[by]),
                      "group": r["group"], "ratio": r["p_ratio"] if ok else math.nan,
                      "ratio_lo": r["p_ratio_lo"] if ok else math.nan,
                      "ratio_hi": r["p_ratio_hi"] if ok else math.nan})
    return pd.DataFrame(rows), pd.DataFrame(chart)


def _period_label(day: date, freq: str) -> str:
    if freq == "month":
        return f"{day:%b %Y}"
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def headline_sentences(report: EquityReport, group_chart: pd.DataFrame) -> list[str]:
    """Plain sentences a non-specialist can repeat (only from figures that are shown)."""
    m = MEASURES[report.measure]
    if report.groups.empty:
        return ["No calls match the filters, so there are no rates to compare."]
    chart = group_chart.set_index("group")
    ref = report.reference
    others = [g for g in chart.index if g != ref]
    if not others:
        return [f"All the selected areas fall in one group ({ref}): there is nothing to compare."]
    # compare the group at the other end of the scale from the reference
    target = others[-1] if list(chart.index).index(ref) == 0 else others[0]
    desc_t = report.groups.loc[target, "description"]
    desc_r = report.groups.loc[ref, "description"]
    rate_t, rate_r, ratio = chart.loc[target, "rate"], chart.loc[ref, "rate"], chart.loc[target, "ratio"]
    if pd.isna(rate_t) or pd.isna(rate_r) or pd.isna(ratio):
        return [f"The numbers of {m.noun} in {desc_t} or in {desc_r} are too small to publish "
                "a comparison."]
    lo, hi = chart.loc[target, "ratio_lo"], chart.loc[target, "ratio_hi"]
    sentences = [
        f"In {desc_t}, there were {ratio:.1f} {m.noun} per 1,000 residents for every 1 in "
        f"{desc_r} ({rate_t:.1f} compared with {rate_r:.1f} per 1,000 residents).",
        f"Allowing for chance, the true ratio is likely between {lo:.1f} and {hi:.1f}.",
    ]
    return sentences


def definitions(report: EquityReport, snapshot_as_of: str | None = None) -> str:
    """Markdown: what is counted, which population figure and year, how groups and ratios work."""
    g = report.grouping
    dem = DEMOGRAPHICS[g.column][0][0].lower() + DEMOGRAPHICS[g.column][0][1:]
    method = ("population-weighted fifths (quintiles): each fifth holds about a fifth of the "
              "residents of the areas" if g.method == "quintiles"
              else "bands of " + dem + " at " + ", ".join(_pct(c) for c in g.effective_cuts()))
    launch = f"{report.launch:%d %B %Y}" if report.launch else "not known (no team contacts)"
    return "\n".join([
        "- **A call** is one 911 call for service in the extract, counted in the area where it "
        "was located, within the period and filters chosen in the sidebar. "
        f"{report.unlocated:,} matching calls had no location in an area and are not in any rate.",
        "- **Eligible** calls are those the triage rules mark for an alternative response "
        "(a team instead of police). **Answered by a crisis team** means a team contact is "
        "linked to the call. **Arrest** means the call's disposition mentions an arrest.",
        f"- **Residents**: {POPULATION_SOURCE}. Rates are per 1,000 residents over the whole "
        "selected period (not per year).",
        f"- **Groups**: areas are grouped by {dem} using {method}. A group's rate is all its "
        "calls divided by all its residents.",
        "- **Rate ratio**: a group's rate divided by the reference group's rate; 1.0 means the "
        "same rate. The 95% range comes from the usual Poisson method "
        "(log ratio, standard error sqrt(1/a + 1/b)).",
        f"- **Program launch**: the first team contact in the data, {launch}.",
        "- **Privacy** (public view): counts from 1 to the threshold are shown as \"fewer than "
        "...\"; every other count is rounded to a multiple of 5 (at random, but always the same "
        "for the same calls), and rates, ranges and ratios are computed from the rounded counts. "
        "Rates and ratios built on hidden counts are not shown.",
    ])
