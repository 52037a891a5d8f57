"""Saved plans and saved views: small YAML files in the data folder, shared by the staff.

- A **plan** (``<data>/plans/<slug>.yaml``) holds a pilot-planner plan (teams, hours, zones,
  capacity and costs), a coverage what-if, or both. Plans are listed, loaded, compared side by
  side and downloaded / uploaded as the same file (format in ``docs/briefing.md``).
- A **view** (``<data>/views/<slug>.yaml``) is a named link: a page and its query parameters
  (the filters the link already carries). The briefing can take a view's filters.

Pure (no streamlit). Every file read is validated with pydantic; a bad file raises
:class:`PlanFileError` naming the file, the field and the problem (all problems at once).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from response_atlas.analysis.coverage import (
    aggregation_for,
    compute_coverage,
    filter_weeks,
    teams_from_zones,
)
from response_atlas.analysis.planner import (
    PlanInputs,
    PlanResult,
    eligible_for,
    plan,
    team_loads,
    teams_from_table,
)
from response_atlas.analysis.whatif import (
    KINDS,
    Scenario,
    ScenarioError,
    ScenarioResult,
    evaluate_scenario,
    needed_aggregation,
)
from response_atlas.filters import Filters, filters_from_params
from response_atlas.schedule import ScheduleError, parse_schedule
from response_atlas.schema import CATEGORY_LABELS, PROGRAMS, TIER_LABELS

PLAN_FORMAT = "response-atlas-plan"
VIEW_FORMAT = "response-atlas-view"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 256 * 1024  # a plan is a few hundred bytes; a drawn zone a few kilobytes
MAX_COMPARED = 4
NAME_MAX = 60


class PlanFileError(ValueError):
    """A plan or view file that cannot be used; ``problems`` lists every one."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(problems))


# --- the file format ---------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TeamRow(_Strict):
    """One team of a planner plan."""

    team_id: str = Field(min_length=1, max_length=NAME_MAX)
    program: Literal[PROGRAMS]  # type: ignore[valid-type]
    zone_id: str = Field(min_length=1)
    schedule: str = Field(min_length=1, description="e.g. 'Mon-Fri 07:00-15:00' or '24/7'")
    include: bool = True

    @field_validator("schedule")
    @classmethod
    def _readable(cls, value: str) -> str:
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise ValueError("; ".join(exc.problems)) from None
        return value


class Costs(_Strict):
    """Capacity, costs and rates: :class:`~response_atlas.analysis.planner.PlanInputs`."""

    calls_per_shift: float = Field(PlanInputs.calls_per_shift, ge=0)
    shift_hours: float = Field(PlanInputs.shift_hours, gt=0)
    team_hour_cost: float = Field(PlanInputs.team_hour_cost, ge=0)
    police_call_hour_cost: float = Field(PlanInputs.police_call_hour_cost, ge=0)
    ems_transport_cost: float = Field(PlanInputs.ems_transport_cost, ge=0)
    jail_booking_cost: float = Field(PlanInputs.jail_booking_cost, ge=0)
    police_hours_per_call: float = Field(PlanInputs.police_hours_per_call, ge=0)
    police_arrest_share: float = Field(PlanInputs.police_arrest_share, ge=0, le=1)
    police_transport_share: float = Field(PlanInputs.police_transport_share, ge=0, le=1)
    team_transport_share: float = Field(PlanInputs.team_transport_share, ge=0, le=1)
    without_police_share: float = Field(PlanInputs.without_police_share, ge=0, le=1)
    budget: float = Field(PlanInputs.budget, ge=0)


class PlannerPart(_Strict):
    teams: list[TeamRow] = Field(min_length=1)
    costs: Costs = Field(default_factory=Costs)


