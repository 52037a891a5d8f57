"""Shared map helpers: escaping, classes, hexagons, heat from bins, size that does not grow."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import h3
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from response_atlas.viz import maps
from response_atlas.viz.palettes import NO_DATA_COLOR

HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "Beta"]


@pytest.fixture
def hostile_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area": HOSTILE, "code": ["<script>x()</script>", "ok", "ok"], "calls": [5, 10, 20]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )


def test_choropleth_escapes_every_string_property(hostile_areas):
    m = maps.base_map(maps.bounds_of(hostile_areas))
    maps.add_choropleth(m, hostile_areas, "calls", "Calls <b>", {"area": "Area", "code": "Code"})
    html = maps.map_html(m)
    # raw tags never appear, neither literally nor as JSON unicode escapes that the browser
    # would turn back into a tag when the tooltip writes innerHTML
    assert "<img src=x" not in html
    assert "\\u003cimg" not in html
    assert "<script>x()" not in html and "\\u003cscript\\u003ex()" not in html
    # the escaped text is there instead (JSON-encoded '&' is \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    # the legend title is escaped too
    assert "Calls &lt;b&gt;" in html


def test_escaped_properties_keep_numbers_and_escape_text(hostile_areas):
    props = maps.escaped_properties(hostile_areas, ["area", "calls"])
    assert props["area"][0] == "&lt;img src=x onerror=alert(1)&gt;"
    assert props["area"][1] == "${alert(1)}"  # no HTML meaning; shown as text
    assert props["calls"] == [5.0, 10.0, 20.0]
    missing = maps.escaped_properties(pd.DataFrame({"n": [1.234, None], "t": ["a", None]}),
                                      ["n", "t"])
    assert missing == {"n": [1.23, None], "t": ["a", ""]}


def test_classify_values_quantile_classes_and_gray_for_missing():
    fills, legend = maps.classify_values([1, 2, 3, 4, None], "sequential", n_classes=2)
    # edges at quantiles 0, .5, 1 -> [1, 2.5, 4]; 1 and 2 low, 3 and 4 high
    assert fills[0] == fills[1] != fills[2] == fills[3]
    assert fills[4] == NO_DATA_COLOR
    assert [label for _, label in legend] == ["1 - 2.5", "2.5 - 4", "no value shown"]


def test_classify_single_value_one_class():
    fills, legend = maps.classify_values([7, 7], "sequential")
    assert fills[0] == fills[1]
    assert legend == [(fills[0], "7")]


def test_hexagon_frame_makes_closed_hexagons_around_the_cell():
    cell = h3.latlng_to_cell(39.1, -84.5, 9)
    gdf = maps.hexagon_frame(pd.DataFrame({"h3_cell": [cell], "calls": [4]}))
    poly = gdf.geometry.iloc[0]
    assert len(poly.exterior.coords) == 7  # 6 corners + closing point
    assert poly.contains(gpd.points_from_xy([-84.5], [39.1])[0])
    assert gdf.crs.to_epsg() == 4326


def test_heat_uses_one_point_per_bin_scaled_to_busiest():
    cells = [h3.latlng_to_cell(39.1 + i * 0.01, -84.5, 9) for i in range(3)]
    bins = maps.hex_centers(pd.DataFrame({"h3_cell": cells, "weight": [10, 5, 0]}))
    m = maps.base_map()
    group = maps.add_heat(m, bins)
    assert "L.heatLayer" in maps.map_html(m)
    (heat,) = [c for c in group._children.values() if hasattr(c, "data")]
    # zero-weight bins dropped; the busiest scaled to 1 and the other to 0.5
    assert [row[2] for row in heat.data] == [1.0, 0.5]
    lat, lon = h3.cell_to_latlng(cells[0])
    assert heat.data[0][:2] == [round(lat, 5), round(lon, 5)]


def test_map_size_does_not_grow_with_call_counts(hostile_areas):
    small, big = hostile_areas.copy(), hostile_areas.copy()
    big["calls"] = big["calls"] * 100_000
    sizes = []
    for gdf in (small, big):
        m = maps.base_map()
        maps.add_choropleth(m, gdf, "calls", "Calls", {"calls": "Calls"})
        sizes.append(maps.map_html_bytes(m))
    # same features, only the numbers differ: a few bytes per feature at most
    assert abs(sizes[0] - sizes[1]) < 200


def test_empty_layers_draw_nothing_and_do_not_fail():
    m = maps.base_map(tiles="https://tiles.example/{z}/{x}/{y}.png")
    maps.add_choropleth(m, gpd.GeoDataFrame({"calls": []}, geometry=[], crs=4326), "calls", "C")
    maps.add_hexagons(m, pd.DataFrame({"h3_cell": [], "calls": []}))
    maps.add_heat(m, pd.DataFrame({"lat": [], "lon": [], "weight": []}))
    maps.add_layer_control(m)
    html = maps.map_html(m)
    assert "L.geoJson" not in html and "heatLayer" not in html
    assert "tiles.example" in html


def test_freeze_ids_make_the_same_map_render_the_same_html(hostile_areas):
    def build() -> str:
        m = maps.base_map()
        maps.add_choropleth(m, hostile_areas, "calls", "Calls", {"area": "Area"})
        maps.add_layer_control(m)
        return maps.map_html(maps.freeze_ids(m))

    # folium's random ids would differ; st_folium would redraw the map on every rerun
    assert build() == build()


def test_feature_collection_is_the_geojson_geopandas_writes():
    frame = gpd.GeoDataFrame({"area": ["A<b>", "B"], "n": [1.5, None]},
                             geometry=[box(0, 0, 1, 1), MultiPolygon([box(1, 1, 2, 2),
                                                                      box(3, 3, 4, 4)])],
                             crs="EPSG:4326")
    built = maps.feature_collection(frame.geometry.values, {"area": ["A<b>", "B"],
                                                            "n": [1.5, None]})
    # the same document as geopandas' own writer (which folium used to be given as text)
    assert built == json.loads(frame.to_json(drop_id=True))
    outline = maps.feature_collection([box(0, 0, 1, 1), None], {})
    assert [f["properties"] for f in outline["features"]] == [{}, {}]
    assert outline["features"][0]["geometry"]["type"] == "Polygon"
    assert outline["features"][1]["geometry"] is None
    with pytest.raises(ValueError):  # a property column of the wrong length loses nothing quietly
        maps.feature_collection([box(0, 0, 1, 1)], {"area": ["A", "B"]})


def test_rendered_map_text_is_never_parsed_as_a_template_again():
    # folium wraps each rendered layer in Element(text); jinja would evaluate data inside it.
    import branca.element

    assert branca.element.Element("<b>{{ 7*7 }}</b>").render() == "<b>{{ 7*7 }}</b>"
    fmap = folium.Map(location=[39.1, -84.5], zoom_start=11)
    folium.Marker([39.1, -84.5], tooltip="{{ 7*7 }}{% if true %}yes{% endif %}").add_to(fmap)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "{{ 6*7 }}"},
             "geometry": {"type": "Point", "coordinates": [-84.5, 39.1]}}]},
        tooltip=folium.GeoJsonTooltip(["name"]),
    ).add_to(fmap)
    html = fmap.get_root().render()
    assert "{{ 7*7 }}{% if true %}yes{% endif %}" in html and "{{ 6*7 }}" in html
    assert "49yes" not in html


def test_branca_div_keeps_its_own_children_template():
    # The one library template passed to Element(...) still renders its children.
    import branca.element

    div = branca.element.Div()
    div.html.add_child(branca.element.Element("<p>one</p>"))
    div.html.add_child(branca.element.Element("<p>two</p>"))
    assert div.html.render() == "<p>one</p><p>two</p>"
