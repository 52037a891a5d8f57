"""What-if scenarios for team coverage: extend or shift hours, add a team, draw a new zone.

A :class:`Scenario` is plain data (JSON / CSV friendly, kept in ``st.session_state``). Evaluating it
re-applies schedules to the same aggregated eligible calls as the baseline
(:func:`response_atlas.analysis.coverage.eligible_aggregate`), so it is instant and both figures are
counted the same way. Results are the extra eligible calls covered, the extra team-hours per week it
takes, and the calls covered per added team-hour.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields

import geopandas as gpd
import pandas as pd

from response_atlas.analysis.coverage import (
    ELIGIBILITY,
    RowKeys,
    Team,
    aggregate_fits,
    aggregation_for,
    covered_mask,
    drawn_zone_membership,
)
from response_atlas.schedule import Schedule, parse_schedule

KINDS = ("extend", "shift", "add_team", "draw_zone")
KIND_LABELS = {
    "extend": "Extend a team's hours",
    "shift": "Shift a team's hours",
    "add_team": "Add a team on an existing zone",
    "draw_zone": "Add a team on a zone drawn on the map",
}


class ScenarioError(ValueError):
    """A scenario that cannot be applied (unknown team, bad schedule, empty drawing...)."""


@dataclass
class Scenario:
    """One what-if. Only the fields its ``kind`` needs are used."""

    name: str
    kind: str
    team_id: str | None = None  # extend / shift: the team changed
    minutes_before: int = 0  # extend: start earlier
    minutes_after: int = 0  # extend: end later
    shift_minutes: int = 0  # shift: positive = later
    program: str | None = None  # add_team / draw_zone
    schedule: str | None = None  # add_team / draw_zone
    zone_id: str | None = None  # add_team: an existing zone
    geojson: dict | None = field(default=None, repr=False)  # draw_zone: a GeoJSON geometry/feature

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def describe(self) -> str:
        """The change in plain words."""
        if self.kind == "extend":
            return (
                f"{self.team_id}: start {self.minutes_before} min earlier, "
                f"end {self.minutes_after} min later"
            )
        if self.kind == "shift":
            direction = "later" if self.shift_minutes >= 0 else "earlier"
            return f"{self.team_id}: all hours {abs(self.shift_minutes)} min {direction}"
        if self.kind == "add_team":
            return f"New {self.program} team on zone {self.zone_id}, {self.schedule}"
        if self.kind == "draw_zone":
            return f"New {self.program} team on a drawn zone, {self.schedule}"
        return self.kind


@dataclass(frozen=True)
class ScenarioResult:
    """Baseline vs scenario for one what-if (whole period of the filters)."""

    scenario: Scenario
    program: str
    eligible: int
    baseline_covered: int
    scenario_covered: int
    baseline_team_hours: float  # per week, all teams of the program
    scenario_team_hours: float
    weeks: float

    @property
    def extra_covered(self) -> int:
        return self.scenario_covered - self.baseline_covered

    @property
    def extra_team_hours(self) -> float:
        return self.scenario_team_hours - self.baseline_team_hours

    @property
    def covered_per_extra_team_hour(self) -> float:
        """Extra calls covered per added team-hour worked over the period (NaN if no hours added)."""
        hours = self.extra_team_hours * self.weeks
        return self.extra_covered / hours if hours > 0 else float("nan")

    def as_row(self) -> dict:
        def share(n: int) -> float:
            return n / self.eligible if self.eligible else float("nan")

        return {
            "scenario": self.scenario.name,
            "change": self.scenario.describe(),
            "program": self.program,
            "eligible calls": self.eligible,
            "covered now": self.baseline_covered,
            "covered with change": self.scenario_covered,
            "extra covered": self.extra_covered,
            "share now": share(self.baseline_covered),
            "share with change": share(self.scenario_covered),
            "team-hours/week now": self.baseline_team_hours,
            "team-hours/week with change": self.scenario_team_hours,
            "extra team-hours/week": self.extra_team_hours,
            "extra covered per extra team-hour": self.covered_per_extra_team_hour,
        }


def scenario_teams(
    teams: list[Team],
    scenario: Scenario,
    cells=(),
    areas: gpd.GeoDataFrame | None = None,
) -> list[Team]:
    """The team list with the scenario's change applied (``teams`` is not modified).

    ``cells`` (H3 cells present in the aggregate) and ``areas`` are needed for ``draw_zone`` only.
    """
    if scenario.kind not in KINDS:
        raise ScenarioError(f"Unknown what-if kind '{scenario.kind}'.")
    if scenario.kind in ("extend", "shift"):
        if not any(t.team_id == scenario.team_id for t in teams):
            raise ScenarioError(f"No team '{scenario.team_id}' to change.")
        out = []
        for t in teams:
            if t.team_id == scenario.team_id:
                if scenario.kind == "extend":
                    new = t.schedule.extend(scenario.minutes_before, scenario.minutes_after)
                else:
                    new = t.schedule.shift(scenario.shift_minutes)
                t = Team(
                    t.team_id, t.program, new, t.zone_id, t.cells, t.areas, t.base_lat, t.base_lon
                )
            out.append(t)
        return out
    if scenario.program not in ELIGIBILITY:
        raise ScenarioError(f"Unknown program '{scenario.program}' (use ARC, DVERT or QRT).")
    schedule = parse_schedule(scenario.schedule or "")  # ScheduleError is a ValueError too
    new_id = f"{scenario.name or 'new'} (what-if)"
    if scenario.kind == "add_team":
        if not scenario.zone_id:
            raise ScenarioError("Pick the zone the new team would cover.")
        new_team = Team(new_id, scenario.program, schedule, zone_id=scenario.zone_id)
    else:
        geometry = _geometry_of(scenario.geojson)
        inside_cells, inside_areas = drawn_zone_membership(geometry, cells, areas)
        new_team = Team(new_id, scenario.program, schedule, cells=inside_cells, areas=inside_areas)
    return [*teams, new_team]


def _geometry_of(geojson: dict | None) -> dict:
    """The geometry of a GeoJSON Feature / geometry as drawn by Leaflet.draw."""
    if not geojson:
        raise ScenarioError("Draw a zone on the map first (the polygon or rectangle tool).")
    geometry = geojson.get("geometry", geojson) if isinstance(geojson, dict) else None
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ScenarioError("The drawn shape must be a polygon or a rectangle.")
    return geometry


def scenario_schedules(teams: list[Team], scenario: Scenario) -> list[Schedule]:
    """Every schedule in play with the scenario applied (drawn zones need no geometry here)."""
    probe = scenario
    if scenario.kind == "draw_zone":  # membership does not matter for the schedules
        probe = Scenario(**{**scenario.to_dict(), "kind": "add_team", "zone_id": "-"})
    return [t.schedule for t in scenario_teams(teams, probe)]


def needed_aggregation(teams: list[Team], scenario: Scenario) -> tuple[int, tuple]:
    """``(bucket, keep_dates)`` an aggregate needs to evaluate baseline and scenario exactly."""
    return aggregation_for([t.schedule for t in teams] + scenario_schedules(teams, scenario))


def scenario_program(teams: list[Team], scenario: Scenario) -> str:
    """The program a scenario changes."""
    if scenario.kind in ("extend", "shift"):
        for t in teams:
            if t.team_id == scenario.team_id:
                return t.program
        raise ScenarioError(f"No team '{scenario.team_id}' to change.")
    return str(scenario.program)


def evaluate_scenario(
    agg: pd.DataFrame,
    teams: list[Team],
    scenario: Scenario,
    weeks: float,
    areas: gpd.GeoDataFrame | None = None,
) -> ScenarioResult:
    """Baseline vs scenario coverage of the scenario's program on the aggregate ``agg``."""
    program = scenario_program(teams, scenario)
    cells = agg["h3"].dropna().unique() if scenario.kind == "draw_zone" else ()
    changed = scenario_teams(teams, scenario, cells, areas)
    if not aggregate_fits(agg, [t.schedule for t in changed]):
        raise ScenarioError(
            "The call counts were grouped too coarsely for this schedule; re-aggregate with "
            "needed_aggregation() first."
        )
    rows = agg[agg["program"] == program].reset_index(drop=True)
    keys = RowKeys(rows)
    calls = rows["calls"].to_numpy()
    base_covered = int(calls[covered_mask(keys, teams)[0]].sum())
    new_covered = int(calls[covered_mask(keys, changed)[0]].sum())
    return ScenarioResult(
        scenario=scenario,
        program=program,
        eligible=int(rows["calls"].sum()),
        baseline_covered=base_covered,
        scenario_covered=new_covered,
        baseline_team_hours=sum(t.weekly_hours for t in teams if t.program == program),
        scenario_team_hours=sum(t.weekly_hours for t in changed if t.program == program),
        weeks=weeks,
    )