class WhatIf(_Strict):
    """One coverage what-if: :class:`~response_atlas.analysis.whatif.Scenario` (name aside)."""

    kind: Literal[KINDS]  # type: ignore[valid-type]
    team_id: str | None = None
    minutes_before: int = Field(0, ge=0, le=720)
    minutes_after: int = Field(0, ge=0, le=720)
    shift_minutes: int = Field(0, ge=-720, le=720)
    program: Literal[PROGRAMS] | None = None  # type: ignore[valid-type]
    schedule: str | None = None
    zone_id: str | None = None
    geojson: dict | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> WhatIf:
        needed = {"extend": ("team_id",), "shift": ("team_id",),
                  "add_team": ("program", "schedule", "zone_id"),
                  "draw_zone": ("program", "schedule", "geojson")}[self.kind]
        missing = [n for n in needed if not getattr(self, n)]
        if missing:
            raise ValueError(f"what-if kind '{self.kind}' needs {', '.join(missing)}")
        if self.schedule:
            TeamRow._readable(self.schedule)
        return self


class SavedPlan(_Strict):
    """The plan file. ``planner`` and / or ``coverage``; at least one."""

    format: Literal["response-atlas-plan"] = PLAN_FORMAT
    version: Literal[1] = FORMAT_VERSION
    name: str = Field(min_length=1, max_length=NAME_MAX)
    note: str = Field("", max_length=500)
    saved_at: str | None = None
    saved_by: str | None = None
    planner: PlannerPart | None = None
    coverage: WhatIf | None = None

    @model_validator(mode="after")
    def _something(self) -> SavedPlan:
        if self.planner is None and self.coverage is None:
            raise ValueError("a plan needs a 'planner' part, a 'coverage' what-if, or both")
        return self


class SavedView(_Strict):
    """The view file: a page (its link name, e.g. ``calls_map``) and the link's parameters."""

    format: Literal["response-atlas-view"] = VIEW_FORMAT
    version: Literal[1] = FORMAT_VERSION
    name: str = Field(min_length=1, max_length=NAME_MAX)
    page: str = Field(pattern=r"^[a-z_]+$")
    params: dict[str, str | list[str]] = Field(default_factory=dict)
    saved_at: str | None = None

    @property
    def link(self) -> str:
        """The page link with its filters, relative to the app's root."""
        query = urlencode(self.params, doseq=True)
        return f"/{self.page}" + (f"?{query}" if query else "")


def _problems(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        where = ""
        for part in e["loc"]:  # planner.teams.0.schedule -> planner.teams[1].schedule (row 1)
            where += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if where else part)
        message = e["msg"].removeprefix("Value error, ")
        where = where or "file"
        out.append(f"{where}: {message}")
    return out


def _parse(text: str | bytes, model: type[BaseModel], source: str):
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise PlanFileError(source, [f"the file is {len(text):,} bytes; at most "
                                         f"{MAX_FILE_BYTES:,} are read"])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PlanFileError(source, ["not a text file (UTF-8)"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise PlanFileError(source, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]
                            ) from None
    if not isinstance(data, dict):
        raise PlanFileError(source, ["expected a YAML mapping (name: ..., planner: ...)"])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise PlanFileError(source, _problems(err)) from None


def plan_from_yaml(text: str | bytes, source: str = "uploaded file") -> SavedPlan:
    """Read and validate a plan file; :class:`PlanFileError` lists every problem."""
    return _parse(text, SavedPlan, source)


def to_yaml(model: BaseModel) -> str:
    """A plan or view as YAML (fields in the documented order, defaults kept, no nulls)."""
    return yaml.safe_dump(model.model_dump(exclude_none=True), sort_keys=False,
                          allow_unicode=True)


# --- folder storage ----------------------------------------------------------------------------
def slugify(name: str) -> str:
    """File name of a plan or view: lower case letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:NAME_MAX] or "plan"


def plans_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "plans"


def views_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "views"


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def save_model(folder: Path, model: SavedPlan | SavedView, overwrite: bool = False) -> Path:
    """Write ``model`` as ``<folder>/<slug>.yaml``; refuses to replace another file unless asked."""
    path = Path(folder) / f"{slugify(model.name)}.yaml"
    if path.exists() and not overwrite:
        raise FileExistsError(f"A file named '{path.name}' already exists; choose another name "
                              "or replace it.")
    stamped = model.model_copy(update={"saved_at": _now()})
    _write_atomic(path, to_yaml(stamped))
    return path


@dataclass(frozen=True)
class Listed:
    """One file in a folder: its model, or the problem that kept it from loading."""

    slug: str
    path: Path
    model: SavedPlan | SavedView | None
    problem: str = ""

    @property
    def name(self) -> str:
        return self.model.name if self.model is not None else self.slug


def list_saved(folder: Path, model: type[BaseModel]) -> list[Listed]:
    """Every ``*.yaml`` in ``folder`` by name; a broken file is listed with its problem."""
    out = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            out.append(Listed(path.stem, path, _parse(path.read_bytes(), model, path.name)))
        except PlanFileError as exc:
            out.append(Listed(path.stem, path, None, str(exc)))
    return sorted(out, key=lambda item: item.name.lower())


def list_plans(data_dir: Path) -> list[Listed]:
    return list_saved(plans_dir(data_dir), SavedPlan)


def list_views(data_dir: Path) -> list[Listed]:
    return list_saved(views_dir(data_dir), SavedView)


def delete_saved(folder: Path, slug: str) -> None:
    (Path(folder) / f"{slugify(slug)}.yaml").unlink(missing_ok=True)


# --- plans <-> the pages' objects --------------------------------------------------------------
def planner_part(inputs: PlanInputs, team_records: list[dict]) -> PlannerPart:
    """The planner page's state (its inputs and its team table's rows) as a plan part."""
    rows = []
    for r in team_records:
        values = {k: r.get(k) for k in ("team_id", "program", "zone_id", "schedule")}
        if not any(v not in (None, "") and not (isinstance(v, float) and math.isnan(v))
                   for v in values.values()):
            continue  # a blank row the editor added
        rows.append({**values, "include": bool(r.get("include", True))})
    return PlannerPart.model_validate({"teams": rows, "costs": inputs.to_dict()})


def plan_inputs(part: PlannerPart) -> PlanInputs:
    return PlanInputs.from_dict(part.costs.model_dump())


def plan_team_table(part: PlannerPart) -> pd.DataFrame:
    """The planner's team table (``include, team_id, program, zone_id, schedule``)."""
    from response_atlas.analysis.planner import TEAM_COLUMNS

    return pd.DataFrame([t.model_dump() for t in part.teams], columns=list(TEAM_COLUMNS))


