"""Planner figures: annual cost against the pilot budget, cost per call team vs police.

Pure plotly builders (no streamlit); Okabe-Ito colors, labels in plain words.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from response_atlas.analysis.planner import (
    DENVER_POLICE_COST_PER_CALL,
    DENVER_STAR_COST_PER_CALL,
    PlanResult,
)
from response_atlas.viz.palettes import OKABE_ITO

WITHIN = OKABE_ITO["blue"]
GAP = OKABE_ITO["vermillion"]
TEAM = OKABE_ITO["bluish_green"]
POLICE = OKABE_ITO["blue"]


def _money(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"${x:,.0f}"


def budget_figure(named: list[tuple[str, PlanResult]]) -> go.Figure:
    """One horizontal bar per plan: the annual cost, split into the part the budget pays and the
    funding gap beyond it, with the budget as a dashed line."""
    names = [n for n, _ in named]
    within = [min(r.annual_cost, r.budget) for _, r in named]
    gap = [r.funding_gap_per_year for _, r in named]
    fig = go.Figure()
    fig.add_bar(y=names, x=within, orientation="h", name="Paid by the pilot budget",
                marker_color=WITHIN, hovertemplate="%{y}: %{x:$,.0f}<extra></extra>")
    fig.add_bar(y=names, x=gap, orientation="h", name="Funding gap each year",
                marker_color=GAP, hovertemplate="%{y}: gap %{x:$,.0f}<extra></extra>",
                text=[_money(g) if g > 0 else "" for g in gap], textposition="inside",
                insidetextanchor="middle")
    if named:
        budget = named[0][1].budget
        fig.add_vline(x=budget, line_dash="dash", line_color=OKABE_ITO["black"],
                      annotation_text=f"Pilot budget {_money(budget)}",
                      annotation_position="top")
    fig.update_layout(
        barmode="stack", title="Annual cost against the pilot budget",
        xaxis_tickformat="$,.0f", yaxis_autorange="reversed",
        legend={"orientation": "h", "y": -0.25, "x": 0}, margin={"l": 10, "r": 20, "t": 70, "b": 10},
        height=max(260, 130 + 60 * len(named)),
    )
    return fig


def cost_per_call_figure(result: PlanResult) -> go.Figure:
    """Cost per call: the team (with its transports) vs police (time, bookings, transports),
    beside Denver's published figures for reference."""
    labels = ["This plan: team", "This plan: police", "Denver: STAR", "Denver: police"]
    values = [result.cost_per_call, result.police_cost_per_call,
              DENVER_STAR_COST_PER_CALL, DENVER_POLICE_COST_PER_CALL]
    colors = [TEAM, POLICE, OKABE_ITO["gray"], OKABE_ITO["gray"]]
    shown = [0 if v is None or math.isnan(v) else v for v in values]
    fig = go.Figure(go.Bar(
        x=labels, y=shown, marker_color=colors, text=[_money(v) for v in values],
        textposition="outside", hovertemplate="%{x}: %{y:$,.0f}<extra></extra>",
    ))
    fig.update_layout(
        title="Cost per call", yaxis_title="Dollars per call", yaxis_tickformat="$,.0f",
        showlegend=False, margin={"l": 10, "r": 10, "t": 60, "b": 10}, height=320,
    )
    fig.update_yaxes(range=[0, max(shown) * 1.2 if max(shown) > 0 else 1])
    return fig
