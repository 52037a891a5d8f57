"""The Overview page's figures: calls, eligibility, repeat locations, team coverage, monthly trends.

Pure (no streamlit). :func:`compute_overview` returns raw counts (cacheable, staff-grade);
:func:`overview_metrics` formats them for a role, suppressing small counts in public views.

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

from response_atlas.analysis.calls import suppress_columns, suppressed_mask
from response_atlas.analysis.repeats import RepeatRule, count_repeat_locations
from response_atlas.filters import Filters, build_where
from response_atlas.privacy import SUPPRESSED_LABEL, is_suppressed
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
    monthly: pd.DataFrame = field(repr=False)  # month, calls, eligible, eligible_on_duty


@dataclass(frozen=True)
class Metric:
    """One figure ready to show: the text, whether it was suppressed, and what it means."""

    key: str
    label: str
    value: float | None  # None when suppressed or undefined
    text: str
    help: str
    suppressed: bool = False


def count_calls(snapshot: Snapshot, filters: Filters) -> tuple[int, int]:
    """``(calls, eligible)`` matching ``filters``."""
    where, params = build_where(filters)
    row = snapshot.query(
        f"SELECT count(*) AS calls, count(*) FILTER (WHERE tier = ?) AS eligible "
        f"FROM calls WHERE {where}",
        [ELIGIBLE_TIER, *params],
    ).iloc[0]
    return int(row["calls"]), int(row["eligible"])


def _team_zones(snapshot: Snapshot) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Zones of the alternative-response teams (any zone when there are none), with programs."""
    zones = pd.DataFrame(snapshot.zones.drop(columns="geometry", errors="ignore"))
    if zones.empty:
        return zones, ()
    chosen = zones[zones["program"].isin(ALTERNATIVE_PROGRAMS)]
    if chosen.empty:
        chosen = zones
    return chosen, tuple(sorted(chosen["program"].astype(str).unique()))


def eligible_coverage(snapshot: Snapshot, filters: Filters) -> tuple[int, int, bool, pd.DataFrame]:
    """``(in_zone, on_duty, hours_applied, monthly_on_duty)`` for eligible calls.

    Calls are grouped by zone set, weekday and minute of day in DuckDB first, so the schedule
    check runs on at most a few thousand rows whatever the call volume.
    """
    zones, _ = _team_zones(snapshot)
    empty_monthly = pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"),
                                  "eligible_on_duty": pd.Series(dtype="int64")})
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
                   {stretch} AS minute_of_day{date_col}, count(*) AS n
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
    monthly = (
        grouped.assign(eligible_on_duty=np.where(on_duty, n, 0))
        .groupby("month", as_index=False)["eligible_on_duty"].sum()
    )
    monthly["month"] = pd.to_datetime(monthly["month"])
    return int(n[in_zone].sum()), int(n[on_duty].sum()), hours_applied, monthly


