"""Plotly figures for the outcomes page (no streamlit): funnel bars, monthly trends, outcomes.

Conventions: months on a category axis (so empty months keep their place), partial months drawn
hatched and named in the hover text, hidden (suppressed) counts marked "<11" at the baseline
instead of a bar, Okabe-Ito colors from ``viz.palettes``, and a PNG export through Plotly's own
modebar button (:func:`png_config`), so no image engine is needed on the server.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from response_atlas.analysis.outcomes import COLUMN_LABELS
from response_atlas.analysis.trends import MONTH, month_label
from response_atlas.viz.palettes import FLOW_COLORS, OKABE_ITO

SERIES_COLORS = {
    "eligible": FLOW_COLORS["eligible"],
    "routed": FLOW_COLORS["routed"],
    "handled_without_police": FLOW_COLORS["without_police"],
    "police_backup": FLOW_COLORS["police_backup"],
    "arrests": OKABE_ITO["black"],
    "transports": OKABE_ITO["orange"],
    "overdoses": OKABE_ITO["reddish_purple"],
    "visited_72h": OKABE_ITO["blue"],
    "visited_7d": OKABE_ITO["sky_blue"],
    "reached": OKABE_ITO["bluish_green"],
    "linked_to_treatment": OKABE_ITO["orange"],
    "dv_calls": OKABE_ITO["vermillion"],
    "co_responses": OKABE_ITO["blue"],
    "connected_to_services": OKABE_ITO["bluish_green"],
}
ROLLING_COLOR = OKABE_ITO["black"]
LAUNCH_COLOR = OKABE_ITO["gray"]
PARTIAL_PATTERN = "/"


def png_config(filename: str) -> dict:
    """``config`` for ``st.plotly_chart``: the modebar's camera button saves a 2x PNG."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def _layout(fig: go.Figure, title: str, y_title: str, hidden_marks: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        barmode="group",
        font={"size": 14},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        margin={"l": 60, "r": 20, "t": 60, "b": 90},
        yaxis={"title": y_title, "rangemode": "tozero"},
        xaxis={"type": "category", "title": None},
        hovermode="x unified",
    )
    # counts are whole numbers: with small or all-hidden bars, keep integer ticks (0..5)
    tallest = max((max((v for v in (t.y if t.y is not None else ()) if v == v), default=0)
                   for t in fig.data if t.type == "bar"), default=0)
    if tallest < 5:
        fig.update_yaxes(range=[0, 5], dtick=1)
    return fig


def _labels(chart: pd.DataFrame) -> list[str]:
    return [month_label(m) for m in chart[MONTH]]


def _hover_notes(chart: pd.DataFrame) -> list[str]:
    if "partial" not in chart:
        return [""] * len(chart)
    return [
        f" (partial month: {r.days_covered} of {r.days_in_month} days)" if r.partial else ""
        for r in chart.itertuples()
    ]


def _bar(chart: pd.DataFrame, column: str, name: str | None = None) -> go.Bar:
    partial = chart["partial"].tolist() if "partial" in chart else [False] * len(chart)
    notes = _hover_notes(chart)
    values = chart[column]
    text = ["fewer than 11 (hidden)" if pd.isna(v) else f"{int(v):,}" for v in values]
    return go.Bar(
        x=_labels(chart),
        y=values,
        name=name or COLUMN_LABELS.get(column, column),
        marker={
            "color": SERIES_COLORS.get(column, OKABE_ITO["blue"]),
            "pattern": {"shape": [PARTIAL_PATTERN if p else "" for p in partial],
                        "fillmode": "overlay", "fgcolor": "#FFFFFF"},
        },
        customdata=[[t, n] for t, n in zip(text, notes, strict=True)],
        hovertemplate="%{customdata[0]}%{customdata[1]}<extra>%{fullData.name}</extra>",
    )


def _hidden_marks(fig: go.Figure, chart: pd.DataFrame, columns: Sequence[str]) -> bool:
    """Add one '<11' text trace where any series is hidden; returns whether any was added."""
    labels = _labels(chart)
    xs = [lab for lab, (_, row) in zip(labels, chart.iterrows(), strict=True)
          if any(pd.isna(row[c]) for c in columns)]
    if not xs:
        return False
    fig.add_trace(go.Scatter(
        x=xs, y=[0] * len(xs), mode="text", text=["<11"] * len(xs), textposition="top center",
        name="<11: small count hidden", hoverinfo="skip", showlegend=True,
        textfont={"color": OKABE_ITO["black"], "size": 13},
    ))
    return True


def _launch_line(fig: go.Figure, chart: pd.DataFrame, launch, program: str) -> None:
    """A dashed vertical line at the left edge of the launch month (when it is on the axis)."""
    if launch is None:
        return
    labels = _labels(chart)
    target = month_label(launch)
    if target not in labels:
        return
    x = labels.index(target) - 0.5
    fig.add_shape(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": LAUNCH_COLOR, "dash": "dash", "width": 2})
    fig.add_annotation(x=x, y=1, xref="x", yref="paper", text=f"{program} starts",
                       showarrow=False, xanchor="left", yanchor="bottom",
                       font={"color": OKABE_ITO["black"]})


def grouped_bars(chart: pd.DataFrame, columns: Sequence[str], title: str,
                 y_title: str = "Calls per month") -> go.Figure:
    """One bar per series per month (never stacked: the series are separate numbers)."""
    fig = go.Figure([_bar(chart, c) for c in columns])
    hidden = _hidden_marks(fig, chart, columns)
    return _layout(fig, title, y_title, hidden)


def funnel_figure(chart: pd.DataFrame, program: str) -> go.Figure:
    """The four funnel counts per month as separate bars, for one program."""
    return grouped_bars(
        chart, ("eligible", "routed", "handled_without_police", "police_backup"),
        f"{program}: four separate counts per month (not one diversion rate)",
    )


def trend_figure(chart: pd.DataFrame, column: str, rolling: pd.Series, launch,
                 program: str, title: str, y_title: str = "Calls per month") -> go.Figure:
    """Monthly bars, the 3-month rolling average as a line, and the launch marked."""
    fig = go.Figure([_bar(chart, column)])
    fig.add_trace(go.Scatter(
        x=_labels(chart), y=rolling, mode="lines+markers", name="3-month average (full months)",
        line={"color": ROLLING_COLOR, "width": 2}, connectgaps=False,
        hovertemplate="%{y:.1f}<extra>3-month average</extra>",
    ))
    hidden = _hidden_marks(fig, chart, [column])
    _launch_line(fig, chart, launch, program)
    return _layout(fig, title, y_title, hidden)


def outcomes_figure(outcomes: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of contacts per outcome (``label``, ``contacts``; NaN when hidden)."""
    text = ["<11 (hidden)" if pd.isna(v) else f"{int(v):,}" for v in outcomes["contacts"]]
    fig = go.Figure(go.Bar(
        x=outcomes["contacts"], y=outcomes["label"], orientation="h", text=text,
        textposition="outside", marker={"color": OKABE_ITO["blue"]}, name="Team contacts",
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        font={"size": 14}, margin={"l": 20, "r": 40, "t": 60, "b": 40},
        xaxis={"title": "Team contacts", "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "title": None}, showlegend=False,
    )
    return fig
