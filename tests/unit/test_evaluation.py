"""The evaluation's estimator and checks on small synthetic panels (known effects), the program
file's validation, the plausibility check and the publish step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from response_atlas.analysis import evaluation as ev
from response_atlas.programs import ProgramsError, parse_programs

MONTHS = pd.date_range("2024-01-01", periods=24, freq="MS")
WAVES = {MONTHS[12]: 4, MONTHS[16]: 4}  # staggered: 4 areas from month 12, 4 more from month 16


def synthetic_panel(effect: float, seed: int = 3, n_areas: int = 30,
                    pre_trend: float = 0.0) -> tuple[pd.DataFrame, ev.Design]:
    """Poisson calls per area-month: area levels, a shared season, ``effect`` (a share) after launch.

    ``pre_trend``: served areas grow by this share a month more than the others (before and after).
    """
    rng = np.random.default_rng(seed)
    level = rng.uniform(20, 60, n_areas)
    season = 1 + 0.1 * np.sin(np.arange(len(MONTHS)) / 12 * 2 * np.pi)
    names = [f"A{i:02d}" for i in range(n_areas)]
    launch: dict[str, pd.Timestamp] = {}
    i = 0
    for month, count in WAVES.items():
        for _ in range(count):
            launch[names[i]] = month
            i += 1
    rows = []
    for a, name in enumerate(names):
        for t, month in enumerate(MONTHS):
            mu = level[a] * season[t]
            if name in launch:
                mu *= 1 + pre_trend * t
                if month >= launch[name]:
                    mu *= 1 + effect
            rows.append((name, month, float(rng.poisson(mu)), 1))
    panel = pd.DataFrame(rows, columns=["area", "month", "y", "weight"])
    design = ev.Design(tuple(sorted(launch.items())), tuple(n for n in names if n not in launch))
    return panel, design


@pytest.fixture(scope="module")
def injected():
    panel, design = synthetic_panel(-0.15)
    return ev.estimate_effect(panel, design, reps=19)


@pytest.fixture(scope="module")
def null():
    panel, design = synthetic_panel(0.0, seed=5)
    return ev.estimate_effect(panel, design, reps=19)


def test_recovers_the_injected_effect_inside_its_interval(injected):
    rel = injected.relative
    assert rel.low <= -0.15 <= rel.high
    assert rel.high < 0, "a 15% drop in 8 areas over 8-12 months is large enough to be seen"
    assert injected.att_random is not None and injected.random_reps == 19
    assert injected.att.low <= min(injected.att_cluster.low, injected.att_random.low)


def test_no_effect_gives_an_interval_that_covers_zero(null):
    assert null.att.covers_zero
    assert null.relative.covers_zero


def test_placebo_launch_date_finds_nothing(injected):
    assert injected.placebo_month < MONTHS[12]
    assert injected.placebo.covers_zero


def test_event_study_has_leads_near_zero_and_lags_below(injected):
    event = injected.event.set_index("rel")
    assert event.loc[-1.0, "estimate"] == 0.0
    assert event.loc[event.index >= 0, "estimate"].mean() < 0
    assert injected.pretrend_p > 0.05


def test_pretrend_test_flags_served_areas_already_growing_apart():
    panel, design = synthetic_panel(0.0, seed=7, pre_trend=0.02)
    est = ev.estimate_effect(panel, design, reps=0)
    assert est.pretrend_p < 0.05
    assert est.att_random is None  # reps=0: no randomization interval, the clustered one alone


def test_comparison_areas_are_chosen_by_pre_period_shape():
    panel, design = synthetic_panel(0.0)
    flipped = panel["area"].isin(["A20", "A21"])
    t = panel["month"].map({m: i for i, m in enumerate(MONTHS)})
    panel.loc[flipped, "y"] = panel.loc[flipped, "y"] * (1 + 0.08 * t[flipped])  # growing fast
    ranked = ev.choose_comparison(panel, dict(design.treated), list(design.comparison), k=10)
    assert ranked["chosen"].sum() == 10
    assert set(ranked.loc[ranked["chosen"], "area"]).isdisjoint({"A20", "A21"})
    assert {"A20", "A21"} <= set(ranked["area"][-4:])  # among the least similar


def test_plausibility_flags_an_estimate_larger_than_the_caseload():
    built = ev.check_plausibility(ev.Interval(-120.0, -150.0, -90.0), caseload_per_month=80.0)
    assert built.implausible
    assert "120 fewer calls a month" in built.reason and "only 80" in built.reason
    fine = ev.check_plausibility(ev.Interval(-30.0, -50.0, -10.0), caseload_per_month=80.0)
    assert not fine.implausible and "38%" in fine.reason
    assert not ev.check_plausibility(ev.Interval(5.0, -1.0, 9.0), 0.0).implausible


def test_decision_units_scale_the_interval():
    calls, hours, cost = ev.decision_units(ev.Interval(-2.0, -3.0, -1.0), 8, 0.75, 150.0)
    assert (calls.estimate, calls.low, calls.high) == (-16.0, -24.0, -8.0)
    assert (hours.low, hours.high) == (-18.0, -6.0)
    assert cost.estimate == -1800.0


def test_served_months_take_the_earliest_rollout_and_all_areas():
    spec = parse_programs("""programs:
  - {id: p, name: P, program: ARC, rollout: [{date: 2025-03-15, areas: [B]},
                                              {date: 2025-01-02, areas: [A, B]}]}
  - {id: q, name: Q, program: QRT, launched: 2024-05-01, areas: all}
