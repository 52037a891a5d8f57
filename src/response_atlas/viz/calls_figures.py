"""Figures for the calls map page: the layered folium map, the difference map, plotly charts.

Pure builders (no streamlit). Inputs are the *published* frames from ``analysis.calls``
(``publish_*``: a suppressed count is NaN, every other public count already rounded) and
``analysis.hotspots``; a figure only draws and labels what it is given.
"""

from __future__ import annotations

from collections.abc import Iterable

import folium
import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from response_atlas.analysis.calls import (
    area_counts,
    hex_counts,
    publish_area_counts,
    publish_hexes,
)
from response_atlas.analysis.hotspots import CLASS_LABELS, HotspotResult, hex_hotspots
from response_atlas.config import load_settings
from response_atlas.filters import WEEKDAY_NAMES, Filters
from response_atlas.privacy import escape_text
from response_atlas.publish import Audience, count_text
from response_atlas.schema import CATEGORY_LABELS, TIER_LABELS
from response_atlas.snapshot import Snapshot
from response_atlas.viz import maps
from response_atlas.viz.palettes import CATEGORY_COLORS, DIVERGING, NO_DATA_COLOR, SEQUENTIAL

LAYERS = ("areas", "hexagons", "heat", "hotspots")
LAYER_LABELS = {
    "areas": "Areas",
    "hexagons": "Hexagons",
    "heat": "Heat",
    "hotspots": "Hot spots",
}
MEASURES = ("count", "rate")
MEASURE_LABELS = {"count": "Number of calls", "rate": "Calls per 1,000 residents"}
# Diverging colors for Gi* classes: cold (blue) .. hot (red), from the shared palette.
SPOT_COLORS = {
    ("hot", 99): DIVERGING[8], ("hot", 95): DIVERGING[7], ("hot", 90): DIVERGING[6],
    ("cold", 99): DIVERGING[0], ("cold", 95): DIVERGING[1], ("cold", 90): DIVERGING[2],
}


def _fmt_count(v: float) -> str:
    return f"{int(v):,}"


def _fmt_rate(v: float) -> str:
    return "no residents on record" if pd.isna(v) else f"{v:,.1f}"


def area_layer_frame(
    areas: gpd.GeoDataFrame, counts: pd.DataFrame, measure: str, audience: Audience
) -> gpd.GeoDataFrame:
    """Areas joined to their published counts with ``value`` (NaN where hidden) and tooltips."""
    gdf = areas[["area", "geometry"]].merge(counts, on="area", how="inner")
    hidden = gdf["calls"].isna()
    raw = gdf["calls"] if measure == "count" else gdf["rate_per_1000"]
    gdf["value"] = raw.astype(float).where(~hidden)
    gdf["calls_text"] = [count_text(c, audience) for c in gdf["calls"]]
    gdf["rate_text"] = ["not shown" if h else _fmt_rate(r)
                        for h, r in zip(hidden, gdf["rate_per_1000"], strict=True)]
    return gdf


def add_hotspot_layer(m: folium.Map, result: HotspotResult, show: bool = True,
                      legend_offset: int = 0) -> folium.FeatureGroup:
    """Significant hot and cold hexagons only, colored by confidence; a legend with the levels."""
    table = result.table
    significant = table[table["spot"] != "not_significant"] if not table.empty else table
    colors = [SPOT_COLORS[(s, int(c))] for s, c in zip(significant.get("spot", []),
                                                       significant.get("confidence", []),
                                                       strict=True)]
    items = [(SPOT_COLORS[key], CLASS_LABELS[key]) for key in SPOT_COLORS]
    tips = significant.assign(z_text=significant.get("z", pd.Series(dtype=float)).map(
        lambda z: f"{z:+.2f}"))
    return maps.add_hexagons(
        m, tips, value_col="z", label="Hot spots (Getis-Ord Gi*)",
        tooltip_cols={"label": "Hot spot test", "z_text": "z-score"},
        name=LAYER_LABELS["hotspots"], show=show, colors=colors, legend_items=items,
        legend_offset=legend_offset,
    )


