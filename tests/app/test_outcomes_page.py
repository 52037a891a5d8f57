"""AppTest of the outcomes page, through app.py, per role and per program view."""

from __future__ import annotations

import pytest

from tests.apptest_helpers import run_page
from tests.outcomes_fixture import build_outcomes_snapshot

PAGE = "views/public/outcomes.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def outcomes_data_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("outcomes-app")
    build_outcomes_snapshot(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def tiny_staff(tiny_data_dir):
    return run_page(PAGE, tiny_data_dir, role="staff")


@pytest.fixture(scope="module")
def tiny_public(tiny_data_dir):
    return run_page(PAGE, tiny_data_dir, role="public")


def test_tabs_per_program(tiny_staff):
    assert not tiny_staff.exception
    assert [t.label for t in tiny_staff.tabs] == [
        "Funnel", "Mobile crisis (ARC)", "Quick Response Team (QRT)", "Domestic violence (DVERT)"]


def test_arc_view_staff_numbers(tiny_staff):
    m = _metrics(tiny_staff)
    # C1 resolved, C2 referred, C3 police backup: 3 routed of 22 eligible
    assert m["Calls routed to the team"] == "3"
    assert m["Share of eligible calls served"] == "14%"
    assert m["Police backup rate"] == "33%"
    assert m["Response time, median"] == "21.0 min"
    assert m["Response time, 90th percentile"] == "24.2 min"
    assert m["Estimated police hours freed"] == "1.0 h"


def test_funnel_view_keeps_four_numbers(tiny_staff):
    text = _texts(tiny_staff)
    assert ("Mobile crisis (ARC), Jan 2025 to Jun 2025: 22 eligible calls, 3 routed to the team, "
            "2 handled without police, 1 police backup requested") in text
    assert "not a diversion rate" in text


def test_dvert_and_qrt_views_staff(tiny_staff):
    m = _metrics(tiny_staff)
    assert m["Domestic violence calls"] == "4"
    assert m["Advocate co-responses"] == "1"  # C4
    assert m["Survivor connected to services"] == "1"  # C4 connected_to_treatment
    assert m["Overdose calls"] == "0"  # no overdoses in the tiny snapshot


def test_public_view_suppresses_small_counts(tiny_public):
    assert not tiny_public.exception
    m = _metrics(tiny_public)
    assert m["Calls routed to the team"] == "fewer than 11"
    assert m["Share of eligible calls served"] == "not shown"
    assert m["Response time, median"] == "not shown"
    assert m["Advocate co-responses"] == "fewer than 11"
    text = _texts(tiny_public)
    assert "22 eligible calls, fewer than 11 routed to the team" in text
    assert "3 routed" not in text


def test_every_chart_has_csv_and_png(tiny_public):
    charts = tiny_public.get("plotly_chart")
    downloads = tiny_public.get("download_button")
    assert len(charts) == 9  # 3 funnels, ARC trend + outcomes, 2 QRT, 2 DVERT
    assert len(downloads) >= len(charts)
    import json

    for chart in charts:
        config = json.loads(chart.proto.config)
        assert config["toImageButtonOptions"]["format"] == "png"


def test_qrt_view_on_fixture(outcomes_data_dir):
    at = run_page(PAGE, outcomes_data_dir, role="staff")
    assert not at.exception
    m = _metrics(at)
    assert (m["Overdose calls"], m["Visited within 72 hours"], m["Visited within 7 days"]) == (
        "7", "2", "3")
    assert (m["Person reached"], m["Linked to treatment"]) == ("4", "2")
    assert m["Repeat overdoses (90 days)"] == "2"
    assert ("Overdose calls: 7 from Dec 2024 to Apr 2025. 0.5 a month before QRT started in "
            "Mar 2025, 3.0 a month since") in _texts(at)


def test_empty_filter_shows_message(tiny_data_dir):
    # the URL carries the call type by its label; Gamma has no homelessness calls
    at = run_page(PAGE, tiny_data_dir, role="public",
                  query={"area": ["Gamma"], "cat": ["Homelessness"]})
    assert not at.exception
    assert any("No calls match the filters" in i.value for i in at.info)
    assert not at.get("plotly_chart")
