"""Shared folium base-map helpers: a fixed base, choropleths, H3 hexagons, heat from bins.

Every layer is aggregated (areas, hexagons, pre-binned heat): never one marker per call, so the
map's HTML does not grow with the number of calls. Every string property that comes from the data
is HTML-escaped (``privacy.escape_text``) before it enters the GeoJSON, because folium's tooltips
write feature properties into the page with ``innerHTML``.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.plugins import HeatMap
from jinja2 import Template
from shapely.geometry import Polygon

from response_atlas.privacy import escape_text
from response_atlas.viz.palettes import DIVERGING, NO_DATA_COLOR, SEQUENTIAL

# Hamilton County, Ohio: [[south, west], [north, east]] - the default view when nothing is given.
COUNTY_BOUNDS = ((39.02, -84.82), (39.32, -84.25))
DEFAULT_HEIGHT = 560
FILL_COLOR_KEY = "_fill"

PALETTES: dict[str, list[str]] = {
    "sequential": SEQUENTIAL,
    "cividis": SEQUENTIAL,
    "diverging": DIVERGING,
}


def apply_assets() -> None:
    """Serve Leaflet and plugins from the app (viz/assets.py) when that module is present."""
    if importlib.util.find_spec("response_atlas.viz.assets") is None:
        return
    from response_atlas.viz import assets

    assets.apply_local_assets()


def base_map(
    bounds: Sequence[Sequence[float]] | None = None,
    tiles: str | None = None,
    attribution: str = "Basemap tiles",
) -> folium.Map:
    """A fixed base map fitted to ``bounds`` ``[[south, west], [north, east]]``.

    No tiles by default: a plain background that works offline. ``tiles`` is a tile URL template
    (e.g. from ``config.Settings.tiles``).
    """
    apply_assets()
    (south, west), (north, east) = bounds or COUNTY_BOUNDS
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        tiles=None,
        zoom_start=11,
        control_scale=True,
    )
    if tiles:
        folium.TileLayer(tiles=tiles, attr=escape_text(attribution), name="Basemap",
                         control=False).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def bounds_of(gdf: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """``((south, west), (north, east))`` of a GeoDataFrame in EPSG:4326; None when empty."""
    if gdf is None or gdf.empty:
        return None
    west, south, east, north = gdf.total_bounds
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    return (float(south), float(west)), (float(north), float(east))


def class_breaks(values: Sequence[float], n_classes: int = 5) -> list[float]:
    """Quantile class edges (ascending, unique) for the finite values; [] when there are none."""
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if arr.size == 0:
        return []
    edges = np.unique(np.quantile(arr, np.linspace(0, 1, n_classes + 1)))
    return [float(e) for e in edges]


def _pick_colors(palette: str | Sequence[str], k: int) -> list[str]:
    colors = list(PALETTES.get(palette, SEQUENTIAL)) if isinstance(palette, str) else list(palette)
    if k <= 1:
        return [colors[-1]]
    # spread k classes across the whole palette, low to high
    return [colors[round(i * (len(colors) - 1) / (k - 1))] for i in range(k)]


def _format_number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.1f}"


def classify_values(
    values: Sequence[float], palette: str | Sequence[str] = "sequential", n_classes: int = 5
) -> tuple[list[str], list[tuple[str, str]]]:
    """A fill color per value and the legend ``[(color, label)]``; missing values are gray."""
    edges = class_breaks(values, n_classes)
    legend: list[tuple[str, str]] = []
    fills: list[str] = []
    if len(edges) <= 1:
        color = _pick_colors(palette, 1)[0]
        for v in values:
            finite = v is not None and np.isfinite(v)
            fills.append(color if finite else NO_DATA_COLOR)
        if edges:
            legend.append((color, _format_number(edges[0])))
    else:
        colors = _pick_colors(palette, len(edges) - 1)
        for v in values:
            if v is None or not np.isfinite(v):
                fills.append(NO_DATA_COLOR)
                continue
            # class i holds edges[i] < v <= edges[i+1]; the lowest class includes its lower edge
            i = int(np.searchsorted(edges, v, side="left")) - 1
            fills.append(colors[min(max(i, 0), len(colors) - 1)])
        for i, color in enumerate(colors):
            legend.append((color, f"{_format_number(edges[i])} - {_format_number(edges[i + 1])}"))
    if any(f == NO_DATA_COLOR for f in fills):
        legend.append((NO_DATA_COLOR, "no value shown"))
    return fills, legend


class Legend(MacroElement):
    """A plain HTML legend in a map corner (no d3 or CDN, so it works offline)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="atlas-legend" style="position:absolute;
             z-index:9999; {{ this.position_css }} background:rgba(255,255,255,0.92);
             padding:6px 8px; border:1px solid #999; border-radius:4px; font:12px sans-serif;
             color:#222; max-width:220px;">
          <div style="font-weight:600; margin-bottom:3px;">{{ this.title }}</div>
          {% for color, label in this.items %}
          <div><span style="display:inline-block; width:14px; height:12px;
               background:{{ color }}; border:1px solid #666; margin-right:5px;
               vertical-align:middle;"></span>{{ label }}</div>
          {% endfor %}
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title: str, items: Sequence[tuple[str, str]], position: str = "bottomright",
                 offset: int = 0):
        super().__init__()
        self._name = "Legend"
        # Titles and labels may contain data values: escape them like every other string.
        self.title = escape_text(title)
        self.items = [(escape_text(c), escape_text(label)) for c, label in items]
        vertical = "bottom" if position.startswith("bottom") else "top"
        horizontal = "right" if position.endswith("right") else "left"
        self.position_css = f"{vertical}:{24 + offset}px; {horizontal}:10px;"


