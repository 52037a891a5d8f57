"""Forecast figures: expected calls by weekday and hour with the schedule drawn over it, and the
last weeks of calls with the forecast and its bands (pure plotly, no streamlit)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from response_atlas.schedule import Schedule
from response_atlas.viz.coverage_figures import uncovered_heatmap
from response_atlas.viz.palettes import OKABE_ITO

BAND_80 = "rgba(0, 114, 178, 0.30)"  # Okabe-Ito blue
BAND_95 = "rgba(0, 114, 178, 0.14)"


def expected_heatmap(cells: pd.DataFrame, schedules: Mapping[str, Schedule] | None,
                     weeks: int) -> go.Figure:
    """7 x 24 expected eligible calls over the horizon (``forecast.cell_table``), with each
    team's on-duty hours outlined."""
    matrix = np.zeros((7, 24))
    matrix[cells["weekday"].to_numpy(), cells["hour"].to_numpy()] = cells["mean"].round(1)
    return uncovered_heatmap(
        matrix, schedules,
        title=f"Expected eligible calls by weekday and hour, next {weeks} weeks",
        value_label=f"expected eligible calls over the next {weeks} weeks",
        scale_title="Expected calls",
    )


def forecast_line(history: pd.DataFrame, daily: pd.DataFrame) -> go.Figure:
    """Daily calls of the last weeks (``date, calls``) and the forecast (``forecast.daily_table``)
    with its 80% and 95% prediction bands."""
    fig = go.Figure()
    dates = list(daily["date"])
    for lo, hi, color, name in (("lo95", "hi95", BAND_95, "95% prediction interval"),
                                ("lo80", "hi80", BAND_80, "80% prediction interval")):
        fig.add_trace(go.Scatter(
            x=dates + dates[::-1], y=list(daily[hi]) + list(daily[lo])[::-1], fill="toself",
            fillcolor=color, line={"width": 0}, name=name, hoverinfo="skip",
        ))
    fig.add_trace(go.Scatter(
        x=list(history["date"]), y=list(history["calls"]), mode="lines", name="Calls (actual)",
        line={"color": OKABE_ITO["black"], "width": 2},
        hovertemplate="%{x|%a %d %b %Y}: %{y} eligible calls<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=dates, y=list(daily["mean"].round(1)), mode="lines", name="Forecast (expected)",
        line={"color": OKABE_ITO["blue"], "width": 2, "dash": "dash"},
        hovertemplate="%{x|%a %d %b %Y}: %{y} expected<extra></extra>",
    ))
    fig.update_layout(
        title="Eligible calls per day: the last weeks and the forecast",
        xaxis={"title": "Day"}, yaxis={"title": "Eligible calls per day", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 20, "t": 60, "b": 80},
        height=420,
    )
    return fig
