"""Coverage figures: zones map with distance rings and gaps, hour x weekday heatmap, program bars.

Pure builders (no streamlit). Every string from an extract (team ids, programs, schedules, area
names) is escaped with ``privacy.escape_text`` before it reaches a tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from folium.plugins import Draw

from response_atlas.privacy import escape_text, template_safe
from response_atlas.schedule import MINUTES_PER_DAY, Schedule
from response_atlas.schema import PROGRAM_LABELS
from response_atlas.viz.maps import (
    Legend,
    add_choropleth,
    add_hexagons,
    add_layer_control,
    base_map,
    bounds_of,
    feature_collection,
)
from response_atlas.viz.palettes import OKABE_ITO, PROGRAM_COLORS, SEQUENTIAL, color_for

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Outline colors for team schedules on the cividis heatmap (distinct from blue-to-yellow).
OUTLINE_COLORS = (
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
)
CIVIDIS_SCALE = [[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)]
REFERENCE_NOTE = (
    "Reference: Cincinnati's single 40-hour team covered about 10% of eligible calls (2022); "
    "Denver STAR 44-46%."
)


# --- map -----------------------------------------------------------------------------------
def zones_map(
    zones: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None = None,
    area_values: pd.DataFrame | None = None,
    gap_cells: pd.DataFrame | None = None,
    ring_km: float | None = None,
    tiles: str | None = None,
    draw: bool = False,
) -> folium.Map:
    """Zones (team, program, schedule in tooltips), uncovered eligible calls per area and per
    hexagon, straight-line distance rings around team bases, and optionally the Draw tool.

    ``area_values``: ``area, eligible, covered, uncovered`` (one row per area).
    ``gap_cells``: ``h3_cell, uncovered`` from ``coverage.gap_hexagons``.
    """
    bounds = bounds_of(areas) if areas is not None else None
    m = base_map(bounds or bounds_of(zones), tiles=tiles or None)
    if areas is not None and area_values is not None and not area_values.empty:
        shaded = areas.merge(area_values, on="area", how="inner")
        shaded = shaded[shaded["eligible"] > 0]
        add_choropleth(
            m,
            shaded,
            "uncovered",
            "Uncovered eligible calls (area)",
            {
                "area": "Area",
                "eligible": "Eligible calls",
                "covered": "Covered",
                "uncovered": "Uncovered",
            },
            name="Uncovered eligible calls by area",
        )
    if gap_cells is not None and not gap_cells.empty:
        add_hexagons(
            m,
            gap_cells,
            "uncovered",
            "h3_cell",
            "Uncovered calls (hexagon)",
            {"uncovered": "Uncovered eligible calls", "eligible": "Eligible calls"},
            name="Gap hexagons (not DV / overdose)",
            show=False,
            legend=False,  # the layer starts hidden: a legend for it would mislead
        )
    add_zones(m, zones)
    if ring_km:
        add_distance_rings(m, zones, ring_km)
    if draw:
        add_draw_tool(m)
    add_layer_control(m)
    return m


def zone_tooltip_frame(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zones with escaped text columns for tooltips (team, program label, schedule)."""
    out = gpd.GeoDataFrame(
        {
            "team": zones["team_id"].map(escape_text),
            "program": zones["program"].map(lambda p: escape_text(PROGRAM_LABELS.get(p, p))),
            "schedule": zones["schedule"].map(escape_text),
            "program_code": zones["program"].astype(str),
        },
        geometry=zones.geometry.values,  # (which carry the CRS: naming it again is a slow compare)
    )
    return out


