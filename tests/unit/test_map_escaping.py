"""Every folium map builder, fed hostile strings from an extract, renders no live HTML or JS.

Three ways a value can run in a folium map: as raw HTML (a tooltip or legend), as HTML inside
JSON that a tooltip writes with innerHTML (``\\u003cimg`` in GeoJSON properties), and as a
``${...}`` placeholder inside the JavaScript template literals (backtick strings) folium uses for
``Tooltip`` and ``Popup`` text.
"""

from __future__ import annotations

import re

import geopandas as gpd
import h3
import pandas as pd
import pytest
from shapely.geometry import box

from response_atlas.analysis.hotspots import HotspotResult
from response_atlas.publish import Audience
from response_atlas.viz import (
    calls_figures,
    coverage_figures,
    equity_figures,
    maps,
    repeats_figures,
)

IMG = "<img src=x onerror=alert(1)>"
TEMPLATE = "${alert(1)}"
SCRIPT = '"><script>alert(1)</script>'
TICK = "`;alert(1);`"
HOSTILE = (IMG, TEMPLATE, SCRIPT)

# a raw tag, or one that JSON encoding hides until a tooltip sets innerHTML
RAW_MARKERS = ("<img src=x", "<script>alert", "\\u003cimg src=x", "\\u003cscript\\u003ealert")
# folium's template literals: Tooltip text and Popup HTML (``bindTooltip(`...`, {...})``,
# ``$(`...`)[0]``); what follows a literal must be the "," or ")" of folium's own call.
TEMPLATE_LITERAL = re.compile(r"(?:bindTooltip\(|\$\()\s*`((?:[^`\\]|\\.)*)`\s*(.)", re.S)


def assert_no_live_data(html: str) -> None:
    """No raw hostile tag anywhere, and no data placeholder or stray backtick in a template."""
    for marker in RAW_MARKERS:
        assert marker not in html, f"{marker!r} reached the map HTML"
    for literal, after in TEMPLATE_LITERAL.findall(html):
        assert "${" not in literal, f"a ${{...}} placeholder from data in `{literal.strip()}`"
        assert after in ",)", f"a backtick from data closed the template literal `{literal}`"


def hostile_areas() -> gpd.GeoDataFrame:
    names = [IMG, TEMPLATE, SCRIPT, TICK]
    return gpd.GeoDataFrame(
        {"area": names, "population": [1000, 2000, 500, 800]},
        geometry=[box(-84.55 + 0.02 * i, 39.10, -84.53 + 0.02 * i, 39.12) for i in range(4)],
        crs="EPSG:4326",
    )