def feature_collection(geometries: Sequence, properties: Mapping[str, Sequence]) -> dict:
    """A GeoJSON FeatureCollection of ``geometries`` (longitude/latitude, as every snapshot layer
    is) with one property per ``properties`` column, in that order.

    Built from shapely's vectorized GeoJSON writer and plain lists: geopandas' ``to_geo_dict``
    went through pandas row by row, a third of a choropleth's build (and folium parsed the
    text it was given back into this same dict).
    """
    texts = shapely.to_geojson(np.asarray(geometries, dtype=object))
    shapes = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
    names = list(properties)
    rows = zip(*(list(values) for values in properties.values()), strict=True) if names \
        else ((),) * len(shapes)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": dict(zip(names, row, strict=True)), "geometry": shape}
        for shape, row in zip(shapes, rows, strict=True)
    ]}


def escaped_properties(gdf: pd.DataFrame, columns: Sequence[str]) -> dict[str, list]:
    """``columns`` as lists for GeoJSON: text HTML-escaped, numbers rounded, NaN as null."""
    out = {}
    for column in columns:
        series = gdf[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.astype(float).round(2)
            out[column] = [None if math.isnan(v) else v for v in values.tolist()]
        else:
            out[column] = [escape_text(v) for v in series.tolist()]
    return out


def add_choropleth(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    value_col: str,
    label: str,
    tooltip_cols: Mapping[str, str] | Sequence[str] = (),
    palette: str | Sequence[str] = "sequential",
    name: str = "Areas",
    *,
    show: bool = True,
    colors: Sequence[str] | None = None,
    legend_items: Sequence[tuple[str, str]] | None = None,
    legend: bool = True,
    legend_offset: int = 0,
    line_color: str = "#333333",
    fill_opacity: float = 0.7,
) -> folium.FeatureGroup:
    """Add polygons colored by ``value_col`` as a switchable layer with a legend and tooltips.

    ``tooltip_cols`` maps column -> label (or is a list of columns). ``colors`` (one per row) and
    ``legend_items`` override the quantile classes, e.g. for categorical layers.
    """
    tips = dict(tooltip_cols) if isinstance(tooltip_cols, Mapping) else {c: c for c in tooltip_cols}
    group = folium.FeatureGroup(name=escape_text(name), show=show)
    group.add_to(m)
    if gdf is None or gdf.empty:
        return group
    if colors is None:
        fills, items = classify_values(gdf[value_col].astype(float).tolist(), palette)
    else:
        fills, items = list(colors), list(legend_items or [])
    columns = list(dict.fromkeys([*tips, value_col]))
    properties = {**escaped_properties(gdf, columns), FILL_COLOR_KEY: fills}

    def style(feature: dict) -> dict:
        return {"fillColor": feature["properties"][FILL_COLOR_KEY], "color": line_color,
                "weight": 1, "fillOpacity": fill_opacity}

    tooltip = None
    if tips:
        tooltip = folium.GeoJsonTooltip(
            fields=list(tips), aliases=[escape_text(a) for a in tips.values()], sticky=True
        )
    folium.GeoJson(
        feature_collection(gdf.geometry.values, properties),
        name=escape_text(name),
        style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=tooltip,
        zoom_on_click=False,
    ).add_to(group)
    if legend and items:
        m.add_child(Legend(label, items, offset=legend_offset))
    return group


def hexagon_frame(df: pd.DataFrame, cell_col: str = "h3_cell") -> gpd.GeoDataFrame:
    """Polygons for the H3 cells in ``df[cell_col]`` (other columns kept), EPSG:4326."""
    if df is None or df.empty:
        return gpd.GeoDataFrame(df.copy() if df is not None else None, geometry=[], crs="EPSG:4326")
    polygons = [
        Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(str(cell))])
        for cell in df[cell_col]
    ]
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=polygons, crs="EPSG:4326")


