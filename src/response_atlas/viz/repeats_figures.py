"""Figures for the repeat-addresses page: a map of repeat locations and three plotly charts.

Pure builders (no streamlit). Inputs are the small results of ``analysis/repeats.py``, which already
exclude domestic violence and overdose calls at block level. Every string from an extract that
reaches HTML (folium tooltips, plotly hover text) goes through ``privacy.escape_text``.
"""

from __future__ import annotations

import math

import folium
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from response_atlas.analysis.repeats import BeforeAfter, Concentration, LocationTimeline
from response_atlas.privacy import escape_text, template_safe
from response_atlas.schema import CATEGORIES, CATEGORY_LABELS, PROGRAM_LABELS
from response_atlas.viz.maps import Legend, base_map
from response_atlas.viz.palettes import CATEGORY_COLORS, OKABE_ITO, PROGRAM_COLORS, color_for

MAP_MARKER_CAP = 500
CONTACT_COLOR = OKABE_ITO["bluish_green"]
NO_CONTACT_COLOR = OKABE_ITO["blue"]
_FONT = {"family": "sans-serif", "size": 14}


def marker_radius(calls: int, max_calls: int, min_px: float = 4.0, max_px: float = 22.0) -> float:
    """Circle radius in pixels: area proportional to calls (square-root scale), bounded."""
    if max_calls <= 0 or calls <= 0:
        return min_px
    return min_px + (max_px - min_px) * math.sqrt(calls / max_calls)


def _location_tooltip(row) -> str:
    contact = "yes" if row.team_contact else "no"
    return (
        f"<b>{escape_text(row.address)}</b><br>{escape_text(row.area)}<br>"
        f"{int(row.calls):,} calls (most in one window: {int(row.peak_window_calls):,})<br>"
        f"Types: {escape_text(row.categories)}<br>"
        f"Eligible for alternative response: {row.alternative_share:.0%}<br>"
        f"Team contact: {contact}"
    )


def repeat_map(
    ranked: pd.DataFrame,
    bounds=None,
    tiles: str | None = None,
    cap: int = MAP_MARKER_CAP,
) -> folium.Map:
    """One circle per repeat location (the top ``cap`` by rank), sized by calls.

    Placed at the mean of the block's published (offset) coordinates; green when a team has had
    contact there, blue when not. Locations without coordinates are skipped.
    """
    shown = ranked.dropna(subset=["lat", "lon"]).head(cap)
    if bounds is None and not shown.empty:
        pad = 0.005
        bounds = ((shown["lat"].min() - pad, shown["lon"].min() - pad),
                  (shown["lat"].max() + pad, shown["lon"].max() + pad))
    m = base_map(bounds, tiles=tiles)
    group = folium.FeatureGroup(name="Repeat locations")
    max_calls = int(shown["calls"].max()) if not shown.empty else 0
    # Draw the largest first so smaller circles stay clickable on top.
    for row in shown.sort_values(["calls", "address"], ascending=[False, True]).itertuples():
        color = CONTACT_COLOR if row.team_contact else NO_CONTACT_COLOR
        folium.CircleMarker(
            location=[float(row.lat), float(row.lon)],
            radius=marker_radius(int(row.calls), max_calls),
            color="#222222",
            weight=1,
            fill=True,
            fill_color=color,
            fill_opacity=0.75,
            tooltip=folium.Tooltip(template_safe(_location_tooltip(row)), sticky=True),
        ).add_to(group)
    group.add_to(m)
    m.add_child(Legend("Repeat locations (circle size = calls)", [
        (CONTACT_COLOR, "team has had contact"),
        (NO_CONTACT_COLOR, "no team contact"),
    ]))
    return m


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font=_FONT,
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 90},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.28},
    )
    fig.update_xaxes(showline=True, linecolor="#444", gridcolor="#e5e5e5")
    fig.update_yaxes(showline=True, linecolor="#444", gridcolor="#e5e5e5")
    return fig


def concentration_figure(conc: Concentration) -> go.Figure:
    """Share of locations (busiest first) vs share of calls, with the equal-share diagonal."""
    curve = conc.curve
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="If every location had the same number of calls",
        line={"color": OKABE_ITO["gray"], "dash": "dash"}, hoverinfo="skip",
    ))
    fig.add_trace(go.Scatter(
        x=curve["address_share"], y=curve["call_share"], mode="lines",
        name="Locations, busiest first", line={"color": OKABE_ITO["blue"], "width": 3},
        hovertemplate="%{x:.0%} of locations produced %{y:.0%} of calls<extra></extra>",
    ))
    top = conc.county
    if top.locations:
        fig.add_trace(go.Scatter(
            x=[top.address_share], y=[top.call_share], mode="markers+text",
            name=f"Busiest {top.address_share:.0%} of locations",
            marker={"color": OKABE_ITO["vermillion"], "size": 12, "symbol": "diamond"},
            text=[f"{top.address_share:.0%} → {top.call_share:.0%}"], textposition="bottom right",
            hovertemplate="%{x:.0%} of locations produced %{y:.0%} of calls<extra></extra>",
        ))
    fig.update_xaxes(title="Share of locations (busiest first)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="Share of calls", tickformat=".0%", range=[0, 1.02])
    _layout(fig, "How concentrated are calls across locations?", height=420)
    # Legend inside the empty lower right corner, clear of the axis title.
    fig.update_layout(legend={"orientation": "v", "x": 0.98, "y": 0.04, "xanchor": "right",
                              "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.9)"})
    return fig


RANKED_TABLE_COLUMNS = {
    "rank": "Rank", "address": "Address (block)", "area": "Area", "calls": "Calls",
    "peak_window_calls": "Most in one window", "alternative_share": "Alternative-eligible (%)",
    "team_contact": "Team contact", "contacts": "Contacts", "first_call": "First call",
    "last_call": "Last call", "categories": "Call types",
}


def _days(timestamps: pd.Series) -> np.ndarray:
    """Timestamps as ``YYYY-MM-DD`` text (numpy's own day format: thousands of rows in well
    under a millisecond, where ``strftime`` took tens); missing stays missing."""
    values = timestamps.to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(values), None, values.astype("datetime64[D]").astype(str))