def counts_for(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({"area": areas["area"], "calls": [20, 16, 5, 40],
                         "rate_per_1000": [20.0, 8.0, 10.0, 50.0]})


def test_choropleth_escapes_tooltip_values_labels_and_layer_name():
    areas = hostile_areas().assign(note=[SCRIPT, TICK, TEMPLATE, IMG])
    m = maps.base_map(maps.bounds_of(areas))
    maps.add_choropleth(m, areas, "population", IMG, {"area": TEMPLATE, "note": SCRIPT},
                        name=SCRIPT)
    html = maps.map_html(m)
    assert_no_live_data(html)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html  # shown as text


def test_hexagon_layer_escapes_tooltip_text():
    cell = h3.latlng_to_cell(39.11, -84.54, 9)
    cells = pd.DataFrame({"h3_cell": [cell], "calls": [12], "label": [IMG + SCRIPT]})
    m = maps.base_map(None)
    maps.add_hexagons(m, cells, tooltip_cols={"label": TEMPLATE})
    assert_no_live_data(maps.map_html(m))


def test_calls_map_with_every_layer():
    areas = hostile_areas()
    cell = h3.latlng_to_cell(39.11, -84.54, 9)
    hexes = pd.DataFrame({"h3_cell": [cell], "calls": [30]})
    spots = HotspotResult(
        pd.DataFrame({"h3_cell": [cell], "calls": [30], "z": [3.1], "p": [0.001], "spot": ["hot"],
                      "confidence": [99], "label": [IMG]}), method=TEMPLATE)
    for public in (True, False):
        m = calls_figures.build_calls_map(
            areas, counts_for(areas), "rate", calls_figures.LAYERS, hexes, spots,
            audience=Audience(public=public, threshold=10))
        html = maps.map_html(m)
        assert_no_live_data(html)
        assert "L.geoJson(" in html or "L.geoJSON(" in html


def test_difference_map():
    areas = hostile_areas()
    comparison = pd.DataFrame({"area": areas["area"], "calls_before": [20, 30, 5, 40],
                               "calls_after": [25, 12, 6, 44], "change": [5, -18, 1, 4],
                               "small_numbers": [False, False, True, False]})
    assert_no_live_data(maps.map_html(calls_figures.difference_map(areas, comparison)))


def test_coverage_map_with_hostile_team_schedule_program_and_areas():
    areas = hostile_areas()
    zones = gpd.GeoDataFrame(
        {"zone_id": ["z1", "z2", "z3"], "team_id": [IMG, TEMPLATE, TICK],
         "program": [SCRIPT, "ARC", TEMPLATE], "schedule": [TEMPLATE, SCRIPT, IMG],
         "base_lat": [39.11, 39.11, 39.11], "base_lon": [-84.54, -84.52, -84.50]},
        geometry=[box(-84.55, 39.10, -84.53, 39.12), box(-84.53, 39.10, -84.51, 39.12),
                  box(-84.51, 39.10, -84.49, 39.12)],
        crs="EPSG:4326",
    )
    values = pd.DataFrame({"area": areas["area"], "eligible": [12, 10, 3, 5],
                           "covered": [9, 1, 0, 5], "uncovered": [3, 9, 3, 0]})
    cells = pd.DataFrame({"h3_cell": [h3.latlng_to_cell(39.11, -84.54, 9)], "uncovered": [3],
                          "eligible": [12]})
    m = coverage_figures.zones_map(zones, areas, values, cells, ring_km=3, draw=True)
    html = maps.map_html(m)
    assert_no_live_data(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the team id, shown as text
    assert "alert(1)}" in html  # the schedule is still shown, only made inert


@pytest.mark.parametrize("text", HOSTILE + (TICK,))
def test_repeat_map_with_hostile_address_area_and_types(text):
    ranked = pd.DataFrame({
        "rank": [1, 2], "address": [f"12XX {text} ST", "3XX VINE ST"], "area": [text, "Beta"],
        "calls": [12, 10], "peak_window_calls": [5, 4], "categories": [text, "Disorder"],
        "alternative_share": [0.5, 1.0], "team_contact": [True, False],
        "lat": [39.11, 39.112], "lon": [-84.54, -84.52],
    })
    assert_no_live_data(maps.map_html(repeats_figures.repeat_map(ranked)))


def test_equity_maps_with_hostile_area_names():
    areas = hostile_areas()
    values = pd.DataFrame({"calls_rate": [20.0, 8.0, None, 50.0],
                           "calls_rate_text": ["20.0", TEMPLATE, "not shown", IMG],
                           "pct_black": [60.0, 20.0, 5.0, 30.0]}, index=areas["area"])
    for m in equity_figures.area_rate_maps(areas, values, "calls_rate", SCRIPT, "pct_black", IMG):
        assert_no_live_data(maps.map_html(m))


def test_the_checker_catches_each_kind_of_leak():
    """The helper above is what every test relies on: it must fail on each kind of leak."""
    for leaky in (f"<div>{IMG}</div>", '{"a": "\\u003cimg src=x"}', f"bindTooltip(`{TEMPLATE}`)",
                  "bindTooltip(`<b>`;alert(1);`</b>`)"):
        with pytest.raises(AssertionError):
            assert_no_live_data(leaky)
    assert_no_live_data('{"area": "${alert(1)}"} bindTooltip(`&lt;img src=x&gt;`)')
