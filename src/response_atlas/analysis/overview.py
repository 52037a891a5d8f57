"""The Overview page's figures: calls, eligibility, repeat locations, team coverage, monthly trends.

Pure (no streamlit). :func:`compute_overview` returns raw counts with their cell keys
(cacheable, staff-grade); :func:`overview_metrics`, :func:`published_monthly` and
:func:`busiest_areas` publish them for an audience (``response_atlas.publish``).

Definitions (also stated on the About page):

- *Calls in range*: calls matching the shared filters.
- *Eligible for a crisis team*: of those, calls whose triage tier is ``alternative``.
- *Repeat locations*: block addresses with 3 or more calls within some 90 consecutive days inside
  the period (domestic violence and overdose calls are left out: never counted at block level).
- *Eligible, team on duty*: eligible calls inside a mobile crisis (ARC) zone at a time its
  team is on duty by the zone's weekly schedule (``schedule.py``). Without ARC zones, any zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from response_atlas.analysis.calls import text_columns
from response_atlas.analysis.repeats import RepeatRule, count_repeat_locations
from response_atlas.filters import Filters, build_where
from response_atlas.publish import (
    Audience,
    combine_keys,
    count_text,
    definition_key,
    key_sql,
    publish_count,
    publish_counts,
    share,
)
from response_atlas.schedule import ScheduleError, parse_schedule
from response_atlas.schema import zone_key_ids
from response_atlas.snapshot import Snapshot, call_column_sql

ELIGIBLE_TIER = "alternative"
ALTERNATIVE_PROGRAMS = ("ARC",)  # teams that answer alternative-tier calls instead of police
REPEAT_THRESHOLD = 3
REPEAT_WINDOW_DAYS = 90
BUSIEST_AREAS = 5


@dataclass(frozen=True)
class OverviewResult:
    """Raw counts for the filtered period (not yet suppressed)."""

    calls: int
    eligible: int
    repeat_locations: int
    eligible_in_zone: int
    eligible_on_duty: int
    hours_applied: bool  # False when no zone schedule could be read
    zone_programs: tuple[str, ...]
    data_as_of: str
    monthly: pd.DataFrame = field(repr=False)  # month, calls, eligible, eligible_on_duty (+ keys)
    keys: dict = field(default_factory=dict, repr=False)  # cell key per count (publish.py)


@dataclass(frozen=True)
class Metric:
    """One figure ready to show: the text, whether it was suppressed, and what it means."""

    key: str
    label: str
    value: float | None  # None when suppressed or undefined
    text: str
    help: str
    suppressed: bool = False


ELIGIBLE_COUNT = "count(*) FILTER (WHERE tier = ?)"
COUNTS_SQL = (f"count(*) AS calls, {key_sql('count(*)')} AS calls_key, "
              f"{ELIGIBLE_COUNT} AS eligible, {key_sql(ELIGIBLE_COUNT)} AS eligible_key")


def count_calls(snapshot: Snapshot, filters: Filters) -> tuple[int, int]:
    """``(calls, eligible)`` matching ``filters``."""
    row = _count_row(snapshot, filters)
    return int(row["calls"]), int(row["eligible"])


def _count_row(snapshot: Snapshot, filters: Filters) -> pd.Series:
    """Calls and eligible calls with their cell keys."""
    where, params = build_where(filters)
    return snapshot.query(f"SELECT {COUNTS_SQL} FROM calls WHERE {where}",
                          [ELIGIBLE_TIER, ELIGIBLE_TIER, *params]).iloc[0]


def _team_zones(snapshot: Snapshot) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Zones of the alternative-response teams (any zone when there are none), with programs."""
    zones = pd.DataFrame(snapshot.zones.drop(columns="geometry", errors="ignore"))
    if zones.empty:
        return zones, ()
    chosen = zones[zones["program"].isin(ALTERNATIVE_PROGRAMS)]
    if chosen.empty:
        chosen = zones
    return chosen, tuple(sorted(chosen["program"].astype(str).unique()))