""")
    assert ev.served_months(spec[0], ["A", "B", "C"]) == {
        "A": pd.Timestamp("2025-01-01"), "B": pd.Timestamp("2025-01-01")}
    assert set(ev.served_months(spec[1], ["A", "B", "C"])) == {"A", "B", "C"}
    assert ev.comparison_pool(spec, spec[0], ["A", "B", "C"]) == ["C"]
    assert spec[0].markers()[0][0].isoformat() == "2025-01-02"


def test_program_file_problems_name_entry_and_problem():
    text = """programs:
  - {id: ok, name: OK, program: ARC, launched: 2025-01-02, areas: [A]}
  - {id: Bad Id, program: XYZ, launched: 2025-13-01, areas: [Nowhere]}
  - {id: ok, name: again, program: QRT}
  - {id: four, name: F, program: ARC, launched: 2025-02-03, areas: [Nowhere]}
"""
    with pytest.raises(ProgramsError) as err:
        parse_programs(text, "programs.yaml", areas={"A"}, zones=set())
    problems = err.value.problems
    assert any("entry 2" in p and "id must be" in p for p in problems)
    assert any("entry 2" in p and "'XYZ'" in p for p in problems)
    assert any("entry 2" in p and "2025-13-01" in p for p in problems)
    assert any("entry 4" in p and "Nowhere" in p for p in problems)
    assert any("entry 3" in p and "used twice" in p for p in problems)
    assert any("entry 3" in p and "launched" in p for p in problems)


def test_public_publish_keeps_area_groups_and_hides_small_counts():
    panel, design = synthetic_panel(-0.15)
    panel.loc[panel["area"].isin(design.served) & (panel["month"] == MONTHS[0]), "y"] = 1.0
    group = np.where(panel["area"].isin(design.served), ev.SERVED, ev.COMPARISON)
    spec = parse_programs("programs:\n  - {id: p, name: P, program: ARC, launched: 2025-01-06, "
                          "areas: [A00]}\n")[0]
    model = ev.Evaluation(spec, ev.OUTCOMES["eligible"], None, design, (),
                          panel.assign(group=group))
    public = ev.publish_evaluation(model, public=True, threshold=10)
    assert public.per_area is None and public.evaluation.panel.empty
    assert set(public.groups["group"]) == {ev.SERVED, ev.COMPARISON}
    first = public.groups[(public.groups["month"] == MONTHS[0])
                          & (public.groups["group"] == ev.SERVED)].iloc[0]
    assert first["shown"] == "fewer than 11" and pd.isna(first["value"])
    assert public.hidden_cells == 1
    staff = ev.publish_evaluation(model, public=False, threshold=10)
    assert len(staff.per_area) == 30 and staff.hidden_cells == 0
