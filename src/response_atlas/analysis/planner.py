"""Pilot planner: which eligible calls a set of teams would serve in a year, and what it costs.

Coverage (zone x hours x eligibility) comes from :mod:`response_atlas.analysis.coverage`, the same
aggregate the coverage page and its what-ifs use; this module adds the yearly arithmetic, kept
simple enough to check by hand:

- a year is 52 weeks; calls in the filtered period are annualized by ``52 / weeks``;
- a team works ``weekly_hours x 52`` hours a year, in shifts of ``shift_hours``;
- a team serves at most ``calls_per_shift`` calls a shift: served = min(covered, capacity),
  per team;
- annual cost = team-hours x cost per team-hour;
- police hours freed = served x share handled without police x police hours per call;
- the pilot budget lasts ``budget / annual cost x 12`` months; a year of it buys
  ``budget / annual cost`` of the plan; the yearly funding gap is ``annual cost - budget``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import pandas as pd

from response_atlas.analysis.coverage import ELIGIBILITY, CoverageData, Team
from response_atlas.filters import Filters, build_where
from response_atlas.schedule import ScheduleError, parse_schedule
from response_atlas.schema import PROGRAMS

WEEKS_PER_YEAR = 52
PILOT_BUDGET = 1_000_000.0
SECOND_TEAM_COST = 615_000.0  # going from one ARC team to two (DESIGN.md reference figures)
FULL_TIME_TEAM_HOURS = 40 * WEEKS_PER_YEAR  # one 40-hour team for a year: 2,080 hours
TEAM_HOUR_COST = round(SECOND_TEAM_COST / FULL_TIME_TEAM_HOURS)  # $295.67 -> $296
DENVER_STAR_COST_PER_CALL = 151.0
DENVER_POLICE_COST_PER_CALL = 646.0
TEAM_COLUMNS = ("include", "team_id", "program", "zone_id", "schedule")


@dataclass(frozen=True)
class PlanInputs:
    """Capacity, costs and rates. Defaults and their sources: :data:`INPUT_SOURCES`."""

    calls_per_shift: float = 6.0
    shift_hours: float = 8.0
    team_hour_cost: float = float(TEAM_HOUR_COST)
    police_call_hour_cost: float = 150.0
    ems_transport_cost: float = 1_000.0
    jail_booking_cost: float = 500.0
    police_hours_per_call: float = 1.0
    police_arrest_share: float = 0.0  # eligible calls answered by police ending in a booking
    police_transport_share: float = 0.0  # ... ending in an EMS transport
    team_transport_share: float = 0.0  # calls a team answers ending in an EMS transport
    without_police_share: float = 1.0  # calls a team answers with no police backup
    budget: float = PILOT_BUDGET

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PlanInputs:
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in known})


# input -> (label, where the default comes from)
INPUT_SOURCES: dict[str, tuple[str, str]] = {
    "team_hour_cost": (
        "Cost per team-hour ($)",
        "$615,000 a year bought Cincinnati's second ARC team (public reporting); over one "
        "40-hour team-year (40 h x 52 weeks = 2,080 h) that is $615,000 / 2,080 = $295.67, "
        "rounded to $296.",
    ),
    "calls_per_shift": (
        "Calls a team can take per shift",
        "Assumption (no published Cincinnati figure): 6 calls in an 8-hour shift, about one "
        "call and its paperwork and travel every 80 minutes. Replace with the team's own logs.",
    ),
    "shift_hours": ("Hours per shift", "Assumption: 8-hour shifts, as ARC's 07:00-15:00."),
    "police_call_hour_cost": (
        "Police cost per call-hour ($)",
        "Assumption for a fully loaded patrol unit hour; replace with CPD's figure. For "
        "comparison, Denver reported $646 per offense for police vs $151 for STAR.",
    ),
    "ems_transport_cost": (
        "Cost per EMS transport ($)", "Assumption; replace with Cincinnati Fire's billing rate.",
    ),
    "jail_booking_cost": (
        "Cost per jail booking ($)",
        "Assumption; replace with the Hamilton County Justice Center's booking cost.",
    ),
    "police_hours_per_call": (
        "Police hours per eligible call",
        "From this snapshot: mean travel + on-scene time of the calls eligible for "
        "alternative response (1 hour when the data has no times).",
    ),
    "police_arrest_share": (
        "Share of eligible calls ending in an arrest (police)",
        "From this snapshot: eligible calls whose disposition mentions an arrest.",
    ),
    "police_transport_share": (
        "Share of eligible calls ending in a transport (police)",
        "From this snapshot: eligible calls whose disposition mentions a transport.",
    ),
    "team_transport_share": (
        "Share of team calls ending in a transport",
        "From this snapshot's team contacts (outcome 'transported').",
    ),
    "without_police_share": (
        "Share of team calls handled without police",
        "From this snapshot's team contacts: contacts that did not ask for police backup "
        "and ended in no arrest (100% when there are no contacts).",
    ),
    "budget": ("Pilot budget ($)", "$1M, the pilot budget in the planning document."),
}


# --- defaults from the snapshot --------------------------------------------------------------
def snapshot_rates(snapshot, filters: Filters, program: str = "ARC") -> dict[str, float]:
    """Rates for :class:`PlanInputs` measured in the snapshot (see :data:`INPUT_SOURCES`).

    Police figures come from the calls eligible for ``program`` in the filtered period; team
    figures from the program's team contacts in the same dates. Missing data gives the neutral
    defaults of :class:`PlanInputs`.
    """
    where, params = build_where(filters)
    predicate = ELIGIBILITY[program][0]
    row = snapshot.query(
        f"""SELECT count(*) AS n,
                   avg(coalesce(travel_min, 0) + on_scene_min) FILTER (WHERE on_scene_min IS NOT NULL)
                       / 60.0 AS hours,
                   avg(CASE WHEN arrest THEN 1.0 ELSE 0.0 END) AS arrest,
                   avg(CASE WHEN upper(coalesce(disposition, '')) LIKE '%TRANSPORT%'
                            THEN 1.0 ELSE 0.0 END) AS transport
            FROM calls WHERE {where} AND ({predicate})""",
        params,
    ).iloc[0]
    defaults = PlanInputs()
    out = {
        "police_hours_per_call": defaults.police_hours_per_call,
        "police_arrest_share": defaults.police_arrest_share,
        "police_transport_share": defaults.police_transport_share,
        "team_transport_share": defaults.team_transport_share,
        "without_police_share": defaults.without_police_share,
    }
    if int(row["n"]) > 0:
        if _finite(row["hours"]) and row["hours"] > 0:
            out["police_hours_per_call"] = float(row["hours"])
        out["police_arrest_share"] = float(row["arrest"])
        out["police_transport_share"] = float(row["transport"])
    if snapshot.has_table("contacts"):
        team = snapshot.query(
            """SELECT count(*) AS n,
                      avg(CASE WHEN outcome = 'transported' THEN 1.0 ELSE 0.0 END) AS transport,
                      avg(CASE WHEN outcome IN ('police_backup_requested', 'arrest')
                               THEN 0.0 ELSE 1.0 END) AS without_police
               FROM contacts
               WHERE program = ? AND CAST(contact_at AS DATE) BETWEEN ? AND ?""",
            [program, filters.start, filters.end],
        ).iloc[0]
        if int(team["n"]) > 0:
            out["team_transport_share"] = float(team["transport"])
            out["without_police_share"] = float(team["without_police"])
    return out


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


# --- teams -------------------------------------------------------------------------------------
def teams_table(teams: list[Team]) -> pd.DataFrame:
    """Teams as an editable table: ``include, team_id, program, zone_id, schedule``."""
    rows = [
        {"include": True, "team_id": t.team_id, "program": t.program, "zone_id": t.zone_id,
         "schedule": t.schedule.to_text()}
        for t in teams
    ]
    return pd.DataFrame(rows, columns=list(TEAM_COLUMNS))


def teams_from_table(table: pd.DataFrame, zone_ids) -> tuple[list[Team], list[str]]:
    """The included rows as :class:`Team` objects on existing zones, and every problem found
    ("row 3 (ARC-2): ..."). Rows with a problem are left out; blank rows are ignored."""
    known_zones = {str(z) for z in zone_ids}
    teams: list[Team] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(table.to_dict("records"), start=1):
        values = {c: row.get(c) for c in TEAM_COLUMNS if c != "include"}
        text = {k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())
                for k, v in values.items()}
        if not any(text.values()):
            continue
        include = row.get("include")
        if include is None or (isinstance(include, float) and math.isnan(include)) or not include:
            continue
        name = text["team_id"] or f"team {i}"
        where = f"row {i} ({name})"
        bad = False
        if text["program"] not in PROGRAMS:
            problems.append(f"{where}: choose a program ({', '.join(PROGRAMS)})")
            bad = True
        if text["zone_id"] not in known_zones:
            problems.append(f"{where}: choose one of the zones ({', '.join(sorted(known_zones))})")
            bad = True
        if name in seen:
            problems.append(f"{where}: the team name is used twice")
            bad = True
        try:
            schedule = parse_schedule(text["schedule"])
        except ScheduleError as exc:
            problems.append(f"{where}: " + "; ".join(exc.problems))
            bad = True
        if bad:
            continue
        seen.add(name)
        teams.append(Team(name, text["program"], schedule, zone_id=text["zone_id"]))
    return teams, problems


# --- the plan ----------------------------------------------------------------------------------
def team_loads(data: CoverageData) -> pd.DataFrame:
    """Per team: ``team_id, program, weekly_hours, covered`` (calls in the period it would have
    been first to answer: in its zone, on duty, eligible for its program)."""
    rows = data.rows
    covered = (
        rows[rows["covered"]].groupby("covered_by")["calls"].sum()
        if not rows.empty else pd.Series(dtype="int64")
    )
    out = pd.DataFrame(
        [{"team_id": t.team_id, "program": t.program, "weekly_hours": t.weekly_hours,
          "covered": int(covered.get(t.team_id, 0))} for t in data.teams],
        columns=["team_id", "program", "weekly_hours", "covered"],
    )
    return out


def eligible_for(data: CoverageData, programs) -> int:
    """Eligible calls in the period for the given programs."""
    rows = data.rows
    if rows.empty:
        return 0
    return int(rows.loc[rows["program"].isin(list(programs)), "calls"].sum())


def team_breakdown(loads: pd.DataFrame, weeks: float, inputs: PlanInputs) -> pd.DataFrame:
    """Per team and year: ``team_id, program, weekly_hours, covered, capacity, served`` (the same
    arithmetic as :func:`plan`, one row per team)."""
    out = loads[["team_id", "program", "weekly_hours"]].copy()
    out["covered"] = loads["covered"].to_numpy(float) * WEEKS_PER_YEAR / weeks
    out["capacity"] = (loads["weekly_hours"].to_numpy(float) * WEEKS_PER_YEAR
                       / inputs.shift_hours * inputs.calls_per_shift)
    out["served"] = out[["covered", "capacity"]].min(axis=1)
    return out


@dataclass(frozen=True)
class PlanResult:
    """Yearly figures of a plan (see the module docstring for each formula)."""

    teams: int
    eligible_per_year: float
    covered_per_year: float  # in a zone while a team is on duty, before the capacity cap
    capacity_per_year: float
    served_per_year: float
    team_hours_per_year: float
    team_hours_needed: float  # to answer every covered call at calls_per_shift
    police_hours_freed: float
    annual_cost: float
    cost_per_call: float  # team cost per served call (+ its transports)
    police_cost_per_call: float
    police_cost_avoided: float  # per year: calls handled without police x police cost per call
    budget: float
    months_budget_lasts: float
    budget_share_of_plan: float  # share of the plan a year of the budget pays for (max 1)
    served_with_budget: float  # calls a year the budget pays for at this plan's cost per hour
    team_hours_with_budget: float
    funding_gap_per_year: float  # beyond the budget, every year at this level

    @property
    def share_served(self) -> float:
        return self.served_per_year / self.eligible_per_year if self.eligible_per_year else math.nan

    def as_row(self) -> dict[str, float]:
        """Labelled figures (for the comparison table, CSV and the printable summary)."""
        return {
            "Teams": self.teams,
            "Eligible calls per year": self.eligible_per_year,
            "In a zone while a team is on duty, per year": self.covered_per_year,
            "Team capacity, calls per year": self.capacity_per_year,
            "Eligible calls served per year": self.served_per_year,
            "Share of eligible calls served": self.share_served,
            "Team-hours scheduled per year": self.team_hours_per_year,
            "Team-hours needed to answer every covered call": self.team_hours_needed,
            "Police hours freed per year": self.police_hours_freed,
            "Annual cost ($)": self.annual_cost,
            "Cost per call served, team ($)": self.cost_per_call,
            "Cost per call, police ($)": self.police_cost_per_call,
            "Police cost avoided per year ($)": self.police_cost_avoided,
            "Months the budget covers": self.months_budget_lasts,
            "Calls a year the budget pays for": self.served_with_budget,
            "Funding gap per year beyond the budget ($)": self.funding_gap_per_year,
        }


def plan(loads: pd.DataFrame, eligible: int, weeks: float, inputs: PlanInputs) -> PlanResult:
    """The yearly figures for teams with ``loads`` (from :func:`team_loads`), ``eligible`` calls
    in a period of ``weeks`` weeks."""
    if weeks <= 0:
        raise ValueError("the period must be at least one day long")
    if inputs.shift_hours <= 0:
        raise ValueError("a shift must last more than 0 hours")
    per_year = WEEKS_PER_YEAR / weeks
    hours = loads["weekly_hours"].to_numpy(float) * WEEKS_PER_YEAR
    capacity = hours / inputs.shift_hours * inputs.calls_per_shift
    covered = loads["covered"].to_numpy(float) * per_year
    served = float(sum(min(c, cap) for c, cap in zip(covered, capacity, strict=True)))
    team_hours = float(hours.sum())
    annual_cost = team_hours * inputs.team_hour_cost
    without_police = served * inputs.without_police_share
    police_cost_per_call = (
        inputs.police_hours_per_call * inputs.police_call_hour_cost
        + inputs.police_arrest_share * inputs.jail_booking_cost
        + inputs.police_transport_share * inputs.ems_transport_cost
    )
    cost_per_call = (
        annual_cost / served + inputs.team_transport_share * inputs.ems_transport_cost
        if served > 0 else math.nan
    )
    if annual_cost > 0:
        months = inputs.budget / annual_cost * 12
        share = min(1.0, inputs.budget / annual_cost)
    else:
        months, share = math.inf, 1.0
    return PlanResult(
        teams=len(loads),
        eligible_per_year=eligible * per_year,
        covered_per_year=float(covered.sum()),
        capacity_per_year=float(capacity.sum()),
        served_per_year=served,
        team_hours_per_year=team_hours,
        team_hours_needed=(float(covered.sum()) / inputs.calls_per_shift * inputs.shift_hours
                           if inputs.calls_per_shift > 0 else math.inf),
        police_hours_freed=without_police * inputs.police_hours_per_call,
        annual_cost=annual_cost,
        cost_per_call=cost_per_call,
        police_cost_per_call=police_cost_per_call,
        police_cost_avoided=without_police * police_cost_per_call,
        budget=inputs.budget,
        months_budget_lasts=months,
        budget_share_of_plan=share,
        served_with_budget=served * share,
        team_hours_with_budget=(inputs.budget / inputs.team_hour_cost
                                if inputs.team_hour_cost > 0 else math.inf),
        funding_gap_per_year=max(0.0, annual_cost - inputs.budget),
    )


# --- scenarios ---------------------------------------------------------------------------------
def compare_plans(named: list[tuple[str, PlanResult]]) -> pd.DataFrame:
    """Saved plans side by side: one row per figure, one column per plan (first column
    ``figure``)."""
    if not named:
        return pd.DataFrame(columns=["figure"])
    table = pd.DataFrame({name: result.as_row() for name, result in named})
    return table.rename_axis("figure").reset_index()


def format_figure(label: str, value: float) -> str:
    """A figure as text for tables and the printable summary ("n/a" for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "no cost" if "Months" in label else "unlimited"
    if label.startswith("Share"):
        return f"{value:.0%}"
    if "($)" in label:
        return f"${value:,.0f}"
    if label.startswith("Months"):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_plans` output as display text."""
    shown = table.copy()
    for column in shown.columns[1:]:
        shown[column] = [format_figure(f, v) for f, v in zip(shown["figure"], shown[column],
                                                              strict=True)]
    return shown


SHARE_INPUTS = ("police_arrest_share", "police_transport_share", "team_transport_share",
                "without_police_share")


def format_input(name: str, value: float) -> str:
    """An input value as text: shares in %, dollars with $, others as numbers."""
    label = INPUT_SOURCES[name][0]
    if name in SHARE_INPUTS:
        return f"{value:.0%}"
    if "($)" in label:
        return f"${value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def assumptions_table(inputs: list[PlanInputs]) -> pd.DataFrame:
    """``Input, Value, Source``: one row per input; values of several plans joined by " / "."""
    rows = [
        {"Input": label,
         "Value": " / ".join(format_input(name, getattr(i, name)) for i in inputs),
         "Source": source}
        for name, (label, source) in INPUT_SOURCES.items()
    ]
    return pd.DataFrame(rows, columns=["Input", "Value", "Source"])
