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


TABS = ["Funnel", "Mobile crisis (ARC)", "Quick Response Team (QRT)", "Domestic violence (DVERT)"]


def _open_tab(data_dir, role: str, tab: str):
    """The page with ``tab`` open, as a shared link to that tab opens it."""
    at = run_page(PAGE, data_dir, role=role, query={"out_tab": tab})
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def tiny_staff(tiny_data_dir):
    return {tab: _open_tab(tiny_data_dir, "staff", tab) for tab in TABS}


@pytest.fixture(scope="module")
def tiny_public(tiny_data_dir):
    return {tab: _open_tab(tiny_data_dir, "public", tab) for tab in TABS}


def test_tabs_per_program(tiny_staff):
    assert [t.label for t in tiny_staff["Funnel"].tabs] == TABS


def test_only_the_open_tab_is_computed(tiny_staff):
    # The funnel tab (the default) draws three funnels and none of the program figures.
    funnel = tiny_staff["Funnel"]
    assert len(funnel.get("plotly_chart")) == 3
    assert "Calls routed to the team" not in _metrics(funnel)
    assert "Calls routed to the team" in _metrics(tiny_staff["Mobile crisis (ARC)"])
    assert not any("eligible calls" in t for t in
                   _texts(tiny_staff["Mobile crisis (ARC)"]).splitlines())


def test_arc_view_staff_numbers(tiny_staff):
    m = _metrics(tiny_staff["Mobile crisis (ARC)"])
    # C1 resolved, C2 referred, C3 police backup: 3 routed of 22 eligible
    assert m["Calls routed to the team"] == "3"
    assert m["Share of eligible calls served"] == "14%"
    assert m["Police backup rate"] == "33%"
    assert m["Response time, median"] == "21.0 min"
    assert m["Response time, 90th percentile"] == "24.2 min"
    assert m["Estimated police hours freed"] == "1.0 h"


def test_funnel_view_keeps_four_numbers(tiny_staff):
    text = _texts(tiny_staff["Funnel"])
    assert ("Mobile crisis (ARC), Jan 2025 to Jun 2025: 22 eligible calls, 3 routed to the team, "
            "2 handled without police, 1 police backup requested") in text
    assert "not a diversion rate" in text


def test_dvert_and_qrt_views_staff(tiny_staff):
    m = {**_metrics(tiny_staff["Domestic violence (DVERT)"]),
         **_metrics(tiny_staff["Quick Response Team (QRT)"])}
    assert m["Domestic violence calls"] == "4"
    assert m["Advocate co-responses"] == "1"  # C4
    assert m["Survivor connected to services"] == "1"  # C4 connected_to_treatment
    assert m["Overdose calls"] == "0"  # no overdoses in the tiny snapshot


def test_public_view_suppresses_small_counts(tiny_public):
    m = {**_metrics(tiny_public["Mobile crisis (ARC)"]),
         **_metrics(tiny_public["Domestic violence (DVERT)"])}
    assert m["Calls routed to the team"] == "fewer than 11"
    assert m["Share of eligible calls served"] == "not shown"
    assert m["Response time, median"] == "not shown"
    assert m["Advocate co-responses"] == "fewer than 11"
    text = _texts(tiny_public["Funnel"])
    # 22 eligible ARC calls are published rounded to 5 (20 or 25), never exact
    assert ("20 eligible calls, fewer than 11 routed to the team" in text
            or "25 eligible calls, fewer than 11 routed to the team" in text)
    assert "22 eligible" not in text and "3 routed" not in text


def test_every_chart_has_csv_and_png(tiny_public):
    charts = [c for at in tiny_public.values() for c in at.get("plotly_chart")]
    downloads = [d for at in tiny_public.values() for d in at.get("download_button")]
    assert len(charts) == 9  # 3 funnels, ARC trend + outcomes, 2 QRT, 2 DVERT
    assert len(downloads) >= len(charts)
    import json

    for chart in charts:
        config = json.loads(chart.proto.config)
        assert config["toImageButtonOptions"]["format"] == "png"


def test_qrt_view_on_fixture(outcomes_data_dir):
    at = _open_tab(outcomes_data_dir, "staff", "Quick Response Team (QRT)")
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