def add_zones(m: folium.Map, zones: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Zone outlines colored by program, with team / program / schedule tooltips (escaped)."""
    group = folium.FeatureGroup(name="Team zones", show=True)
    group.add_to(m)
    if zones is None or zones.empty:
        return group
    frame = zone_tooltip_frame(zones)
    for row in frame.itertuples(index=False):
        color = color_for(PROGRAM_COLORS, row.program_code)
        tip = f"<b>{row.team}</b><br>{row.program}<br>On duty: {row.schedule}"
        folium.GeoJson(
            feature_collection([row.geometry], {}),
            style_function=lambda _f, c=color: {
                "color": c,
                "weight": 3,
                "fillOpacity": 0.0,
                "dashArray": "6 4",
            },
            tooltip=folium.Tooltip(template_safe(tip), sticky=True),
        ).add_to(group)
    programs = sorted(set(frame["program_code"]))
    m.add_child(
        Legend(
            "Team zones (dashed outline)",
            [(color_for(PROGRAM_COLORS, p), PROGRAM_LABELS.get(p, p)) for p in programs],
            position="bottomleft",
            offset=40,  # clear of the scale bar
        )
    )
    return group


def add_distance_rings(m: folium.Map, zones: pd.DataFrame, km: float) -> folium.FeatureGroup:
    """A circle of ``km`` (straight line) around each team base, and the base as a small dot."""
    group = folium.FeatureGroup(name=f"{km:g} km from team bases (straight line)", show=True)
    group.add_to(m)
    for z in zones.itertuples(index=False):
        lat, lon = getattr(z, "base_lat", None), getattr(z, "base_lon", None)
        if lat is None or lon is None or pd.isna(lat) or pd.isna(lon):
            continue
        color = color_for(PROGRAM_COLORS, str(z.program))
        label = template_safe(
            escape_text(f"{z.team_id}: {km:g} km straight line from base (not drive time)"))
        folium.Circle(
            location=[float(lat), float(lon)],
            radius=float(km) * 1000,
            color=color,
            weight=2,
            fill=False,
            tooltip=label,
        ).add_to(group)
        folium.CircleMarker(
            location=[float(lat), float(lon)],
            radius=5,
            color="#000000",
            weight=1,
            fill=True,
            fill_color=color,
            fill_opacity=1.0,
            tooltip=template_safe(escape_text(f"{z.team_id} base")),
        ).add_to(group)
    return group


def add_draw_tool(m: folium.Map) -> Draw:
    """Leaflet.draw limited to polygons and rectangles (one new zone for a what-if)."""
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "polygon": {"allowIntersection": False, "showArea": False},
            "rectangle": {"showArea": False},
        },
        edit_options={"edit": False},
    )
    draw.add_to(m)
    return draw


# --- heatmap -------------------------------------------------------------------------------
def duty_runs(schedule: Schedule) -> list[tuple[int, float, float]]:
    """On-duty stretches as ``(weekday, start_hour, end_hour)`` with fractional hours, per day."""
    grid = schedule.week_grid().reshape(7, MINUTES_PER_DAY)
    runs: list[tuple[int, float, float]] = []
    for day in range(7):
        row = grid[day].astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row, [0]])))
        for start, end in zip(edges[::2], edges[1::2], strict=True):
            runs.append((day, start / 60.0, end / 60.0))
    return runs


def duty_blocks(schedule: Schedule) -> list[tuple[int, int, float, float]]:
    """:func:`duty_runs` with the same hours on consecutive days merged into one block:
    ``(first_day, last_day, start_hour, end_hour)`` (Mon-Fri 07:00-15:00 is one rectangle)."""
    blocks: list[tuple[int, int, float, float]] = []
    for day, start, end in sorted(duty_runs(schedule), key=lambda r: (r[1], r[2], r[0])):
        if blocks and blocks[-1][2:] == (start, end) and blocks[-1][1] == day - 1:
            blocks[-1] = (blocks[-1][0], day, start, end)
        else:
            blocks.append((day, day, start, end))
    return sorted(blocks)


def uncovered_heatmap(
    matrix: np.ndarray,
    schedules: Mapping[str, Schedule] | None = None,
    title: str = "Uncovered eligible calls by weekday and hour",
    value_label: str = "uncovered eligible calls",
    scale_title: str = "Uncovered calls",
) -> go.Figure:
    """Hour x weekday heatmap of (uncovered) calls; each team's on-duty hours outlined."""
    hours = [f"{h:02d}:00" for h in range(24)]
    fig = go.Figure(
        go.Heatmap(
            z=np.asarray(matrix),
            x=list(range(24)),
            y=list(WEEKDAYS),
            colorscale=CIVIDIS_SCALE,
            colorbar={"title": {"text": scale_title}},
            customdata=np.tile(np.array(hours), (7, 1)),
            hovertemplate="%{y} %{customdata}: %{z} " + value_label + "<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    for i, (team_id, schedule) in enumerate((schedules or {}).items()):
        color = OUTLINE_COLORS[i % len(OUTLINE_COLORS)]
        dash = ("solid", "dash", "dot")[i % 3]
        always = bool(schedule.week_grid().all())
        # A 24/7 team would outline the whole grid and hide the others: named, not drawn.
        for first, last, start, end in [] if always else duty_blocks(schedule):
            fig.add_shape(
                type="rect",
                x0=start - 0.5,
                x1=end - 0.5,
                y0=first - 0.5,
                y1=last + 0.5,
                line={"color": color, "width": 3, "dash": dash},
                fillcolor="rgba(0,0,0,0)",
            )
        # A legend entry for the outline (shapes have none of their own).
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name=f"{escape_text(team_id)} on duty" + (" 24/7 (not outlined)" if always else ""),
                line={"color": color, "width": 3, "dash": dash},
                showlegend=True,
            )
        )
    fig.update_layout(
        title=title,
        xaxis={
            "title": "Hour of day (local time)",
            "tickmode": "array",
            "tickvals": list(range(0, 24, 2)),
            "ticktext": hours[::2],
            "range": [-0.5, 23.5],
        },
        yaxis={
            "title": "",
            "autorange": "reversed",
            "categoryorder": "array",
            "categoryarray": list(WEEKDAYS),
        },
        legend={"orientation": "h", "y": -0.32},
        margin={"l": 50, "r": 20, "t": 60, "b": 90},
        height=460,
    )
    return fig


# --- bars ----------------------------------------------------------------------------------
def coverage_bars(by_program: pd.DataFrame) -> go.Figure:
    """Share of eligible calls covered per program, with the Cincinnati and Denver references."""
    frame = by_program[by_program["eligible"] > 0]
    labels = [PROGRAM_LABELS.get(p, p) for p in frame["program"]]
    shares = (frame["share_covered"] * 100).round(1)
    texts = [
        f"{s:.0f}% ({c:,} of {e:,})"
        for s, c, e in zip(shares, frame["covered"], frame["eligible"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=shares,
            y=labels,
            orientation="h",
            text=texts,
            textposition="outside",
            marker_color=[color_for(PROGRAM_COLORS, p) for p in frame["program"]],
            hovertemplate="%{y}: %{text}<extra></extra>",
            cliponaxis=False,
        )
    )
    # Reference marks with their labels above the plot, clear of the bars.
    fig.add_vrect(x0=44, x1=46, fillcolor=OKABE_ITO["gray"], opacity=0.35, line_width=0)
    fig.add_vline(x=10, line_dash="dash", line_color=OKABE_ITO["black"])
    for x, text in ((10, "Cincinnati 2022: ~10%"), (45, "Denver STAR: 44-46%")):
        fig.add_annotation(
            x=x,
            y=1.0,
            xref="x",
            yref="paper",
            text=text,
            showarrow=False,
            yanchor="bottom",
            xanchor="left" if x < 20 else "center",
            font={"size": 12, "color": "#222222"},
        )
    fig.update_layout(
        title="Share of eligible calls covered, by program",
        xaxis={"title": "% of eligible calls covered", "range": [0, 110]},
        yaxis={"title": ""},
        height=150 + 60 * max(len(frame), 1),
        margin={"l": 20, "r": 40, "t": 80, "b": 40},
        showlegend=False,
    )
    return fig


def coverage_by_hour_bars(by_hour: pd.DataFrame) -> go.Figure:
    """Covered and uncovered eligible calls per local hour (stacked)."""
    fig = go.Figure()
    for column, name, color in (
        ("covered", "Covered", OKABE_ITO["bluish_green"]),
        ("uncovered", "Not covered", OKABE_ITO["orange"]),
    ):
        fig.add_trace(go.Bar(x=by_hour["hour"], y=by_hour[column], name=name, marker_color=color))
    fig.update_layout(
        barmode="stack",
        title="Eligible calls by hour of day",
        xaxis={"title": "Hour of day (local time)", "dtick": 2},
        yaxis={"title": "Calls"},
        legend={"orientation": "h", "y": -0.25},
        height=340,
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
    )
    return fig


def scenario_bars(table: pd.DataFrame) -> go.Figure:
    """Saved scenarios: covered now vs with the change, side by side."""
    fig = go.Figure()
    names = [escape_text(n) for n in table["scenario"]]
    fig.add_trace(
        go.Bar(x=names, y=table["covered now"], name="Covered now", marker_color=OKABE_ITO["gray"])
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=table["covered with change"],
            name="Covered with change",
            marker_color=OKABE_ITO["blue"],
        )
    )
    fig.update_layout(
        barmode="group",
        title="Eligible calls covered, per scenario",
        yaxis={"title": "Calls"},
        height=340,
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
    )
    return fig


def program_label(program: str | None, all_label: str = "All programs") -> str:
    """A plain-language program name."""
    return all_label if program is None else PROGRAM_LABELS.get(program, program)


def legend_names(traces: Sequence[go.BaseTraceType]) -> list[str]:
    """Names of the traces shown in a legend (for tests)."""
    return [t.name for t in traces if getattr(t, "showlegend", None) is not False and t.name]