def compare_scenarios(results: list[ScenarioResult]) -> pd.DataFrame:
    """Saved scenarios side by side: one row each (the page shows it transposed if it likes)."""
    return pd.DataFrame([r.as_row() for r in results])


def scenarios_to_json(scenarios: list[Scenario]) -> str:
    """All saved scenarios as a JSON list (re-loadable with :func:`scenarios_from_json`)."""
    return json.dumps([s.to_dict() for s in scenarios], indent=2, sort_keys=True)


def scenarios_frame(scenarios: list[Scenario]) -> pd.DataFrame:
    """Scenario definitions as a table (one row each; a drawn zone as GeoJSON text), for CSV."""
    rows = []
    for s in scenarios:
        row = s.to_dict()
        row["geojson"] = json.dumps(row["geojson"]) if row["geojson"] else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=[f.name for f in fields(Scenario)])


def scenarios_from_frame(frame: pd.DataFrame) -> list[Scenario]:
    """The inverse of :func:`scenarios_frame` (e.g. after ``pd.read_csv``)."""
    out = []
    for row in frame.to_dict("records"):
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        clean["geojson"] = json.loads(clean["geojson"]) if clean.get("geojson") else None
        for k in ("minutes_before", "minutes_after", "shift_minutes"):
            clean[k] = int(clean.get(k) or 0)
        out.append(Scenario.from_dict(clean))
    return out


def scenarios_from_json(text: str) -> list[Scenario]:
    """Scenarios from :func:`scenarios_to_json` output."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ScenarioError("Expected a JSON list of scenarios.")
    return [Scenario.from_dict(d) for d in data]


def is_finite(x: float) -> bool:
    """True for a real number (used to show "n/a" for per-hour figures with no added hours)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as display text: scenarios as columns, shares in %, hours rounded."""
    if table.empty:
        return table
    shown = table.copy()
    for column in ("share now", "share with change"):
        shown[column] = shown[column].map(lambda x: "n/a" if not is_finite(x) else f"{x:.0%}")
    for column in ("team-hours/week now", "team-hours/week with change"):
        shown[column] = shown[column].map(lambda x: f"{x:,.1f}")
    shown["extra team-hours/week"] = shown["extra team-hours/week"].map(lambda x: f"{x:+,.1f}")
    shown["extra covered"] = shown["extra covered"].map(lambda x: f"{x:+,d}")
    shown["extra covered per extra team-hour"] = shown["extra covered per extra team-hour"].map(
        lambda x: "n/a" if not is_finite(x) else f"{x:.3f}"
    )
    return shown.set_index("scenario").T.astype(str)
