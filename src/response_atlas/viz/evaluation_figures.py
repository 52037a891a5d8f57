"""Plotly figures for the evaluation page (no streamlit): group trends with program markers, the
event study. Okabe-Ito colors; every figure has a title and axis labels."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from response_atlas.viz.palettes import OKABE_ITO

GROUP_COLORS = {"Served areas": OKABE_ITO["blue"], "Comparison areas": OKABE_ITO["orange"]}
MARKER_COLOR = OKABE_ITO["gray"]


def add_program_markers(fig: go.Figure, markers: list[tuple[date, str]]) -> go.Figure:
    """Dashed vertical lines at program launches and changes on a date x axis, labelled."""
    for i, (day, label) in enumerate(markers):
        x = pd.Timestamp(day).to_pydatetime()
        fig.add_vline(x=x, line_dash="dash", line_color=MARKER_COLOR, line_width=1)
        fig.add_annotation(x=x, y=1 - 0.08 * (i % 3), yref="paper", text=label, showarrow=False,
                           xanchor="left", font={"size": 11, "color": OKABE_ITO["black"]},
                           bgcolor="rgba(255,255,255,0.7)")
    return fig


def group_trend_figure(groups: pd.DataFrame, markers: list[tuple[date, str]], title: str,
                       y_label: str) -> go.Figure:
    """Served vs comparison areas per month (hidden months left as gaps), launches marked."""
    fig = go.Figure()
    for group, color in GROUP_COLORS.items():
        part = groups[groups["group"] == group].sort_values("month")
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["value"], name=group, mode="lines+markers",
            line={"color": color, "dash": "solid" if group.startswith("Served") else "dot"},
            customdata=part[["shown", "areas"]].to_numpy(),
            hovertemplate="%{x|%b %Y}: %{customdata[0]} (%{customdata[1]} areas)<extra>"
                          + group + "</extra>",
        ))
    fig.update_layout(title=title, xaxis_title="Month", yaxis_title=y_label, hovermode="x unified",
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 60})
    return add_program_markers(fig, markers)


def event_study_figure(event: pd.DataFrame, unit: str) -> go.Figure:
    """Effect by month since launch with 95% intervals; the month before launch is the reference."""
    pre = event["rel"] < 0
    fig = go.Figure()
    for mask, name, color in ((pre, "Before launch (should be near 0)", OKABE_ITO["orange"]),
                              (~pre, "After launch", OKABE_ITO["blue"])):
        part = event[mask]
        fig.add_trace(go.Scatter(
            x=part["rel"], y=part["estimate"], mode="markers", name=name,
            marker={"color": color, "size": 8, "symbol": "circle" if name[0] == "A" else "diamond"},
            error_y={"type": "data", "symmetric": False,
                     "array": part["high"] - part["estimate"],
                     "arrayminus": part["estimate"] - part["low"]},
            hovertemplate="month %{x}: %{y:+.2f}<extra></extra>",
        ))
    fig.add_hline(y=0, line_color=OKABE_ITO["black"], line_width=1)
    fig.add_vline(x=-0.5, line_dash="dash", line_color=MARKER_COLOR)
    fig.update_layout(title="Event study: served minus predicted, by month since launch",
                      xaxis_title="Months since launch (ends include everything beyond)",
                      yaxis_title=f"Difference ({unit} per area and month)",
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 60})
    return fig