def build_calls_map(
    areas: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    measure: str = "count",
    layers: Iterable[str] = ("areas",),
    hexes: pd.DataFrame | None = None,
    hotspots: HotspotResult | None = None,
    audience: Audience | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """The layered calls map: areas (count or rate), hexagons, heat from hexagon bins, hot spots.

    ``counts`` and ``hexes`` are published frames (suppressed hexagons already dropped, so the
    heat uses only the hexagons that may be drawn). Layers not chosen are not built at all.
    """
    audience = audience or Audience(public=False, threshold=0)
    layers = [layer for layer in LAYERS if layer in set(layers)]
    m = maps.base_map(maps.bounds_of(areas), tiles=tiles)
    offset = 0
    if "areas" in layers:
        gdf = area_layer_frame(areas, counts, measure, audience)
        maps.add_choropleth(
            m, gdf, "value", MEASURE_LABELS[measure],
            {"area": "Area", "calls_text": "Calls", "rate_text": "Per 1,000 residents"},
            palette=SEQUENTIAL, name=LAYER_LABELS["areas"],
        )
        offset += 150
    shown_hexes = hexes if hexes is not None else pd.DataFrame({"h3_cell": [], "calls": []})
    if "hexagons" in layers:
        hx = shown_hexes.assign(calls_text=shown_hexes["calls"].map(_fmt_count))
        maps.add_hexagons(m, hx, "calls", label="Calls per hexagon",
                          tooltip_cols={"calls_text": "Calls in this hexagon"},
                          name=LAYER_LABELS["hexagons"], show="areas" not in layers,
                          legend_offset=offset)
        offset += 150
    if "heat" in layers:
        bins = maps.hex_centers(shown_hexes).rename(columns={"calls": "weight"})
        maps.add_heat(m, bins, name=LAYER_LABELS["heat"], show="areas" not in layers)
    if "hotspots" in layers and hotspots is not None:
        add_hotspot_layer(m, hotspots, show=True, legend_offset=offset)
    maps.add_layer_control(m)
    return maps.freeze_ids(m)


def difference_map(
    areas: gpd.GeoDataFrame, comparison: pd.DataFrame, tiles: str | None = None,
) -> folium.Map:
    """Areas colored by the change in calls (blue fewer, orange/red more), from the published
    ``period_comparison``; areas with a hidden count in either period are gray."""
    gdf = areas[["area", "geometry"]].merge(comparison, on="area", how="inner")
    hidden = gdf["calls_before"].isna() | gdf["calls_after"].isna()
    gdf["value"] = gdf["change"].astype(float).where(~hidden)
    gdf["change_text"] = ["not shown" if h else f"{int(c):+,}"
                          for h, c in zip(hidden, gdf["change"], strict=True)]
    gdf["note"] = ["small numbers: read with care" if s else ""
                   for s in gdf["small_numbers"]]
    span = float(gdf["value"].abs().max()) if gdf["value"].notna().any() else 0.0
    colors, items = _diverging_colors(gdf["value"], span)
    m = maps.base_map(maps.bounds_of(areas), tiles=tiles)
    maps.add_choropleth(m, gdf, "value", "Change in calls",
                        {"area": "Area", "change_text": "Change", "note": "Note"},
                        name="Change in calls", colors=colors, legend_items=items)
    return maps.freeze_ids(m, "diff")


def _diverging_colors(values: pd.Series, span: float) -> tuple[list[str], list[tuple[str, str]]]:
    """Symmetric classes around zero so "no change" is always the neutral middle color."""
    if span <= 0:
        colors = [NO_DATA_COLOR if pd.isna(v) else DIVERGING[4] for v in values]
        return colors, [(DIVERGING[4], "no change")]
    edges = [-span, -span * 0.5, -span * 0.1, span * 0.1, span * 0.5, span]
    palette = [DIVERGING[0], DIVERGING[2], DIVERGING[4], DIVERGING[6], DIVERGING[8]]
    colors = []
    for v in values:
        if pd.isna(v):
            colors.append(NO_DATA_COLOR)
            continue
        i = next((k for k in range(5) if v <= edges[k + 1]), 4)
        colors.append(palette[i])
    labels = [f"{edges[k]:+,.0f} to {edges[k + 1]:+,.0f}" for k in range(5)]
    items = list(zip(palette, labels, strict=True))
    if any(c == NO_DATA_COLOR for c in colors):
        items.append((NO_DATA_COLOR, "not shown (small numbers)"))
    return colors, items


def hour_weekday_figure(matrix: pd.DataFrame, audience: Audience) -> go.Figure:
    """Hour-by-weekday heatmap (cividis) of published counts; suppressed cells are blank."""
    z = matrix.astype(float)
    text = matrix.map(lambda v: count_text(v, audience))
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=list(WEEKDAY_NAMES), y=[f"{h:02d}:00" for h in matrix.index],
        text=text.to_numpy(), hovertemplate="%{x} %{y}: %{text} calls<extra></extra>",
        colorscale="Cividis", colorbar={"title": "Calls"}, hoverongaps=False,
        zmin=0, zmax=max(1.0, float(z.max().max()) if z.notna().any().any() else 1.0),
        xgap=1, ygap=1,
    ))
    fig.update_yaxes(autorange="reversed", title="Hour of day")
    # Day names below the grid and never rotated: on a narrow column (or with presentation mode's
    # larger type) rotated labels at the top collided with the title.
    fig.update_xaxes(side="bottom", tickangle=0)
    fig.update_layout(title="Calls by hour and day", height=540,
                      margin={"t": 50, "b": 40}, plot_bgcolor="#FFFFFF")
    return fig