def ranked_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranked repeat locations as the page shows and downloads them (plain headers)."""
    table = ranked.assign(
        team_contact=ranked["team_contact"].map({True: "yes", False: "no"}),
        first_call=_days(ranked["first_call"]),
        last_call=_days(ranked["last_call"]),
        alternative_share=(ranked["alternative_share"] * 100).round(0),
    )[list(RANKED_TABLE_COLUMNS)]
    return table.rename(columns=RANKED_TABLE_COLUMNS)


# A call's hover: incident code, the time received (formatted by plotly.js), disposition.
CALL_HOVER = "%{text}<br>%{x|%d %b %Y %H:%M}<br>%{customdata}<extra></extra>"


def _escaped(values: pd.Series) -> pd.Series:
    """``escape_text`` of each value, computed once per distinct value (codes repeat a lot)."""
    return values.map({v: escape_text(v) for v in pd.unique(values)})


def timeline_figure(timeline: LocationTimeline) -> go.Figure:
    """One location's calls as points by call type over time; team contacts as vertical lines."""
    calls, contacts = timeline.calls, timeline.contacts
    fig = go.Figure()
    seen = set(pd.unique(calls["category"]))
    present = [c for c in CATEGORIES if c in seen]
    # Busy locations have thousands of calls: smaller, translucent points keep the rhythm visible.
    dense = len(calls) > 150
    # Hover text and y labels go in as numpy arrays: plotly copies arrays as they are, while
    # lists are checked value by value (a busy block has thousands of calls). The browser
    # writes the date (CALL_HOVER): formatting thousands of timestamps here cost more than
    # the rest of the figure.
    codes = _escaped(calls["incident_code"]).to_numpy(dtype=object)
    dispositions = _escaped(calls["disposition"]).to_numpy(dtype=object)
    for cat in present:
        keep = (calls["category"] == cat).to_numpy()
        label = CATEGORY_LABELS.get(cat, cat)
        fig.add_trace(go.Scatter(
            x=calls["received_at"].to_numpy()[keep], y=np.full(int(keep.sum()), label, dtype=object),
            mode="markers", name=label,
            marker={"color": color_for(CATEGORY_COLORS, cat), "size": 6 if dense else 11,
                    "opacity": 0.45 if dense else 1.0,
                    "line": {"color": "#222", "width": 0 if dense else 1}},
            text=codes[keep], customdata=dispositions[keep], hovertemplate=CALL_HOVER,
        ))
    if not contacts.empty:
        y_labels = [CATEGORY_LABELS.get(c, c) for c in present] or [""]
        # All lines in one layout update (``add_vline`` copies the layout once per line).
        fig.update_layout(shapes=[
            {"type": "line", "xref": "x", "yref": "paper", "x0": ts, "x1": ts, "y0": 0, "y1": 1,
             "line": {"color": CONTACT_COLOR, "width": 2, "dash": "dot"}}
            for ts in contacts["contact_at"]
        ])
        hover = [
            f"Team contact: {escape_text(team)} ({escape_text(PROGRAM_LABELS.get(p, p))})<br>"
            f"{ts:%d %b %Y %H:%M}<br>{escape_text(outcome)}"
            for team, p, ts, outcome in zip(contacts["team_id"], contacts["program"],
                                            contacts["contact_at"], contacts["outcome"], strict=True)
        ]
        fig.add_trace(go.Scatter(
            x=contacts["contact_at"], y=[y_labels[-1]] * len(contacts), mode="markers",
            name="Team contact (dotted line)",
            marker={"symbol": "triangle-down", "size": 14,
                    "color": color_for(PROGRAM_COLORS, str(contacts["program"].iloc[0]))},
            text=hover, hovertemplate="%{text}<extra></extra>",
        ))
    fig.update_xaxes(title="Date call received")
    fig.update_yaxes(title=None, categoryorder="array",
                     categoryarray=[CATEGORY_LABELS.get(c, c) for c in present])
    title = f"Calls at {escape_text(timeline.address)} over time"
    return _layout(fig, title, height=max(260, 140 + 50 * max(1, len(present))))


def before_after_figure(result: BeforeAfter) -> go.Figure:
    """Mean calls per location before vs after: contacted locations and their comparison group."""
    s = result.summary
    fig = go.Figure()
    groups = ["Locations with a team contact", "Similar locations without contact"]
    w = result.window_days
    if result.empty:
        return _layout(fig, "No location to compare yet")
    fig.add_trace(go.Bar(
        x=groups, y=[s["treated_before"], s["comparison_before"]],
        name=f"{w} days before", marker_color=OKABE_ITO["orange"],
        text=[f"{s['treated_before']:.1f}", f"{s['comparison_before']:.1f}"],
        textposition="outside",
    ))
    fig.add_trace(go.Bar(
        x=groups, y=[s["treated_after"], s["comparison_after"]],
        name=f"{w} days after", marker_color=OKABE_ITO["blue"],
        text=[f"{s['treated_after']:.1f}", f"{s['comparison_after']:.1f}"],
        textposition="outside",
    ))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="Mean calls per location", rangemode="tozero")
    return _layout(fig, f"Calls in the {w} days before and after the first team contact")