def eligible_coverage(snapshot: Snapshot, filters: Filters,
                      keys: dict | None = None) -> tuple[int, int, bool, pd.DataFrame]:
    """``(in_zone, on_duty, hours_applied, monthly_on_duty)`` for eligible calls; the cell keys
    of ``in_zone`` and ``on_duty`` go into ``keys`` when given.

    Calls are grouped by zone set, weekday and minute of day in DuckDB first, so the schedule
    check runs on at most a few thousand rows whatever the call volume.
    """
    zones, _ = _team_zones(snapshot)
    empty_monthly = pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"),
                                  "eligible_on_duty": pd.Series(dtype="int64"),
                                  "eligible_on_duty_key": pd.Series(dtype="uint64")})
    if zones.empty:
        return 0, 0, False, empty_monthly
    schedules = {}
    hours_applied = True
    for zone_id, text in zip(zones["zone_id"], zones["schedule"], strict=True):
        try:
            schedules[str(zone_id)] = parse_schedule(text)
        except ScheduleError:
            hours_applied = False  # an unreadable schedule: count the zone, say hours not applied
            schedules[str(zone_id)] = None
    uses_holidays = any(s is not None and s.holidays for s in schedules.values())
    where, params = build_where(filters)
    # Exact but coarse: duty can only change at a schedule boundary, so each minute is replaced by
    # the start of its stretch between boundaries, and only holidays and the days after them keep
    # their date (the only dates a schedule looks at). Thousands of rows, not hundreds of thousands.
    cuts = sorted({0}.union(*(s.boundaries() for s in schedules.values() if s is not None)),
                  reverse=True)
    minute = call_column_sql(snapshot, "minute_of_day")
    stretch = "CASE " + " ".join(f"WHEN {minute} >= {int(b)} THEN {int(b)}" for b in cuts) + " END"
    date_col, date_params = "", []
    if uses_holidays:
        special = sorted({d + timedelta(days=k) for s in schedules.values() if s is not None
                          for d in s.holidays for k in (0, 1)})
        date_col = f", CASE WHEN call_date IN ({', '.join('?' * len(special))}) THEN call_date END" \
                   " AS call_date"
        date_params = special
    zone_key = call_column_sql(snapshot, "zone_key")  # one text per zone set (made at refresh)
    grouped = snapshot.query(
        f"""SELECT {zone_key} AS zone_key, call_month AS month, weekday,
                   {stretch} AS minute_of_day{date_col}, count(*) AS n,
                   {key_sql('count(*)')} AS k
            FROM calls WHERE {where} AND tier = ? AND len(zone_ids) > 0
            GROUP BY ALL""",
        [*date_params, *params, ELIGIBLE_TIER],
    )
    if grouped.empty:
        return 0, 0, hours_applied, empty_monthly
    in_zone = np.zeros(len(grouped), dtype=bool)
    on_duty = np.zeros(len(grouped), dtype=bool)
    zone_lists = grouped["zone_key"].map(zone_key_ids)
    for zone_id, schedule in schedules.items():
        member = zone_lists.map(lambda z, zid=zone_id: zid in z).to_numpy(dtype=bool)
        in_zone |= member
        if schedule is None:
            on_duty |= member
            continue
        dates = grouped["call_date"].to_numpy() if uses_holidays else None
        on_duty |= member & schedule.on_duty(
            grouped["weekday"].to_numpy(), grouped["minute_of_day"].to_numpy(), dates
        )
    n = grouped["n"].to_numpy()
    k = grouped["k"].to_numpy(dtype="uint64")
    duty_keys = np.where(on_duty, k, np.uint64(0))
    monthly = (
        grouped.assign(eligible_on_duty=np.where(on_duty, n, 0), eligible_on_duty_key=duty_keys)
        .groupby("month", as_index=False)
        .agg(eligible_on_duty=("eligible_on_duty", "sum"),
             eligible_on_duty_key=("eligible_on_duty_key", combine_keys))
    )
    monthly["month"] = pd.to_datetime(monthly["month"])
    if keys is not None:
        keys["in_zone"] = combine_keys(k[in_zone])
        keys["on_duty"] = combine_keys(duty_keys)
    return int(n[in_zone].sum()), int(n[on_duty].sum()), hours_applied, monthly


