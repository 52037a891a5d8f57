"""Small monthly trend lines for headline figures (plotly, no axes, gaps where suppressed)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from response_atlas.viz.palettes import OKABE_ITO


def build_sparkline(
    months: pd.Series,
    values: pd.Series,
    color: str = OKABE_ITO["blue"],
    percent: bool = False,
    height: int = 70,
    label: str = "",
) -> go.Figure:
    """A borderless line of ``values`` by month; NaN values (suppressed) leave gaps.

    Hover shows the month and value so the line stays readable without axes.
    """
    fmt = ".0%" if percent else ",.0f"
    # The layout goes in with the figure: a separate update_layout cost twice the rest (plotly
    # re-parses every property path of an update), and the Overview draws three of these.
    return go.Figure(
        go.Scatter(
            x=pd.to_datetime(months),
            y=values.astype("float64"),
            mode="lines+markers",
            line={"color": color, "width": 2},
            marker={"size": 4, "color": color},
            connectgaps=False,
            name=label,
            hovertemplate=f"%{{x|%b %Y}}: %{{y:{fmt}}}<extra></extra>",
        ),
        layout={
            "height": height,
            "margin": {"l": 2, "r": 2, "t": 2, "b": 2},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "rangemode": "tozero"},
        },
    )