def monthly_trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Published calls per month, one line per call type (Okabe-Ito); hidden months are gaps."""
    fig = go.Figure()
    for category, part in trend.groupby("category", sort=False):
        values = part["calls"].astype(float)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(part["call_month"]), y=values, mode="lines+markers",
            name=escape_text(CATEGORY_LABELS.get(category, category)),
            line={"color": CATEGORY_COLORS.get(category, "#999999")},
        ))
    fig.update_layout(title="Calls per month by call type", height=380,
                      yaxis_title="Calls", xaxis_title=None, legend_title="Call type",
                      margin={"t": 60, "b": 20})
    return fig


def panel_bar(frame: pd.DataFrame, column: str, labels: dict[str, str], title: str,
              audience: Audience) -> go.Figure:
    """A horizontal bar chart of published ``frame[column, calls]`` (hidden bars drawn empty)."""
    text = frame["calls"].map(lambda v: count_text(v, audience))
    calls = frame["calls"].astype(float).fillna(0)
    names = [escape_text(labels.get(str(v), str(v))) for v in frame[column]]
    colors = [CATEGORY_COLORS.get(str(v), "#0072B2") for v in frame[column]]
    fig = go.Figure(go.Bar(x=calls, y=names, orientation="h", text=text, marker_color=colors,
                           textposition="auto", hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_layout(title=title, height=60 + 34 * max(len(frame), 1), showlegend=False,
                      margin={"t": 40, "b": 10, "l": 10, "r": 10}, yaxis={"autorange": "reversed"})
    return fig


def category_labels() -> dict[str, str]:
    return dict(CATEGORY_LABELS)


def tier_labels() -> dict[str, str]:
    return dict(TIER_LABELS)


def calls_map_html_bytes(
    snapshot: Snapshot, filters: Filters, layers: Iterable[str] = LAYERS,
    measure: str = "count", public: bool = True,
) -> int:
    """Build the page's map for ``filters`` and return its HTML size (for the benchmark)."""
    layers = list(layers)
    audience = Audience(public=public, threshold=load_settings().suppress_below)
    counts = publish_area_counts(area_counts(snapshot, filters), audience)
    hexes = hex_counts(snapshot, filters)
    spots = hex_hotspots(hexes) if "hotspots" in layers else None
    m = build_calls_map(snapshot.areas, counts, measure, layers, publish_hexes(hexes, audience),
                        spots, audience)
    return maps.map_html_bytes(m)