def monthly_counts(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """Calls and eligible calls per month in the filtered period (months with no calls are 0)."""
    where, params = build_where(filters)
    counts = snapshot.query(
        f"""SELECT call_month AS month, count(*) AS calls,
                   count(*) FILTER (WHERE tier = ?) AS eligible
            FROM calls WHERE {where} GROUP BY 1 ORDER BY 1""",
        [ELIGIBLE_TIER, *params],
    )
    months = pd.date_range(
        pd.Timestamp(filters.start).to_period("M").to_timestamp(),
        pd.Timestamp(filters.end).to_period("M").to_timestamp(),
        freq="MS",
    )
    counts["month"] = pd.to_datetime(counts["month"])
    frame = pd.DataFrame({"month": months}).merge(counts, on="month", how="left")
    return frame.fillna({"calls": 0, "eligible": 0}).astype({"calls": "int64", "eligible": "int64"})


def data_as_of(snapshot: Snapshot) -> str:
    """The manifest's data date, else the last call date."""
    return str(snapshot.manifest.get("data_as_of") or snapshot.date_range[1].isoformat())


def compute_overview(snapshot: Snapshot, filters: Filters) -> OverviewResult:
    """Every Overview figure for ``filters`` (raw counts; see :func:`overview_metrics`)."""
    calls, eligible = count_calls(snapshot, filters)
    in_zone, on_duty, hours_applied, monthly_duty = eligible_coverage(snapshot, filters)
    monthly = monthly_counts(snapshot, filters).merge(monthly_duty, on="month", how="left")
    monthly["eligible_on_duty"] = monthly["eligible_on_duty"].fillna(0).astype("int64")
    return OverviewResult(
        calls=calls,
        eligible=eligible,
        repeat_locations=count_repeat_locations(
            snapshot, filters, RepeatRule(REPEAT_THRESHOLD, REPEAT_WINDOW_DAYS)),
        eligible_in_zone=in_zone,
        eligible_on_duty=on_duty,
        hours_applied=hours_applied,
        zone_programs=_team_zones(snapshot)[1],
        data_as_of=data_as_of(snapshot),
        monthly=monthly,
    )


# --- formatting and suppression ---------------------------------------------------------------


def format_count(n: int, public: bool, threshold: int = 10) -> tuple[str, bool]:
    """``(text, suppressed)``: counts 1..threshold read "fewer than 11" in public views."""
    if public and is_suppressed(n, threshold):
        return SUPPRESSED_LABEL if threshold == 10 else f"fewer than {threshold + 1}", True
    return f"{n:,}", False


def share_is_suppressed(part: int, whole: int, threshold: int = 10) -> bool:
    """A share hides a small count when the part, the rest or the whole is from 1 to threshold."""
    return any(is_suppressed(x, threshold) for x in (part, whole - part, whole))


def format_share(part: int, whole: int, public: bool, threshold: int = 10) -> tuple[str, float | None, bool]:
    """``(text, value, suppressed)`` for ``part / whole`` as a whole percentage."""
    if whole == 0:
        return "no calls", None, False
    if public and share_is_suppressed(part, whole, threshold):
        return "too few calls to show", None, True
    value = part / whole
    return f"{value:.0%}", value, False


def overview_metrics(result: OverviewResult, public: bool, threshold: int = 10) -> list[Metric]:
    """The four headline figures, in order, formatted for the role."""
    calls_text, calls_sup = format_count(result.calls, public, threshold)
    elig_text, elig_value, elig_sup = format_share(result.eligible, result.calls, public, threshold)
    rep_text, rep_sup = format_count(result.repeat_locations, public, threshold)
    if result.hours_applied:
        cov_part, cov_help = result.eligible_on_duty, "inside a team zone while the team is on duty"
    else:
        cov_part, cov_help = result.eligible_in_zone, "inside a team zone (hours not applied)"
    cov_text, cov_value, cov_sup = format_share(cov_part, result.eligible, public, threshold)
    teams = ", ".join(result.zone_programs) or "no team zones in this snapshot"
    return [
        Metric("calls", "Calls in range", None if calls_sup else result.calls, calls_text,
               "911 calls matching the filters.", calls_sup),
        Metric("eligible", "Eligible for a crisis team", elig_value, elig_text,
               "Share of calls the triage rules mark 'alternative response'"
               + ("." if public else f" ({result.eligible:,} calls)."), elig_sup),
        Metric("repeat", "Repeat locations", None if rep_sup else result.repeat_locations,
               rep_text,
               f"Blocks with {REPEAT_THRESHOLD}+ calls within {REPEAT_WINDOW_DAYS} days "
               "(domestic violence and overdose calls not counted).", rep_sup),
        Metric("coverage", "Eligible, team on duty", cov_value, cov_text,
               f"Share of eligible calls {cov_help}. Teams: {teams}. "
               "This is coverage, not calls actually routed.", cov_sup),
    ]


def suppress_series(values: pd.Series, public: bool, threshold: int = 10) -> pd.Series:
    """Monthly counts for a sparkline: small counts become gaps (NaN) in public views."""
    out = values.astype("float64")
    if public:
        out = out.mask((out > 0) & (out <= threshold))
    return out


def monthly_share(part: pd.Series, whole: pd.Series, public: bool, threshold: int = 10) -> pd.Series:
    """Monthly ``part / whole``; NaN where undefined, or where it would reveal a small count."""
    share = part.astype("float64") / whole.where(whole > 0)
    if public:
        hide = [share_is_suppressed(int(p), int(w), threshold) for p, w in zip(part, whole, strict=True)]
        share = share.mask(pd.Series(hide, index=share.index))
    return share


def busiest_areas(counts: pd.DataFrame, public: bool, threshold: int = 10,
                  n: int = BUSIEST_AREAS) -> pd.DataFrame:
    """The ``n`` areas with the most calls per 1,000 residents, as display text.

    ``counts`` is :func:`response_atlas.analysis.calls.area_counts` (every area). Suppression is
    decided over all areas (with its complementary cell, since the page shows the total), not
    over the top ``n``. In public views areas whose count is hidden are ranked after the shown
    ones, by name: ranking them by their true rate would hint at the hidden count.
    Columns ``Area, Calls, Calls per 1,000 residents``.
    """
    ranked = counts[["area", "calls", "rate_per_1000"]].copy()
    hidden = suppressed_mask(ranked["calls"], threshold) if public else pd.Series(False, ranked.index)
    ranked["_hidden"] = hidden.to_numpy()
    ranked["_rate"] = ranked["rate_per_1000"].where(~hidden)
    ranked = ranked.sort_values(["_hidden", "_rate", "area"], ascending=[True, False, True],
                                na_position="last")
    # threshold 0 hides nothing: staff get the same text formatting without suppression
    shown = suppress_columns(ranked, "calls", ("rate_per_1000",), threshold if public else 0)
    shown = shown.head(n)[["area", "calls", "rate_per_1000"]].reset_index(drop=True)
    return shown.rename(columns={"area": "Area", "calls": "Calls",
                                 "rate_per_1000": "Calls per 1,000 residents"})