def what_if(scenario: Scenario) -> WhatIf:
    data = scenario.to_dict()
    data.pop("name")
    return WhatIf.model_validate(data)


def plan_scenario(saved: SavedPlan) -> Scenario | None:
    if saved.coverage is None:
        return None
    return Scenario(name=saved.name, **saved.coverage.model_dump())


# --- comparing ---------------------------------------------------------------------------------
Aggregate = Callable[[int, tuple], pd.DataFrame]  # (bucket minutes, kept dates) -> aggregate


def evaluate_planner(aggregate: Aggregate, filters: Filters, teams, inputs: PlanInputs):
    """The planner page's figures for ``teams`` and ``inputs``: ``(PlanResult, loads, weeks,
    programs)``. ``aggregate`` is ``eligible_aggregate`` bound to the snapshot and filters (the
    page passes its cached query)."""
    bucket, keep_dates = aggregation_for([t.schedule for t in teams])
    weeks = filter_weeks(filters)
    data = compute_coverage(aggregate(bucket, keep_dates), teams, weeks)
    loads = team_loads(data)
    programs = sorted({t.program for t in teams})
    return plan(loads, eligible_for(data, programs), weeks, inputs), loads, weeks, programs


def evaluate_what_if(aggregate: Aggregate, filters: Filters, zones, areas,
                     scenario: Scenario) -> ScenarioResult:
    """The coverage page's what-if figures for ``scenario`` (the snapshot's teams as baseline)."""
    teams, _ = teams_from_zones(zones)
    agg = aggregate(*needed_aggregation(teams, scenario))
    return evaluate_scenario(agg, teams, scenario, filter_weeks(filters), areas=areas)


PLANNER_ROWS = (
    ("Eligible calls served per year", "served_per_year", "{:,.0f}"),
    ("Police hours freed per year", "police_hours_freed", "{:,.0f}"),
    ("Team-hours per year", "team_hours_per_year", "{:,.0f}"),
    ("Annual cost", "annual_cost", "${:,.0f}"),
    ("Cost per call (team)", "cost_per_call", "${:,.0f}"),
    ("Months the budget covers", "months_budget_lasts", "{:,.1f}"),
    ("Funding gap per year", "funding_gap_per_year", "${:,.0f}"),
    ("Team rows left out", None, ""),  # last: the plan's rows this snapshot cannot use
)
COVERAGE_ROWS = (
    ("What-if change", None),
    ("Eligible calls in the period", "eligible"),
    ("Covered now", "baseline_covered"),
    ("Covered with the change", "scenario_covered"),
    ("Extra covered", "extra_covered"),
    ("Extra team-hours per week", "extra_team_hours"),
)


