"""Is it working? A difference-in-differences event study of one program on one outcome.

Method (the About page says it in plain words, ``docs/evaluation.md``):

- **Panel**: one row per area and complete month (eligible calls of the program's kind, their
  outcomes), from the snapshot; served areas and their launch months from the program file.
- **Comparison areas**: areas no program of the same kind serves, the ones whose months before
  the launch look most like the served areas' (:func:`choose_comparison`); staff can edit them.
- **Estimator**: Gardner's two-stage difference-in-differences (``pyfixest.did2s``), made for
  staggered launches: area and month fixed effects are fitted on the months an area is not served,
  and the effect is the average gap between what served area-months saw and what those fixed
  effects predict. Its standard errors are clustered by area (GMM-corrected for the first stage).
- **Honest intervals**: a randomization (placebo-in-space) interval from giving the launch dates
  to random sets of comparison areas; the headline interval spans both.
- **Checks**: an event study with a joint pre-trend test, a placebo launch date before the real
  one, and a plausibility check of the calls avoided against the team's own caseload.

Pure functions over a snapshot or a panel frame; no streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from response_atlas.analysis.coverage import ELIGIBILITY
from response_atlas.analysis.planner import PlanInputs, snapshot_rates
from response_atlas.config import PROJECT_ROOT
from response_atlas.filters import Filters
from response_atlas.programs import ALL_AREAS, ProgramSpec, load_snapshot_programs

SERVED, COMPARISON = "Served areas", "Comparison areas"
NOT_AREAS = ("Outside county", "No location")
POLICE_OUTCOMES = ("police_backup_requested", "arrest")
EVENT_WINDOW = 12  # months either side of the launch shown in the event study (ends binned)
RANDOM_REPS = 49  # each draw is a pyfixest fit (~0.1 s); 49 gives the 2.5% and 97.5% points
MIN_RANDOM_REPS = 19  # fewer distinct placebo sets than this: no randomization interval
ALPHA = 0.05
# Comparison areas: how much a different level counts against a different shape (the area
# fixed effects absorb levels, not shapes; the demo's pre-trend test came out the same at 1.0).
LEVEL_WEIGHT = 0.25


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    kind: str  # "count" (calls per area-month) or "mean" (minutes, weighted by calls)
    unit: str
    help: str


OUTCOMES: dict[str, Outcome] = {o.key: o for o in (
    Outcome("police_handled", "Eligible calls handled by police", "count", "calls",
            "Eligible calls not handled by the team without police (no contact of the program, "
            "or a contact that asked for police backup or ended in an arrest)."),
    Outcome("eligible", "All eligible calls", "count", "calls",
            "Calls the triage rules make eligible for the program."),
    Outcome("repeat", "Repeat eligible calls (same block within 90 days)", "count", "calls",
            "Eligible calls from a block with another eligible call in the 90 days before: the "
            "calls a team visit is meant to prevent, counted the same way in every area."),
    Outcome("arrests", "Arrests or citations on eligible calls", "count", "calls",
            "Eligible calls whose disposition is an arrest or a citation."),
    Outcome("response_time", "Response time of eligible calls (minutes)", "mean", "minutes",
            "Average minutes from the call to the first unit's arrival."),
)}


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    @property
    def covers_zero(self) -> bool:
        return self.low <= 0 <= self.high

    def scaled(self, factor: float) -> Interval:
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Interval(self.estimate * factor, lo, hi)


@dataclass(frozen=True)
class Design:
    """Served areas with their first served month, and the comparison areas."""

    treated: tuple[tuple[str, pd.Timestamp], ...]
    comparison: tuple[str, ...]

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.treated)


@dataclass(frozen=True)
class Plausibility:
    implausible: bool
    avoided_per_month: float
    caseload_per_month: float
    reason: str


@dataclass(frozen=True)
class Estimates:
    """The estimate and its checks for one panel and design."""

    att_cluster: Interval
    att_random: Interval | None
    random_p: float | None
    random_reps: int
    att: Interval  # spans the clustered and the randomization interval
    counterfactual: float
    relative: Interval | None
    event: pd.DataFrame
    pretrend_p: float | None
    placebo: Interval | None
    placebo_month: pd.Timestamp | None


@dataclass(frozen=True)
class Evaluation:
    """Everything the page shows for one program and outcome (staff fields stripped by publish)."""

    program: ProgramSpec
    outcome: Outcome
    problem: str | None  # why there is no estimate (None: there is one)
    design: Design | None = None
    candidates: tuple[str, ...] = ()
    panel: pd.DataFrame = field(default_factory=pd.DataFrame)  # area, month, y, weight, group
    est: Estimates | None = None  # per served area-month
    per_month: Interval | None = None  # calls a month in all served areas
    hours_per_month: Interval | None = None
    cost_per_month: Interval | None = None
    hours_per_call: float = math.nan
    cost_per_hour: float = math.nan
    plausibility: Plausibility | None = None
    verdict: tuple[str, ...] = ()


# --- the panel -----------------------------------------------------------------------------------
def complete_months(first: date, last: date) -> list[pd.Timestamp]:
    """First days of the months wholly inside [first, last]."""
    start = pd.Timestamp(first).to_period("M")
    if pd.Timestamp(first).day != 1:
        start += 1
    end = pd.Timestamp(last).to_period("M")
    if (pd.Timestamp(last) + pd.Timedelta(days=1)).day != 1:
        end -= 1
    return [p.to_timestamp() for p in pd.period_range(start, end, freq="M")] if start <= end else []


def monthly_panel(snapshot, program: str) -> pd.DataFrame:
    """Per area and complete month: every outcome's value and weight, zeros filled in."""
    predicate = ELIGIBILITY[program][0]
    has_contacts = snapshot.has_table("contacts")
    handled = (
        "SELECT call_id FROM contacts WHERE program = ? AND call_id IS NOT NULL GROUP BY call_id "
        f"HAVING bool_and(outcome NOT IN {POLICE_OUTCOMES})"
        if has_contacts else "SELECT NULL::VARCHAR AS call_id WHERE FALSE"
    )
    frame = snapshot.query(
        f"""WITH handled AS ({handled}),
            e AS (SELECT area, call_month, call_id, arrest, disposition, response_min,
                         address IS NOT NULL AND received_at - lag(received_at) OVER (
                             PARTITION BY address ORDER BY received_at) <= INTERVAL 90 DAY AS rep
                  FROM calls WHERE location_status = 'in_area' AND ({predicate}))
            SELECT area, call_month AS month, count(*) AS eligible,
                   count(*) FILTER (WHERE call_id NOT IN (SELECT call_id FROM handled))
                       AS police_handled,
                   count(*) FILTER (WHERE rep) AS "repeat",
                   count(*) FILTER (WHERE arrest OR upper(coalesce(disposition, '')) LIKE 'CIT%')
                       AS arrests,
                   avg(response_min) AS response_time, count(response_min) AS response_n
            FROM e GROUP BY ALL""",
        [program] if has_contacts else [],
    )
    months = complete_months(*snapshot.date_range)
    areas = [a for a in snapshot.area_names if a not in NOT_AREAS]
    grid = pd.MultiIndex.from_product([areas, months], names=["area", "month"])
    frame["month"] = pd.to_datetime(frame["month"])
    out = frame.set_index(["area", "month"]).reindex(grid).reset_index()
    counts = ["eligible", "police_handled", "repeat", "arrests", "response_n"]
    out[counts] = out[counts].fillna(0).astype(int)
    return out


