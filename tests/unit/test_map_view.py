"""ui.map_view.show_map: st_folium without its standalone-document render."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import streamlit_folium
from shapely.geometry import box

from response_atlas.publish import Audience
from response_atlas.ui import map_view
from response_atlas.viz import calls_figures, coverage_figures
from response_atlas.viz.maps import freeze_ids
from tests.unit.test_coverage_figures import evil_zones

AREAS = gpd.GeoDataFrame(
    {"area": ["Alpha", "Beta <b>"], "kind": ["neighborhood"] * 2, "population": [1000, 0]},
    geometry=[box(-84.55, 39.10, -84.53, 39.12), box(-84.53, 39.10, -84.51, 39.12)],
    crs="EPSG:4326",
)
CELLS = ["892a930f62fffff", "892a930f623ffff"]


def _calls_map():
    counts = pd.DataFrame({"area": ["Alpha", "Beta <b>"], "calls": [40, float("nan")],
                           "rate_per_1000": [40.0, float("nan")]})
    hexes = pd.DataFrame({"h3_cell": CELLS, "calls": [30, 12]})
    return calls_figures.build_calls_map(AREAS, counts, "rate", ["areas", "hexagons", "heat"],
                                         hexes, audience=Audience(public=True, threshold=10))


def _coverage_map():
    values = pd.DataFrame({"area": ["Alpha", "Beta <b>"], "eligible": [12, 4],
                           "covered": [9, 1], "uncovered": [3, 3]})
    cells = pd.DataFrame({"h3_cell": CELLS[:1], "uncovered": [3], "eligible": [12]})
    return coverage_figures.zones_map(evil_zones(), AREAS, values, cells, ring_km=3, draw=True)


def _component_parts(fmap, render_document: bool) -> tuple[str, str, str]:
    """What st_folium sends the browser: the map's body, header and script."""
    if render_document:
        fmap.get_root().render()
    fmap.render()
    return (streamlit_folium._get_html(fmap), streamlit_folium._get_header(fmap),
            streamlit_folium._get_map_string(fmap))


@pytest.mark.parametrize("build", [_calls_map, _coverage_map])
def test_the_component_gets_the_same_map_without_the_document_render(build):
    # (stable element ids, so the two renders can be compared as text)
    with_document = _component_parts(freeze_ids(build()), render_document=True)
    assert "L.geoJson" in with_document[2] and "Beta \\u0026lt;b\\u0026gt;" in with_document[2]
    assert _component_parts(freeze_ids(build()), render_document=False) == with_document


def test_show_map_skips_the_document_render_and_returns_nothing_by_default(monkeypatch):
    seen = {}
    monkeypatch.setattr(map_view, "st_folium", lambda fmap, **kw: seen.update(kw) or {"ok": 1})
    assert map_view.show_map(_calls_map(), "k", 300) == {"ok": 1}
    assert seen == {"key": "k", "height": 300, "use_container_width": True,
                    "returned_objects": [], "render": False}
    map_view.show_map(_calls_map(), "k", 300, ("last_active_drawing",))
    assert seen["returned_objects"] == ["last_active_drawing"]