def add_hexagons(
    m: folium.Map,
    df: pd.DataFrame,
    value_col: str = "calls",
    cell_col: str = "h3_cell",
    label: str = "Calls per hexagon",
    tooltip_cols: Mapping[str, str] | Sequence[str] | None = None,
    palette: str | Sequence[str] = "sequential",
    name: str = "Hexagons",
    **kwargs,
) -> folium.FeatureGroup:
    """Add H3 hexagons from ``df[cell, value]`` colored by value (a choropleth of cells)."""
    tips = tooltip_cols if tooltip_cols is not None else {value_col: label}
    return add_choropleth(m, hexagon_frame(df, cell_col), value_col, label, tips, palette, name,
                          line_color="#555555", **kwargs)


def add_heat(
    m: folium.Map,
    weights_df: pd.DataFrame,
    lat_col: str = "lat",
    lon_col: str = "lon",
    weight_col: str = "weight",
    name: str = "Heat",
    *,
    show: bool = True,
    radius: int = 18,
) -> folium.FeatureGroup:
    """A heat layer from pre-binned weights (e.g. hexagon centers with counts), never raw calls.

    Weights are scaled to 0-1 so the colors mean "share of the busiest bin".
    """
    group = folium.FeatureGroup(name=escape_text(name), show=show)
    group.add_to(m)
    if weights_df is None or weights_df.empty:
        return group
    weights = weights_df[weight_col].astype(float)
    top = float(weights.max()) or 1.0
    data = [
        [round(float(lat), 5), round(float(lon), 5), round(float(w) / top, 4)]
        for lat, lon, w in zip(weights_df[lat_col], weights_df[lon_col], weights, strict=True)
        if w > 0
    ]
    HeatMap(data, radius=radius, blur=radius * 0.8, min_opacity=0.3, max_zoom=13).add_to(group)
    return group


def hex_centers(df: pd.DataFrame, cell_col: str = "h3_cell") -> pd.DataFrame:
    """``df`` with ``lat``/``lon`` of each H3 cell's center added (for :func:`add_heat`)."""
    out = df.copy()
    centers = [h3.cell_to_latlng(str(c)) for c in out[cell_col]]
    out["lat"] = [c[0] for c in centers]
    out["lon"] = [c[1] for c in centers]
    return out


def add_layer_control(m: folium.Map, collapsed: bool = False) -> folium.Map:
    """Add the layer switcher (call once, after all layers)."""
    folium.LayerControl(collapsed=collapsed).add_to(m)
    return m


def freeze_ids(m: folium.Map, prefix: str = "atlas") -> folium.Map:
    """Give every element a stable id (folium draws random ones) so the same map renders the
    same HTML on every rerun: st_folium then keeps the drawn map instead of redrawing it, and a
    click made during a rerun is not lost."""
    counter = iter(range(1_000_000))

    def walk(element) -> None:
        element._id = f"{prefix}{next(counter):05d}"
        for child in element._children.values():
            walk(child)

    walk(m)
    return m


def map_html(m: folium.Map) -> str:
    """The full standalone HTML of ``m`` (for size measurement and tests)."""
    return m.get_root().render()


def map_html_bytes(m: folium.Map) -> int:
    """Size of the map's HTML in bytes (UTF-8): the benchmark prints it."""
    return len(map_html(m).encode("utf-8"))