def outcome_panel(wide: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """``area, month, y, weight`` for one outcome (a mean's months without calls are dropped)."""
    spec = OUTCOMES[outcome]
    if spec.kind == "mean":
        out = wide.assign(y=wide[outcome], weight=wide["response_n"])
        out = out[out["weight"] > 0]
    else:
        out = wide.assign(y=wide[outcome].astype(float), weight=1)
    return out[["area", "month", "y", "weight"]].reset_index(drop=True)


def zone_areas(snapshot, zone_ids) -> set[str]:
    """Areas at least half inside the union of the zones."""
    zones = snapshot.zones
    chosen = zones[zones["zone_id"].isin(list(zone_ids))]
    if chosen.empty:
        return set()
    union = chosen.geometry.union_all()
    areas = snapshot.areas
    share = areas.geometry.intersection(union).area / areas.geometry.area.where(
        areas.geometry.area > 0)
    return set(areas.loc[share >= 0.5, "area"].astype(str))


def served_months(spec: ProgramSpec, all_areas, zone_lookup=None) -> dict[str, pd.Timestamp]:
    """Area -> the first month it counts as served (the launch month; earliest rollout wins)."""
    out: dict[str, pd.Timestamp] = {}
    for step in sorted(spec.rollout, key=lambda r: r.start):
        areas = set(all_areas) if ALL_AREAS in step.areas else set(step.areas)
        if step.zones and zone_lookup is not None:
            areas |= zone_lookup(step.zones)
        month = pd.Timestamp(step.start).to_period("M").to_timestamp()
        for area in sorted(areas & set(all_areas)):
            out.setdefault(area, month)
    return out


def comparison_pool(specs: list[ProgramSpec], spec: ProgramSpec, all_areas,
                    zone_lookup=None) -> list[str]:
    """Areas that no program of the same kind ever serves (spill-over would bias them)."""
    taken: set[str] = set()
    for other in specs:
        if other.program == spec.program or other.program_id == spec.program_id:
            taken |= set(served_months(other, all_areas, zone_lookup))
    return [a for a in all_areas if a not in taken]


# --- comparison areas ----------------------------------------------------------------------------
def choose_comparison(panel: pd.DataFrame, treated: dict[str, pd.Timestamp],
                      candidates: list[str], k: int | None = None) -> pd.DataFrame:
    """Candidates ranked by how closely their months before the launch track the served areas'.

    Distance = RMSE between each series divided by its own mean (the shape, which the fixed effects
    do not absorb) plus LEVEL_WEIGHT x the absolute log ratio of the levels. Returns ``area,
    distance, chosen`` (the ``k`` closest chosen; default max(10, 3 x served areas)).
    """
    first = min(treated.values())
    pre = panel[panel["month"] < first].pivot_table(index="area", columns="month", values="y",
                                                    aggfunc="sum")
    k = k or max(10, 3 * len(treated))
    served = pre.reindex([a for a in treated if a in pre.index])
    target = served.mean()
    rows = []
    for area in candidates:
        if area not in pre.index:
            continue
        series = pre.loc[area]
        level = series.mean()
        if not (level > 0) or not (target.mean() > 0):
            continue
        shape = float(np.sqrt(((series / level - target / target.mean()) ** 2).mean()))
        per_area = served.mean(axis=1).mean()
        distance = shape + LEVEL_WEIGHT * abs(math.log(level / per_area))
        rows.append({"area": area, "distance": distance})
    out = pd.DataFrame(rows, columns=["area", "distance"]).sort_values("distance", kind="stable")
    out["chosen"] = np.arange(len(out)) < k
    return out.reset_index(drop=True)


# --- estimation (pyfixest) -----------------------------------------------------------------------
def design_frame(panel: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The estimation frame: served and comparison areas, integer periods, treatment, event time."""
    launch = dict(design.treated)
    keep = panel[panel["area"].isin([*launch, *design.comparison])].copy()
    months = sorted(keep["month"].unique())
    index = {m: i for i, m in enumerate(months)}
    keep["t"] = keep["month"].map(index).astype(int)
    first = {a: index.get(m, np.searchsorted(months, m)) for a, m in launch.items()}
    keep["g"] = keep["area"].map(first).fillna(-1).astype(int)
    served = keep["g"] >= 0
    keep["treat"] = served & (keep["t"] >= keep["g"])
    rel = (keep["t"] - keep["g"]).clip(-EVENT_WINDOW, EVENT_WINDOW)
    keep["rel"] = np.where(served, rel, -1).astype(int)
    return keep.reset_index(drop=True)


def _did2s(frame: pd.DataFrame, second_stage: str):
    import pyfixest as pf  # imported on first use: the page imports this module cheaply

    weights = "weight" if frame["weight"].nunique() > 1 else None
    return pf.did2s(frame, yname="y", first_stage="~ 0 | area + t", second_stage=second_stage,
                    treatment="treat", cluster="area", weights=weights)


def fit_att(frame: pd.DataFrame) -> Interval:
    """Average effect per served area-month, 95% interval clustered by area (did2s)."""
    tidy = _did2s(frame, "~ 0 + treat").tidy().iloc[0]
    return Interval(float(tidy["Estimate"]), float(tidy["2.5%"]), float(tidy["97.5%"]))


def fit_event_study(frame: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """Effects by month since launch (the month before is the reference) and the pre-trend p."""
    fit = _did2s(frame, "~ i(rel, ref=-1)")
    tidy = fit.tidy()
    rel = tidy.index.str.extract(r"rel::(-?\d+)")[0].astype(float).to_numpy()
    event = pd.DataFrame({"rel": rel, "estimate": tidy["Estimate"].to_numpy(),
                          "low": tidy["2.5%"].to_numpy(), "high": tidy["97.5%"].to_numpy()})
    event = pd.concat([event, pd.DataFrame([{"rel": -1.0, "estimate": 0.0, "low": 0.0,
                                             "high": 0.0}])])
    event = event.dropna(subset=["rel"]).sort_values("rel").reset_index(drop=True)
    # One restriction: the leads' linear slope is zero. The leads' mean is zero by construction
    # (did2s fits each area's level on its own months before launch), and a joint test of a dozen
    # leads with a handful of area clusters has a rank-deficient covariance and rejects too often.
    leads = np.flatnonzero(rel <= -2)
    p = None
    if len(leads) >= 2:
        centred = rel[leads] - rel[leads].mean()
        restriction = np.zeros((1, len(rel)))
        restriction[0, leads] = centred / np.abs(centred).sum()
        result = fit.wald_test(R=restriction, q=np.zeros(1), distribution="chi2")
        p = float(result["pvalue"])
    return event, p


def point_att(frame: pd.DataFrame) -> float:
    """The did2s point estimate alone (first stage with ``feols``): fast, for placebo draws."""
    import pyfixest as pf

    untreated = frame[~frame["treat"]]
    weights = "weight" if frame["weight"].nunique() > 1 else None
    fit = pf.feols("y ~ 1 | area + t", data=untreated, weights=weights)
    treated = frame[frame["treat"]]
    gap = treated["y"].to_numpy() - np.asarray(fit.predict(newdata=treated), dtype=float)
    w = treated["weight"].to_numpy(float)
    ok = np.isfinite(gap)
    return float(np.average(gap[ok], weights=w[ok])) if ok.any() else math.nan


def placebo_in_space(panel: pd.DataFrame, design: Design, reps: int = RANDOM_REPS,
                     seed: int = 24) -> np.ndarray:
    """Effects estimated when random sets of comparison areas get the served areas' launches."""
    pool = list(design.comparison)
    n = min(len(design.treated), len(pool) - 2)
    if n < 1 or math.comb(len(pool), n) < MIN_RANDOM_REPS:
        return np.array([])
    reps = min(reps, math.comb(len(pool), n) - 1)
    rng = np.random.default_rng(seed)
    launches = [m for _, m in design.treated]
    draws = []
    for _ in range(reps):
        fake = rng.choice(pool, size=n, replace=False)
        rest = tuple(a for a in pool if a not in set(fake))
        when = rng.permutation(launches)[:n]
        fake_design = Design(tuple(zip(fake, when, strict=True)), rest)
        draws.append(point_att(design_frame(panel, fake_design)))
    return np.array([d for d in draws if np.isfinite(d)])


def randomization_interval(att: float, placebos: np.ndarray) -> tuple[Interval, float]:
    """att minus the placebo quantiles (placebo estimates show the error when nothing happened)."""
    hi, lo = np.quantile(placebos, [1 - ALPHA / 2, ALPHA / 2])
    p = (1 + int((np.abs(placebos) >= abs(att)).sum())) / (1 + len(placebos))
    return Interval(att, att - hi, att - lo), p


def honest_att(panel: pd.DataFrame, design: Design, reps: int = RANDOM_REPS):
    """(clustered, randomization or None, its p or None, placebo draws, the interval spanning both)."""
    att_cluster = fit_att(design_frame(panel, design))
    placebos = placebo_in_space(panel, design, reps)
    att_random, random_p = (randomization_interval(att_cluster.estimate, placebos)
                            if len(placebos) >= MIN_RANDOM_REPS else (None, None))
    att = att_cluster if att_random is None else Interval(
        att_cluster.estimate, min(att_cluster.low, att_random.low),
        max(att_cluster.high, att_random.high))
    return att_cluster, att_random, random_p, len(placebos), att


def placebo_launch(panel: pd.DataFrame, design: Design, reps: int = RANDOM_REPS
                   ) -> tuple[Interval | None, pd.Timestamp | None]:
    """The same honest interval with a fake launch halfway through the months before the real one."""
    first = min(m for _, m in design.treated)
    before = panel[panel["month"] < first]
    months = sorted(before["month"].unique())
    if len(months) < 6:
        return None, None
    fake = months[len(months) // 2]
    fake_design = Design(tuple((a, fake) for a in design.served), design.comparison)
    return honest_att(before, fake_design, reps)[-1], pd.Timestamp(fake)


def estimate_effect(panel: pd.DataFrame, design: Design, reps: int = RANDOM_REPS) -> Estimates:
    """did2s effect, randomization interval, event study, pre-trend test and placebo date."""
    frame = design_frame(panel, design)
    att_cluster, att_random, random_p, drawn, att = honest_att(panel, design, reps)
    post = frame[frame["treat"]]
    counterfactual = float(np.average(post["y"], weights=post["weight"])) - att.estimate
    relative = att.scaled(1 / counterfactual) if counterfactual > 0 else None
    event, pretrend_p = fit_event_study(frame)
    placebo, placebo_month = placebo_launch(panel, design, reps)
    return Estimates(att_cluster, att_random, random_p, drawn, att, counterfactual,
                     relative, event, pretrend_p, placebo, placebo_month)


# --- what it means -------------------------------------------------------------------------------
def caseload(snapshot, spec: ProgramSpec, treated: dict[str, pd.Timestamp]) -> pd.DataFrame:
    """Team contacts per served area and month, from each area's launch (``area, month, n``)."""
    if not snapshot.has_table("contacts") or not treated:
        return pd.DataFrame(columns=["area", "month", "n"])
    teams = list(spec.teams)
    team_sql = f"AND k.team_id IN ({', '.join('?' * len(teams))})" if teams else ""
    frame = snapshot.query(
        f"""SELECT coalesce(c.area, k.area) AS area, date_trunc('month', k.contact_at) AS month,
                   count(*) AS n
            FROM contacts k LEFT JOIN calls c ON c.call_id = k.call_id
            WHERE k.program = ? {team_sql} GROUP BY ALL""",
        [spec.program, *teams],
    )
    frame["month"] = pd.to_datetime(frame["month"])
    start = frame["area"].map(treated)
    return frame[start.notna() & (frame["month"] >= start)].reset_index(drop=True)


def check_plausibility(per_month: Interval, caseload_per_month: float) -> Plausibility:
    """Calls avoided a month set beside the calls the team handled a month in the same areas."""
    avoided = -per_month.estimate
    if avoided <= 0:
        return Plausibility(False, avoided, caseload_per_month,
                            "The estimate is not a reduction, so there is no caseload to exceed.")
    if avoided > caseload_per_month:
        return Plausibility(
            True, avoided, caseload_per_month,
            f"Implausible: the estimate says {avoided:,.0f} fewer calls a month, but the team "
            f"handled only {caseload_per_month:,.0f} calls a month in these areas. A team cannot "
            "avoid more calls than it answers: something else changed at the same time, or the "
            "comparison areas are not comparable.")
    return Plausibility(False, avoided, caseload_per_month,
                        f"Plausible: {avoided:,.0f} fewer calls a month is "
                        f"{avoided / caseload_per_month:.0%} of the {caseload_per_month:,.0f} "
                        "calls a month the team handled in these areas.")


def decision_units(att: Interval, served_per_month: float, hours_per_call: float,
                   cost_per_hour: float) -> tuple[Interval, Interval, Interval]:
    """Calls a month in all served areas, police hours a month and their cost (negative: saved)."""
    calls = att.scaled(served_per_month)
    hours = calls.scaled(hours_per_call)
    return calls, hours, hours.scaled(cost_per_hour)


def verdict_lines(ev: Evaluation) -> tuple[str, ...]:
    """The page's plain words: what the data can and cannot tell."""
    lines = []
    unit = ev.outcome.unit
    att = ev.est.att
    if att.covers_zero:
        lines.append(f"The data cannot tell: the interval ({att.low:+,.2f} to {att.high:+,.2f} "
                     f"{unit} per area and month) includes no change at all.")
    else:
        word = "fewer" if att.estimate < 0 else "more"
        lines.append(f"Served areas saw {abs(att.estimate):,.2f} {word} {unit} per area and month "
                     f"than their comparison areas predict (interval {att.low:+,.2f} to "
                     f"{att.high:+,.2f}); zero is outside the interval.")
    if ev.est.pretrend_p is not None and ev.est.pretrend_p < ALPHA:
        lines.append(f"Warning: before the launch the served and comparison areas already moved "
                     f"differently (pre-trend test p = {ev.est.pretrend_p:.3f}); the estimate may "
                     "reflect that, not the program.")
    if ev.est.placebo is not None and not ev.est.placebo.covers_zero:
        lines.append("Warning: a fake launch date before the real one also finds an 'effect' "
                     "(its interval excludes zero): the comparison is not reliable.")
    if ev.plausibility is not None and ev.plausibility.implausible:
        lines.append(ev.plausibility.reason)
    if len(ev.design.served) < 5:
        lines.append(f"Only {len(ev.design.served)} served areas: intervals are wide and the "
                     "estimate rests on few places.")
    return tuple(lines)


# --- the whole evaluation ------------------------------------------------------------------------
def list_programs(snapshot) -> list[ProgramSpec]:
    return load_snapshot_programs(snapshot)


def build_evaluation(snapshot, program_id: str, outcome: str,
                     comparison: tuple[str, ...] | None = None,
                     reps: int = RANDOM_REPS) -> Evaluation:
    """Evaluate one program on one outcome (``comparison``: None picks the areas automatically)."""
    specs = list_programs(snapshot)
    spec = next((s for s in specs if s.program_id == program_id), None)
    if spec is None:
        raise ValueError(f"no program {program_id!r} in the snapshot's programs.yaml")
    out = OUTCOMES[outcome]
    wide = monthly_panel(snapshot, spec.program)
    all_areas = sorted(wide["area"].unique())

    def lookup(zones):
        return zone_areas(snapshot, zones)

    treated = served_months(spec, all_areas, lookup)
    pool = comparison_pool(specs, spec, all_areas, lookup)
    panel = outcome_panel(wide, outcome)
    months = sorted(panel["month"].unique())
    if not treated:
        return Evaluation(spec, out, "The program file lists no area found in the data.")
    if not months or min(treated.values()) <= months[0]:
        return Evaluation(spec, out, "The program started before the data begins: there are no "
                          "months before the launch to compare with.")
    if min(treated.values()) > months[-1]:
        return Evaluation(spec, out, "The program starts after the data ends.")
    if len(pool) < 2:
        return Evaluation(spec, out, "Every area is served by a program of this kind: there are "
                          "no comparison areas, so the data cannot tell what would have happened "
                          "without it.")
    ranked = choose_comparison(panel, treated, pool)
    chosen = tuple(comparison) if comparison else tuple(ranked.loc[ranked["chosen"], "area"])
    chosen = tuple(a for a in chosen if a in set(pool))
    if len(chosen) < 2:
        return Evaluation(spec, out, "Fewer than two comparison areas are left.")
    design = Design(tuple(sorted(treated.items())), chosen)
    est = estimate_effect(panel, design, reps)
    att = est.att
    post = design_frame(panel, design).query("treat")
    served_per_month = len(post) / max(post["month"].nunique(), 1)
    rates = snapshot_rates(snapshot, Filters(*snapshot.date_range), spec.program)
    hours_per_call = float(rates["police_hours_per_call"])
    cost_per_hour = PlanInputs().police_call_hour_cost
    per_month = hours = cost = plaus = None
    if out.kind == "count":
        per_month, hours, cost = decision_units(att, served_per_month, hours_per_call,
                                                cost_per_hour)
        load = caseload(snapshot, spec, treated)
        load = load[load["month"].isin(set(post["month"]))]
        plaus = check_plausibility(per_month, float(load["n"].sum()) / max(
            post["month"].nunique(), 1))
    group = np.where(panel["area"].isin(design.served), SERVED,
                     np.where(panel["area"].isin(chosen), COMPARISON, ""))
    ev = Evaluation(
        spec, out, None, design, tuple(pool),
        panel.assign(group=group)[group != ""].reset_index(drop=True), est, per_month, hours,
        cost, hours_per_call, cost_per_hour, plaus)
    return _with_verdict(ev)


def _with_verdict(ev: Evaluation) -> Evaluation:
    from dataclasses import replace

    return replace(ev, verdict=verdict_lines(ev))


# --- publish -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedEvaluation:
    """What a browser receives: the estimates, monthly area-group lines, and (staff) per area."""

    evaluation: Evaluation
    groups: pd.DataFrame  # month, group, areas, value (None when hidden), shown (text)
    per_area: pd.DataFrame | None  # staff only: area, group, launch, distance, months, mean
    hidden_cells: int


def group_monthly(panel: pd.DataFrame, outcome: Outcome) -> pd.DataFrame:
    """Per month and area group: the total (counts) or weighted mean, the areas and calls behind it."""
    panel = panel.assign(wy=panel["y"] * panel["weight"])
    out = panel.groupby(["month", "group"], as_index=False).agg(
        areas=("area", "nunique"), total=("wy", "sum"), weight=("weight", "sum"))
    out["value"] = (out["total"] / out["weight"] if outcome.kind == "mean"
                    else out["total"] / out["areas"])
    return out


def publish_evaluation(ev: Evaluation, public: bool, threshold: int) -> PublishedEvaluation:
    """The publish step: public views get area groups and months only, small counts hidden."""
    from dataclasses import replace

    from response_atlas.analysis.suppression import is_small, small_label

    if ev.problem is not None:
        return PublishedEvaluation(ev, pd.DataFrame(), None, 0)
    groups = group_monthly(ev.panel, ev.outcome)
    # A group's month rests on its calls: a count total, or the calls behind a mean.
    basis = groups["weight"] if ev.outcome.kind == "mean" else groups["total"]
    hidden = basis.map(lambda v: is_small(v, threshold)) if public else basis * False
    groups["shown"] = [small_label(threshold) if h else f"{v:,.2f}"
                       for h, v in zip(hidden, groups["value"], strict=True)]
    groups["value"] = groups["value"].where(~hidden.astype(bool))
    groups = groups.drop(columns=["total", "weight"])
    if public:
        return PublishedEvaluation(replace(ev, panel=pd.DataFrame()), groups, None,
                                   int(hidden.sum()))
    launch = dict(ev.design.treated)
    per_area = ev.panel.groupby(["area", "group"], as_index=False).agg(
        months=("month", "nunique"), mean=("y", "mean"))
    per_area["launch"] = per_area["area"].map(launch).dt.date
    return PublishedEvaluation(ev, groups, per_area, 0)


def panel_csv_frame(ev: Evaluation) -> pd.DataFrame:
    """The panel used, one row per area and month (staff download)."""
    launch = dict(ev.design.treated)
    out = ev.panel.copy()
    out["served_from"] = out["area"].map(launch).dt.date
    out["month"] = out["month"].dt.date
    return out.rename(columns={"y": ev.outcome.key})


ABOUT_FILE = PROJECT_ROOT / "docs" / "evaluation.md"


def about_markdown() -> str:
    """The About page's section on the evaluation method (docs/evaluation.md; our own text)."""
    return ABOUT_FILE.read_text(encoding="utf-8") if ABOUT_FILE.is_file() else ""