def _fmt(fmt: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return fmt.format(value)


def compare_saved(plans: list[SavedPlan], aggregate: Aggregate, filters: Filters, zones,
                  areas) -> pd.DataFrame:
    """2-4 saved plans side by side: planner and coverage figures as rows, plans as columns
    (display text; "-" where a plan has no such part, the problem where it cannot be applied)."""
    if not 2 <= len(plans) <= MAX_COMPARED:
        raise ValueError(f"Compare 2 to {MAX_COMPARED} plans (got {len(plans)}).")
    zone_ids = [str(z) for z in zones["zone_id"]] if not zones.empty else []
    labels = ["Planner: " + r[0] for r in PLANNER_ROWS] + ["Coverage: " + r[0] for r in COVERAGE_ROWS]
    table = {"Figure": labels}
    for saved in plans:
        column: list[str] = []
        if saved.planner is None:
            column += ["-"] * len(PLANNER_ROWS)
        else:
            teams, problems = teams_from_table(plan_team_table(saved.planner), zone_ids)
            if not teams:
                column += ["; ".join(problems) or "no team in the plan"] + \
                    [""] * (len(PLANNER_ROWS) - 1)
            else:
                result: PlanResult = evaluate_planner(aggregate, filters, teams,
                                                      plan_inputs(saved.planner))[0]
                column += [_fmt(fmt, getattr(result, attr)) for _, attr, fmt in PLANNER_ROWS[:-1]]
                column.append("; ".join(problems) or "none")  # rows this snapshot cannot use
        scenario = plan_scenario(saved)
        if scenario is None:
            column += ["-"] * len(COVERAGE_ROWS)
        else:
            try:
                r = evaluate_what_if(aggregate, filters, zones, areas, scenario)
                column += [scenario.describe(), f"{r.eligible:,}", f"{r.baseline_covered:,}",
                           f"{r.scenario_covered:,}", f"{r.extra_covered:+,}",
                           f"{r.extra_team_hours:+,.1f}"]
            except (ScenarioError, ScheduleError) as exc:
                column += [f"{scenario.describe()}: {exc}"] + [""] * (len(COVERAGE_ROWS) - 1)
        table[_unique(saved.name, table)] = column
    return pd.DataFrame(table)


def _unique(name: str, taken: dict) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name} ({n})", n + 1
    return out


# --- views -------------------------------------------------------------------------------------
FILTER_PARAMS = ("from", "to", "area", "cat", "tier", "hours", "days")


def view_filters(view: SavedView, first, last, known_areas) -> Filters:
    """A view's filters, read as the app reads its link (labels in the link mapped to keys)."""
    to_key = {label: key for key, label in {**CATEGORY_LABELS, **TIER_LABELS}.items()}
    params: dict[str, str] = {}
    for name in FILTER_PARAMS:
        raw = view.params.get(name)
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        values = [to_key.get(v, v) for v in values if v]
        if values:
            params[name] = "|".join(values) if name not in ("hours", "days") else values[0]
    return filters_from_params(params, Filters(first, last), frozenset(known_areas))


def load_view(data_dir: Path | None, name: str, snapshot) -> Filters:
    """The saved view called ``name`` (or with that file name) as filters for ``snapshot``."""
    from response_atlas.config import load_settings

    folder = views_dir(data_dir or load_settings().data_dir)
    path = folder / f"{slugify(name)}.yaml"
    if not path.exists():
        known = ", ".join(item.name for item in list_views(folder.parent)) or "none saved"
        raise LookupError(f"No saved view '{name}' in {folder} (views: {known}).")
    view = _parse(path.read_bytes(), SavedView, path.name)
    first, last = snapshot.date_range
    filters = view_filters(view, first, last, snapshot.area_names)
    if filters.notes:
        raise PlanFileError(path.name, list(filters.notes))
    return filters
