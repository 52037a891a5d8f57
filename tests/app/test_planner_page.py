"""AppTest of the pilot planner on the tiny snapshot (staff), and its absence for the public.

Tiny snapshot: 22 weeks of calls (x 52/22 to a year); ARC-1 Mon-Fri 07-15 covers 15 of 22
ARC-eligible calls, DVERT-1 (24/7, Gamma) none of the 4 DVERT-eligible calls.
"""

from __future__ import annotations

import pytest

from response_atlas.pages_registry import PAGES
from tests.apptest_helpers import metric, run_page, run_page_cleanly

OVERVIEW = next(p.path for p in PAGES if p.title == "Overview")
PAGE = next(p.path for p in PAGES if p.title == "Pilot planner")


@pytest.fixture(scope="module")
def staff_page(tiny_data_dir):
    return run_page_cleanly(PAGE, tiny_data_dir, role="staff")


def test_default_plan_figures(staff_page):
    at = staff_page
    assert at.title[0].value == "Pilot planner"
    assert metric(at, "Eligible calls served per year").value == "35"  # 15 x 52 / 22 = 35.5
    assert metric(at, "Team-hours per year").value == "10,816"  # (40 + 168) x 52
    assert metric(at, "Annual cost").value == "$3,201,536"  # 10,816 x $296
    assert metric(at, "Months the $1M pilot covers").value == "3.7"  # 12 x 1M / 3,201,536
    # police hours freed: 35.45 x 2/3 (contacts without backup) x 38/60 h = 15
    assert metric(at, "Police hours freed per year").value == "15"
    assert any("Funding gap: $2,201,536 a year" in e.value for e in at.error)
    inputs = {n.key: n.value for n in at.number_input}
    assert inputs["plan_team_hour_cost"] == 296
    assert inputs["plan_without_police_share"] == pytest.approx(66.7)


def test_capacity_cap(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    assert not any("Capacity limits" in w.value for w in at.warning)  # 6 a shift: 1,560/yr
    # 0.1 call a shift: ARC-1 (260 shifts a year) takes 26 of the 35.5 calls it meets.
    at.number_input(key="plan_calls_per_shift").set_value(0.1).run()
    assert metric(at, "Eligible calls served per year").value == "26"
    assert any("Capacity limits this plan" in w.value for w in at.warning)


def test_save_compare_and_downloads(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    at.text_input(key="plan_name").set_value("Today").run()
    at.button(key="plan_save").click().run()
    at.number_input(key="plan_team_hour_cost").set_value(100.0).run()
    at.text_input(key="plan_name").set_value("Cheaper").run()
    at.button(key="plan_save").click().run()
    assert not at.exception, at.exception
    assert [n for n, *_ in at.session_state["plan_saved"]] == ["Today", "Cheaper"]
    table = next(df.value for df in at.dataframe if "Cheaper" in df.value.columns)
    row = table.set_index("figure").loc["Annual cost ($)"]
    assert row.tolist() == ["$3,201,536", "$1,081,600"]
    labels = [d.label for d in at.get("download_button")]
    assert "Download comparison (CSV)" in labels
    assert "Download one-page summary (HTML, print to PDF)" in labels


def test_bad_hours_are_reported_not_raised(tiny_data_dir):
    # Through the pure helper the editor feeds (AppTest cannot type into st.data_editor).
    import pandas as pd

    from response_atlas.analysis.planner import teams_from_table

    teams, problems = teams_from_table(pd.DataFrame([{
        "include": True, "team_id": "X", "program": "ARC", "zone_id": "arc-1",
        "schedule": "weekdays 9-5"}]), ["arc-1"])
    assert not teams and "no time range" in problems[0]


def test_public_role_cannot_reach_the_page(tiny_data_dir):
    at = run_page(OVERVIEW, tiny_data_dir, role="public")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