def monthly_counts(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Calls and eligible calls per month in the filtered period (months with no calls are 0)."""
    where, params = build_where(filters)
    counts = snapshot.query(
        f"""SELECT call_month AS month, {COUNTS_SQL}
            FROM calls WHERE {where} GROUP BY 1 ORDER BY 1""",
        [ELIGIBLE_TIER, ELIGIBLE_TIER, *params],
    )
    months = pd.date_range(
        pd.Timestamp(filters.start).to_period("M").to_timestamp(),
        pd.Timestamp(filters.end).to_period("M").to_timestamp(),
        freq="MS",
    )
    counts["month"] = pd.to_datetime(counts["month"])
    frame = pd.DataFrame({"month": months}).merge(counts, on="month", how="left")
    return frame.fillna({"calls": 0, "eligible": 0, "calls_key": 0, "eligible_key": 0}).astype(
        {"calls": "int64", "eligible": "int64", "calls_key": "uint64", "eligible_key": "uint64"})


def data_as_of(snapshot: Snapshot) -> str:
    """The manifest's data date, else the last call date."""
    return str(snapshot.manifest.get("data_as_of") or snapshot.date_range[1].isoformat())


def compute_overview(snapshot: Snapshot, filters: Filters) -> OverviewResult:
    """Every Overview figure for ``filters`` (raw counts; see :func:`overview_metrics`)."""
    row = _count_row(snapshot, filters)
    keys = {"calls": int(row["calls_key"]), "eligible": int(row["eligible_key"]),
            # blocks are not calls: keyed by the calls the filters select (publish.scope_key)
            "repeat": definition_key("repeat_locations", int(row["calls_key"]))}
    in_zone, on_duty, hours_applied, monthly_duty = eligible_coverage(snapshot, filters, keys)
    monthly = monthly_counts(snapshot, filters).merge(monthly_duty, on="month", how="left")
    monthly["eligible_on_duty"] = monthly["eligible_on_duty"].fillna(0).astype("int64")
    monthly["eligible_on_duty_key"] = monthly["eligible_on_duty_key"].fillna(0).astype("uint64")
    return OverviewResult(
        calls=int(row["calls"]),
        eligible=int(row["eligible"]),
        repeat_locations=count_repeat_locations(
            snapshot, filters, RepeatRule(REPEAT_THRESHOLD, REPEAT_WINDOW_DAYS)),
        eligible_in_zone=in_zone,
        eligible_on_duty=on_duty,
        hours_applied=hours_applied,
        zone_programs=_team_zones(snapshot)[1],
        data_as_of=data_as_of(snapshot),
        monthly=monthly,
        keys=keys,
    )


# --- publishing ------------------------------------------------------------------------------


def format_share(part: float, whole: float, audience: Audience) -> tuple[str, float | None, bool]:
    """``(text, value, hidden)`` for ``part / whole`` of published counts, a whole percentage."""
    if whole == 0:
        return "no calls", None, False
    value = share(part, whole)
    if value != value:  # NaN: a count is suppressed
        return "too few calls to show", None, True
    return f"{value:.0%}", value, False


def overview_metrics(result: OverviewResult, audience: Audience) -> list[Metric]:
    """The four headline figures, in order, published for ``audience``."""
    keys = result.keys

    def published(name: str, value: int) -> float:
        return publish_count(value, keys.get(name, 0), audience)

    calls, eligible = published("calls", result.calls), published("eligible", result.eligible)
    repeat = published("repeat", result.repeat_locations)
    elig_text, elig_value, elig_sup = format_share(eligible, calls, audience)
    if result.hours_applied:
        cov_part = published("on_duty", result.eligible_on_duty)
        cov_help = "inside a team zone while the team is on duty"
    else:
        cov_part = published("in_zone", result.eligible_in_zone)
        cov_help = "inside a team zone (hours not applied)"
    cov_text, cov_value, cov_sup = format_share(cov_part, eligible, audience)
    teams = ", ".join(result.zone_programs) or "no team zones in this snapshot"
    calls_sup, rep_sup = calls != calls, repeat != repeat
    return [
        Metric("calls", "Calls in range", None if calls_sup else calls,
               count_text(calls, audience), "911 calls matching the filters.", calls_sup),
        Metric("eligible", "Eligible for a crisis team", elig_value, elig_text,
               "Share of calls the triage rules mark 'alternative response'"
               + ("." if audience.public else f" ({result.eligible:,} calls)."), elig_sup),
        Metric("repeat", "Repeat locations", None if rep_sup else repeat,
               count_text(repeat, audience),
               f"Blocks with {REPEAT_THRESHOLD}+ calls within {REPEAT_WINDOW_DAYS} days "
               "(domestic violence and overdose calls not counted).", rep_sup),
        Metric("coverage", "Eligible, team on duty", cov_value, cov_text,
               f"Share of eligible calls {cov_help}. Teams: {teams}. "
               "This is coverage, not calls actually routed.", cov_sup),
    ]


def published_monthly(monthly: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """The sparklines' data: ``month, calls`` (published, NaN = hidden) and the monthly shares
    ``eligible`` and ``coverage`` from published counts (NaN where a count is hidden)."""
    published = {c: publish_counts(monthly[c].tolist(), monthly[f"{c}_key"].tolist(), audience)
                 for c in ("calls", "eligible", "eligible_on_duty")}
    return pd.DataFrame({
        "month": monthly["month"],
        "calls": published["calls"],
        "eligible": [share(p, w) for p, w in zip(published["eligible"], published["calls"],
                                                 strict=True)],
        "coverage": [share(p, w) for p, w in zip(published["eligible_on_duty"],
                                                 published["eligible"], strict=True)],
    })


def busiest_areas(published: pd.DataFrame, audience: Audience,
                  n: int = BUSIEST_AREAS) -> pd.DataFrame:
    """The ``n`` areas with the most calls per 1,000 residents, as display text.

    ``published`` is :func:`response_atlas.analysis.calls.publish_area_counts` (every area):
    ranks and rates come from published counts, and areas whose count is hidden are ranked
    after the shown ones, by name (ranking them by their true rate would hint at the count).
    Columns ``Area, Calls, Calls per 1,000 residents``.
    """
    ranked = published[["area", "calls", "rate_per_1000"]].copy()
    ranked["_hidden"] = ranked["calls"].isna()
    ranked = ranked.sort_values(["_hidden", "rate_per_1000", "area"], ascending=[True, False, True],
                                na_position="last")
    shown = text_columns(ranked, "calls", ("rate_per_1000",), audience, always_text=True)
    shown = shown.head(n)[["area", "calls", "rate_per_1000"]].reset_index(drop=True)
    return shown.rename(columns={"area": "Area", "calls": "Calls",
                                 "rate_per_1000": "Calls per 1,000 residents"})
