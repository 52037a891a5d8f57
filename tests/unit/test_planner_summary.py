"""The printable one-page planner summary and the planner figures."""

from __future__ import annotations

import pandas as pd

from response_atlas.analysis import planner as pl
from response_atlas.reports.summary import summary_html
from response_atlas.viz.planner_figures import budget_figure, cost_per_call_figure


def result(hours: float, covered: int) -> pl.PlanResult:
    loads = pd.DataFrame([("T", "ARC", hours, covered)],
                         columns=["team_id", "program", "weekly_hours", "covered"])
    return pl.plan(loads, 100, 52.0, pl.PlanInputs())


def test_summary_is_escaped_printable_html():
    named = [("<script>alert(1)</script>", result(40, 50)), ("Two teams", result(80, 90))]
    table = pl.format_comparison(pl.compare_plans(named)).rename(columns={"figure": "Per year"})
    html = summary_html("Plans", "data as of 2025-06-12", table,
                        pl.assumptions_table([pl.PlanInputs()]), ["a & b"])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "@page" in html and "@media print" in html
    assert "a &amp; b" in html
    assert "$615,680" in html and "$1,231,360" in html  # 40 h and 80 h a week at $296
    assert '<tr class="key"><td class="">Annual cost ($)</td>' in html
    assert "$615,000 / 2,080 = $295.67" in html  # the team-hour source is stated


def test_assumptions_table_joins_plans():
    table = pl.assumptions_table([pl.PlanInputs(), pl.PlanInputs(team_hour_cost=100,
                                                                 without_police_share=0.5)])
    rows = table.set_index("Input")["Value"]
    assert rows["Cost per team-hour ($)"] == "$296 / $100"
    assert rows["Share of team calls handled without police"] == "100% / 50%"
    assert rows["Hours per shift"] == "8 / 8"


def test_budget_figure_splits_cost_at_the_budget():
    fig = budget_figure([("one", result(40, 50)), ("three", result(120, 90))])
    within, gap = fig.data
    assert list(within.x) == [615_680, 1_000_000]
    assert list(gap.x) == [0, 120 * 52 * 296 - 1_000_000]  # 846,080 beyond the budget
    costs = cost_per_call_figure(result(40, 52))
    assert list(costs.data[0].y)[:2] == [615_680 / 52, 150.0]
