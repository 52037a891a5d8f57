"""Equity figures: group-rate bars with 95% ranges, ratio trend lines, side-by-side area maps.

Pure builders (no streamlit). They take the *public* frames from ``analysis.equity.public_view``,
where hidden cells are already NaN or text, so a hidden count cannot reach a chart or a map.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from response_atlas.viz.maps import add_choropleth, base_map, bounds_of
from response_atlas.viz.palettes import OKABE_ITO, SEQUENTIAL

# viridis, 9 steps (for demographics, so the two maps side by side are told apart at a glance)
VIRIDIS = ["#440154", "#472D7B", "#3B528B", "#2C728E", "#21918C", "#28AE80", "#5EC962",
           "#ADDC30", "#FDE725"]
LINE_COLORS = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion",
                                      "reddish_purple", "sky_blue", "black")]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid"]


def group_rate_bars(chart: pd.DataFrame, label: str, reference: str) -> go.Figure:
    """Bars of each group's rate per 1,000 residents with its 95% range; hidden groups say so."""
    shown = chart.dropna(subset=["rate"])
    fig = go.Figure()
    fig.add_bar(
        x=shown["group"], y=shown["rate"],
        marker_color=[OKABE_ITO["orange"] if g == reference else OKABE_ITO["blue"]
                      for g in shown["group"]],
        error_y={"type": "data", "symmetric": False,
                 "array": (shown["rate_hi"] - shown["rate"]).tolist(),
                 "arrayminus": (shown["rate"] - shown["rate_lo"]).tolist(),
                 "color": "#222222"},
        hovertemplate="%{x}<br>%{y:.1f} per 1,000 residents<extra></extra>",
        name=label,
    )
    for g in chart.loc[chart["rate"].isna(), "group"]:
        fig.add_annotation(x=g, y=0, text="not shown (small numbers)", showarrow=False,
                           yanchor="bottom")
    if chart["rate"].isna().any():
        # keep every group on the axis, in order, even the hidden ones
        fig.update_xaxes(categoryorder="array", categoryarray=list(chart["group"]))
    fig.update_layout(
        title=f"{label} per 1,000 residents, by group (orange: reference group)",
        yaxis_title="per 1,000 residents", xaxis_title=None, showlegend=False,
        margin={"l": 60, "r": 20, "t": 60, "b": 60}, height=380,
    )
    return fig


def ratio_trend_lines(chart: pd.DataFrame, reference: str, launch=None) -> go.Figure:
    """Rate ratio vs the reference group per period, one line per group (color and dash differ)."""
    fig = go.Figure()
    groups = [g for g in dict.fromkeys(chart["group"]) if g != reference] if len(chart) else []
    for i, g in enumerate(groups):
        part = chart[chart["group"] == g]
        fig.add_scatter(
            x=part["period"], y=part["ratio"], mode="lines+markers", name=str(g),
            line={"color": LINE_COLORS[i % len(LINE_COLORS)], "dash": DASHES[i % len(DASHES)]},
            error_y={"type": "data", "symmetric": False,
                     "array": (part["ratio_hi"] - part["ratio"]).tolist(),
                     "arrayminus": (part["ratio"] - part["ratio_lo"]).tolist()},
            hovertemplate="%{x|%b %Y}: %{y:.2f} times the reference rate<extra>%{fullData.name}</extra>",
        )
    fig.add_hline(y=1, line_dash="dot", line_color="#555555",
                  annotation_text=f"same rate as {reference}", annotation_position="bottom left")
    if launch is not None:
        fig.add_vline(x=pd.Timestamp(launch).timestamp() * 1000, line_dash="dash",
                      line_color="#000000", annotation_text="program launch")
    fig.update_layout(
        title="Rate ratio compared with the reference group, over time",
        yaxis_title="times the reference rate", xaxis_title=None, height=380,
        margin={"l": 60, "r": 20, "t": 60, "b": 40}, legend_title_text="Group",
    )
    return fig


def _padded_bounds(gdf: gpd.GeoDataFrame):
    """Area bounds with room at the top and right for the legend."""
    bounds = bounds_of(gdf)
    if bounds is None:
        return None
    (south, west), (north, east) = bounds
    return (south, west), (north + 0.12 * (north - south), east + 0.12 * (east - west))


def area_rate_maps(
    areas: gpd.GeoDataFrame, values: pd.DataFrame, rate_col: str, rate_label: str,
    demographic_col: str, demographic_label: str, tiles: str | None = None,
) -> tuple[folium.Map, folium.Map]:
    """Two maps of the same areas: the rate (cividis) and the demographic share (viridis).

    The GeoJSON carries only the area name, the shown rate text and the share: area-level
    aggregates, with hidden rates as "not shown" (and a gray fill).
    """
    frame = areas[["area", "geometry"]].merge(values, left_on="area", right_index=True)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=areas.crs)
    frame["share_text"] = frame[demographic_col].map(lambda v: f"{v:.1f}%")
    bounds = _padded_bounds(frame)
    rate_map = base_map(bounds, tiles=tiles)
    add_choropleth(rate_map, frame, rate_col, f"{rate_label} per 1,000",
                   {"area": "Area", f"{rate_col}_text": "Per 1,000 residents"},
                   palette=SEQUENTIAL, name=rate_label)
    demo_map = base_map(bounds, tiles=tiles)
    add_choropleth(demo_map, frame, demographic_col, demographic_label,
                   {"area": "Area", "share_text": demographic_label}, palette=VIRIDIS,
                   name=demographic_label)
    return rate_map, demo_map
