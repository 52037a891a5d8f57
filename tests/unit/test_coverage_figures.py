"""Coverage figures: escaped zone tooltips, distance rings, schedule outlines, program bars."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from response_atlas.schedule import parse_schedule
from response_atlas.viz import coverage_figures as cf
from response_atlas.viz.maps import map_html

EVIL = '<img src=x onerror="alert(1)">'


def evil_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "zone_id": ["z1", "z2"],
            "team_id": [EVIL, "QRT-1"],
            "program": ["ARC", "QRT"],
            "schedule": ["Mon-Fri 07:00-15:00", "24/7"],
            "base_lat": [39.11, None],
            "base_lon": [-84.53, None],
        },
        geometry=[box(-84.55, 39.10, -84.51, 39.12), box(-84.51, 39.10, -84.49, 39.12)],
        crs="EPSG:4326",
    )


def test_zone_tooltips_are_escaped_and_rings_drawn():
    m = cf.zones_map(evil_zones(), ring_km=3, draw=True)
    html = map_html(m)
    assert EVIL not in html
    assert "&lt;img src=x onerror=" in html
    assert "On duty: Mon-Fri 07:00-15:00" in html
    # one ring (the QRT zone has no base), radius in metres
    assert html.count("L.circle(") == 1 and '"radius": 3000.0' in html
    assert "3 km straight line from base (not drive time)" in html
    assert "L.Control.Draw" in html


def test_area_and_hexagon_layers():
    areas = gpd.GeoDataFrame(
        {"area": ["Alpha", "Beta"]},
        geometry=[box(-84.55, 39.10, -84.53, 39.12), box(-84.53, 39.10, -84.51, 39.12)],
        crs="EPSG:4326",
    )
    values = pd.DataFrame(
        {"area": ["Alpha", "Beta"], "eligible": [12, 0], "covered": [9, 0], "uncovered": [3, 0]}
    )
    cells = pd.DataFrame({"h3_cell": ["892a930f62fffff"], "uncovered": [3], "eligible": [12]})
    html = map_html(cf.zones_map(evil_zones(), areas, values, cells))
    assert "Uncovered eligible calls by area" in html and "Gap hexagons" in html
    assert (
        '"area": "Alpha"' in html and '"area": "Beta"' not in html
    )  # no eligible calls: not shaded


def test_duty_runs_and_heatmap_outlines():
    assert cf.duty_runs(parse_schedule("Fri 22:00-02:00")) == [(4, 22.0, 24.0), (5, 0.0, 2.0)]
    fig = cf.uncovered_heatmap(
        np.arange(168).reshape(7, 24),
        {
            "ARC-1": parse_schedule("Mon-Fri 07:00-15:00"),
            "ARC-2": parse_schedule("Mon-Fri 11:00-19:30"),
        },
    )
    rects = fig.layout.shapes
    assert len(rects) == 2  # one block per team: Mon-Fri merged
    first = rects[0]
    assert (first.x0, first.x1, first.y0, first.y1) == (6.5, 14.5, -0.5, 4.5)
    assert rects[1].x1 == 19.0  # 19:30 ends half-way through the 19:00 cell
    assert cf.legend_names(fig.data) == ["ARC-1 on duty", "ARC-2 on duty"]
    assert cf.duty_blocks(
        parse_schedule("Mon,Wed 08:00-10:00; Tue 08:00-09:00; Thu-Fri 08:00-10:00")
    ) == [
        (0, 0, 8.0, 10.0),
        (1, 1, 8.0, 9.0),
        (2, 4, 8.0, 10.0),
    ]
    always = cf.uncovered_heatmap(np.zeros((7, 24)), {"DV": parse_schedule("24/7")})
    assert len(always.layout.shapes) == 0
    assert always.data[1].name == "DV on duty 24/7 (not outlined)"
    assert fig.data[0].z.sum() == sum(range(168))


def test_coverage_bars_with_references():
    table = pd.DataFrame(
        {
            "program": ["ARC", "QRT", "DVERT"],
            "eligible": [22, 0, 4],
            "covered": [15, 0, 0],
            "share_covered": [15 / 22, np.nan, 0.0],
        }
    )
    fig = cf.coverage_bars(table)
    assert list(fig.data[0].y) == ["Mobile crisis (ARC)", "Domestic violence response (DVERT)"]
    assert list(fig.data[0].text) == ["68% (15 of 22)", "0% (0 of 4)"]
    texts = [a.text for a in fig.layout.annotations]
    assert "Denver STAR: 44-46%" in texts and "Cincinnati 2022: ~10%" in texts
