"""AppTest of the coverage page on the tiny snapshot (staff), and its refusal for the public."""

from __future__ import annotations

import pytest

from tests.apptest_helpers import metric, run_page, run_page_cleanly
from tests.conftest import PROJECT_ROOT

PAGE = "views/staff/coverage.py"


@pytest.fixture(scope="module")
def staff_page(tiny_data_dir):
    return run_page_cleanly(PAGE, tiny_data_dir, role="staff")


def test_figures_on_the_tiny_snapshot(staff_page):
    at = staff_page
    assert at.title[0].value == "Coverage and gaps"
    # ARC 22 eligible (15 covered) + DVERT 4 (0 covered)
    assert metric(at, "Eligible calls").value == "26"
    assert metric(at, "Covered by a team").value == "15"
    assert metric(at, "Share covered").value == "58%"
    assert metric(at, "Team-hours per week").value == "208"
    assert any("Cincinnati's single 40-hour team" in c.value for c in at.caption)
    assert any("not drive time" in c.value for c in at.caption)


def test_only_the_open_tab_is_computed(staff_page):
    # The default tab has the map and no heatmap or what-if; the others open from a link.
    assert [t.label for t in staff_page.tabs] == [
        "Where: gaps and distance", "When: hour and weekday", "What-if"]
    assert staff_page.get("plotly_chart") and len(staff_page.get("plotly_chart")) == 1  # bars
    assert not [r for r in staff_page.radio if r.key == "cov_kind"]


def test_when_tab_heatmap(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff", query={"cov_tab": "When: hour and weekday"})
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3  # program bars, weekday x hour heatmap, hour bars


def test_program_choice_and_what_if_extend(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff", query={"cov_tab": "What-if"})
    at.radio(key="cov_kind").set_value("extend").run()
    at.selectbox(key="cov_team").set_value("ARC-1").run()
    assert metric(at, "Covered with the change").value == "15"
    at.number_input(key="cov_after").set_value(60).run()
    assert not at.exception
    changed = metric(at, "Covered with the change")
    assert changed.value == "16" and changed.delta == "+1"
    assert metric(at, "Extra team-hours per week").value == "+5.0"
    at.number_input(key="cov_after").set_value(20).run()  # off the 15-minute grid: 15:20
    assert metric(at, "Covered with the change").value == "16"
    at.button(key="cov_save").click().run()
    assert len(at.session_state["cov_saved_scenarios"]) == 1
    assert any(d.label.startswith("Download comparison") for d in at.get("download_button"))


def test_bad_schedule_in_add_team_shows_a_clear_message(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff", query={"cov_tab": "What-if"})
    at.radio(key="cov_kind").set_value("add_team").run()
    at.text_input(key="cov_new_sched").set_value("Mon-Fry 07:00-15:00").run()
    assert not at.exception
    assert any("unknown day range 'mon-fry'" in w.value for w in at.warning)


def test_program_filter_and_empty_state(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    at.button_group(key="cov_prog").set_value("DVERT").run()
    assert not at.exception
    assert metric(at, "Eligible calls").value == "4"
    assert metric(at, "Share covered").value == "0%"
    empty = run_page(
        PAGE, tiny_data_dir, role="staff", query={"area": "Gamma", "tier": "alternative"}
    )
    assert not empty.exception
    assert any("No eligible calls match" in i.value for i in empty.info)


def test_public_role_is_refused(tiny_data_dir):
    from streamlit.testing.v1 import AppTest

    from response_atlas.pages_registry import pages_for_role

    # Not in the public navigation at all...
    assert PAGE not in [p.path for p in pages_for_role("public")]
    # ...and the page itself refuses a public context (run on its own, without app.py).
    import os

    os.environ["ATLAS_DATA_DIR"] = str(tiny_data_dir)
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60).run()
    assert not at.exception
    assert any("for program staff only" in e.value for e in at.error)
    assert not at.metric and not at.get("plotly_chart")
