"""AppTest: plans saved from the planner and the coverage what-if land in the data folder, are
listed for another session, compared side by side and loaded back; saved views in the sidebar."""

from __future__ import annotations

import pytest
import yaml

from response_atlas.pages_registry import PAGES
from tests.apptest_helpers import metric, run_page
from tests.tiny_snapshot import build_tiny_snapshot

PLANNER = next(p.path for p in PAGES if p.title == "Pilot planner")
COVERAGE = next(p.path for p in PAGES if p.title == "Coverage and gaps")
OVERVIEW = next(p.path for p in PAGES if p.title == "Overview")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved-plans-ui")  # this test writes: its own data folder
    build_tiny_snapshot(folder)
    return folder


def test_save_compare_and_load_plans(data_dir):
    # a coverage what-if saved for the team
    cov = run_page(COVERAGE, data_dir, role="staff", query={"cov_tab": "What-if"})
    cov.radio(key="cov_kind").set_value("extend").run()
    cov.number_input(key="cov_after").set_value(60).run()
    cov.text_input(key="cov_plans_name").set_value("ARC to 16:00").run()
    cov.button(key="cov_plans_save").click().run()
    assert not cov.exception
    assert (data_dir / "plans" / "arc-to-16-00.yaml").is_file()

    # two planner plans: today's teams, and the same with a $2M budget
    at = run_page(PLANNER, data_dir, role="staff")
    at.text_input(key="plans_name").set_value("Today").run()
    at.button(key="plans_save").click().run()
    at.number_input(key="plan_budget").set_value(2_000_000.0).run()
    at.text_input(key="plans_name").set_value("Two million").run()
    at.button(key="plans_save").click().run()
    assert not at.exception
    saved = yaml.safe_load((data_dir / "plans" / "two-million.yaml").read_text())
    assert saved["planner"]["costs"]["budget"] == 2_000_000
    assert [t["team_id"] for t in saved["planner"]["teams"]] == ["ARC-1", "DVERT-1"]
    # saving under a taken name asks first
    at.button(key="plans_save").click().run()
    assert any("already exists" in w.value for w in at.warning)

    # another session (or after a restart) sees all three and compares them
    other = run_page(PLANNER, data_dir, role="staff")
    assert set(other.multiselect(key="plans_compare").options) == {
        "ARC to 16:00", "Today", "Two million"}
    other.multiselect(key="plans_compare").set_value(
        ["arc-to-16-00", "today", "two-million"]).run()
    table = next(df.value for df in other.dataframe if "Figure" in df.value.columns)
    table = table.set_index("Figure")
    assert list(table.columns) == ["ARC to 16:00", "Today", "Two million"]
    assert table.loc["Planner: Annual cost", "Today"] == metric(other, "Annual cost").value
    assert table.loc["Planner: Months the budget covers", "Two million"] == "7.5"  # 2 x 3.7
    assert table.loc["Coverage: Covered now", "ARC to 16:00"] == "15"  # the coverage page's
    assert table.loc["Coverage: Covered with the change", "ARC to 16:00"] == "16"
    assert table.loc["Planner: Annual cost", "ARC to 16:00"] == "-"

    # load the $2M plan into the planner's inputs
    other.selectbox(key="plans_pick").set_value("two-million").run()
    other.button(key="plans_load").click().run()
    assert not other.exception
    assert other.number_input(key="plan_budget").value == 2_000_000
    assert metric(other, "Months the budget covers").value == "7.5"
    assert not [w.value for w in other.warning if "Session State" in w.value]


def test_a_broken_plan_file_is_listed_with_its_problem(data_dir):
    (data_dir / "plans").mkdir(exist_ok=True)
    (data_dir / "plans" / "zz-broken.yaml").write_text("name: X\nplanner: {teams: []}\n")
    at = run_page(PLANNER, data_dir, role="staff")
    assert any("zz-broken.yaml: planner.teams: List should have at least 1 item" in w.value
               for w in at.warning)
    (data_dir / "plans" / "zz-broken.yaml").unlink()


def test_saved_views_in_the_staff_sidebar(data_dir):
    at = run_page(OVERVIEW, data_dir, role="staff", query={"area": "Beta"})
    at.sidebar.text_input(key="view_name").set_value("Beta overview").run()
    at.sidebar.button(key="view_save").click().run()
    assert not at.exception
    saved = yaml.safe_load((data_dir / "views" / "beta-overview.yaml").read_text())
    assert (saved["page"], saved["params"]) == ("overview", {"area": ["Beta"]})
    links = [(link.proto.label, link.proto.page) for link in at.sidebar.get("page_link")]
    assert any(label == "Beta overview" for label, _ in links), links
    public = run_page(OVERVIEW, data_dir, role="public")
    assert not public.sidebar.get("page_link")  # views are for staff
    assert [e.label for e in public.sidebar.expander] == ["Monthly briefing (PDF)"]
