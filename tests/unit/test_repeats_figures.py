"""Repeat-address figures: one escaped marker per location (capped), timeline, before/after bars."""

from __future__ import annotations

import pandas as pd
import pytest

from response_atlas.analysis.repeats import (
    BeforeAfter,
    LocationTimeline,
    compute_concentration,
)
from response_atlas.viz.maps import map_html
from response_atlas.viz.repeats_figures import (
    before_after_figure,
    concentration_figure,
    marker_radius,
    ranked_table,
    repeat_map,
    timeline_figure,
)
from tests.unit.test_repeats_helpers import all_of_2025


def _ranked(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": range(1, n + 1),
        "address": [f"{i}XX <script>alert(1)</script> ST" for i in range(n)],
        "area": ["Alpha & Sons"] * n,
        "calls": [10 - i for i in range(n)],
        "peak_window_calls": [5] * n,
        "categories": ["Behavioral health"] * n,
        "alternative_share": [0.5] * n,
        "team_contact": [i == 0 for i in range(n)],
        "lat": [39.11 + i * 0.001 for i in range(n)],
        "lon": [-84.54] * n,
    })


def test_repeat_map_one_escaped_marker_per_location_capped():
    html = map_html(repeat_map(_ranked(3), cap=2))
    assert html.count("L.circleMarker(") == 2
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "Alpha &amp; Sons" in html


def test_ranked_table_plain_headers_days_and_shares():
    ranked = _ranked(2).assign(
        contacts=[1, 0],
        first_call=pd.to_datetime(["2025-01-05 23:59:59", "2025-02-01 00:00:00"]),
        last_call=pd.to_datetime(["2025-03-01 08:00", None]),
        alternative_share=[0.456, 1.0],
    )
    table = ranked_table(ranked)
    assert list(table.columns) == [
        "Rank", "Address (block)", "Area", "Calls", "Most in one window",
        "Alternative-eligible (%)", "Team contact", "Contacts", "First call", "Last call",
        "Call types"]
    assert list(table["First call"]) == ["2025-01-05", "2025-02-01"]  # the day, never rounded up
    assert table["Last call"].iloc[0] == "2025-03-01" and pd.isna(table["Last call"].iloc[1])
    assert list(table["Alternative-eligible (%)"]) == [46.0, 100.0]
    assert list(table["Team contact"]) == ["yes", "no"]


def test_marker_radius_grows_with_calls_within_bounds():
    assert marker_radius(0, 10) == 4.0
    assert marker_radius(10, 10) == pytest.approx(22.0)
    assert 4.0 < marker_radius(1, 10) < marker_radius(4, 10) < 22.0


def test_timeline_figure_points_by_category_and_contact_lines():
    calls = pd.DataFrame({
        "call_id": ["a", "b", "c"],
        "received_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-05 11:00", "2025-02-01 09:00"]),
        "category": ["behavioral_health", "disorder", "behavioral_health"],
        "tier": ["alternative"] * 3,
        "incident_code": ["MHC - NON-VIOLENT", "<b>NUISANCE</b>", "MHC - NON-VIOLENT"],
        "disposition": ["CLOSED"] * 3,
        "category_label": ["Behavioral health", "Disorder / nuisance", "Behavioral health"],
    })
    contacts = pd.DataFrame({
        "contact_id": ["k"], "call_id": ["a"], "team_id": ["ARC-1"], "program": ["ARC"],
        "contact_at": pd.to_datetime(["2025-01-01 10:30"]), "outcome": ["referred"],
    })
    fig = timeline_figure(LocationTimeline("12XX MAIN ST", calls, contacts))
    names = [t.name for t in fig.data]
    assert names == ["Behavioral health", "Disorder / nuisance", "Team contact (dotted line)"]
    assert len(fig.data[0].x) == 2 and len(fig.data[1].x) == 1
    assert len(fig.layout.shapes) == 1  # one vertical line per contact
    assert "&lt;b&gt;NUISANCE" in fig.data[1].text[0]
    assert list(fig.data[0].text) == ["MHC - NON-VIOLENT"] * 2
    assert list(fig.data[0].customdata) == ["CLOSED"] * 2
    # the browser writes the time received between them, as "01 Jan 2025 10:00"
    assert fig.data[0].hovertemplate == \
        "%{text}<br>%{x|%d %b %Y %H:%M}<br>%{customdata}<extra></extra>"


def test_timeline_hover_leaves_missing_text_empty():
    # Snapshot text columns are pandas strings, whose missing value prints as "<NA>".
    calls = pd.DataFrame({
        "call_id": ["a", "b"],
        "received_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-05 11:00"]),
        "category": ["behavioral_health"] * 2,
        "incident_code": pd.array(["MHC", None], dtype="string"),
        "disposition": pd.array([None, "CLOSED"], dtype="string"),
    })
    empty = pd.DataFrame(columns=["contact_id", "call_id", "team_id", "program", "contact_at",
                                  "outcome"])
    fig = timeline_figure(LocationTimeline("12XX MAIN ST", calls, empty))
    assert list(fig.data[0].text) == ["MHC", ""]
    assert list(fig.data[0].customdata) == ["", "CLOSED"]
    assert not fig.layout.shapes


def test_before_after_figure_bars():
    summary = {"locations": 2, "treated_before": 6.0, "treated_after": 2.0,
               "comparison_before": 3.0, "comparison_after": 2.0, "treated_change": -4.0,
               "comparison_change": -1.0, "did": -3.0}
    result = BeforeAfter(30, "area", pd.DataFrame({"address": ["a", "b"]}), summary)
    fig = before_after_figure(result)
    assert [t.name for t in fig.data] == ["30 days before", "30 days after"]
    assert list(fig.data[0].y) == [6.0, 3.0] and list(fig.data[1].y) == [2.0, 2.0]
    empty = BeforeAfter(90, "area", pd.DataFrame(), {"locations": 0})
    assert before_after_figure(empty).data == ()


def test_concentration_figure_marks_the_headline_point(tiny_snapshot):
    conc = compute_concentration(tiny_snapshot, all_of_2025())
    fig = concentration_figure(conc)
    point = fig.data[-1]
    assert point.x[0] == pytest.approx(1 / 6) and point.y[0] == pytest.approx(12 / 44)
