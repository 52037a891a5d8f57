"""Saved plans and views: the YAML format, validation messages, folder storage, comparison."""

from __future__ import annotations

from datetime import date

import pytest

from response_atlas.analysis.coverage import (
    baseline_coverage,
    coverage_by_program,
    eligible_aggregate,
)
from response_atlas.analysis.planner import PlanInputs, teams_from_table
from response_atlas.analysis.whatif import Scenario
from response_atlas.filters import Filters
from response_atlas.plans import (
    PlanFileError,
    SavedPlan,
    SavedView,
    compare_saved,
    evaluate_planner,
    list_plans,
    load_view,
    plan_from_yaml,
    plan_inputs,
    plan_scenario,
    plan_team_table,
    planner_part,
    plans_dir,
    save_model,
    to_yaml,
    view_filters,
    views_dir,
    what_if,
)

TEAM_ROWS = [
    {"include": True, "team_id": "ARC-1", "program": "ARC", "zone_id": "arc-1",
     "schedule": "Mon-Fri 07:00-15:00"},
    {"include": True, "team_id": "ARC-2", "program": "ARC", "zone_id": "arc-1",
     "schedule": "Mon-Fri 11:00-19:00"},
    {"include": None, "team_id": None, "program": None, "zone_id": None, "schedule": None},
]
FILTERS = Filters(start=date(2025, 1, 1), end=date(2025, 6, 30))


def two_teams() -> SavedPlan:
    return SavedPlan(
        name="Two teams 07-19", note="Cincinnati since June 2024",
        planner=planner_part(PlanInputs(calls_per_shift=5, budget=1_500_000), TEAM_ROWS),
        coverage=what_if(Scenario("x", "extend", team_id="ARC-1", minutes_after=240)),
    )


def test_a_plan_round_trips_through_yaml():
    plan = two_teams()
    again = plan_from_yaml(to_yaml(plan))
    assert again == plan
    assert plan_inputs(again.planner) == PlanInputs(calls_per_shift=5, budget=1_500_000)
    assert list(plan_team_table(again.planner)["team_id"]) == ["ARC-1", "ARC-2"]  # blank row gone
    scenario = plan_scenario(again)
    assert scenario == Scenario("Two teams 07-19", "extend", team_id="ARC-1", minutes_after=240)


def test_a_bad_file_names_file_row_field_and_problem():
    text = """format: response-atlas-plan
version: 1
name: Broken
planner:
  teams:
    - {team_id: ARC-1, program: ARC, zone_id: arc-1, schedule: "Mon-Fri 07:00-15:00"}
    - {team_id: ARC-9, program: XYZ, zone_id: arc-1, schedule: "Mon-Fri 25:00-15:00"}
  costs: {without_police_share: 1.5, colour: red}
coverage: {kind: add_team}
"""
    with pytest.raises(PlanFileError) as err:
        plan_from_yaml(text, "broken.yaml")
    problems = err.value.problems
    assert str(err.value).startswith("broken.yaml: ")
    assert any(p.startswith("planner.teams[2].program:") and "'ARC', 'QRT' or 'DVERT'" in p
               for p in problems)
    assert any(p.startswith("planner.teams[2].schedule:") and "25:00" in p for p in problems)
    assert any(p.startswith("planner.costs.without_police_share:") for p in problems)
    assert any(p.startswith("planner.costs.colour:") and "Extra" in p for p in problems)
    assert any("needs program, schedule, zone_id" in p for p in problems)
    assert not any("teams[1]" in p for p in problems)  # the good row is not blamed


@pytest.mark.parametrize("text, expected", [
    ("name: [unclosed", "line 1: not valid YAML"),
    ("- a list", "expected a YAML mapping"),
    ("format: response-atlas-plan\nversion: 1\nname: Empty\n", "needs a 'planner' part"),
    ("format: other\nversion: 2\nname: X\ncoverage: {kind: shift, team_id: A}\n",
     "format: Input should be 'response-atlas-plan'"),
])
def test_other_bad_files(text, expected):
    with pytest.raises(PlanFileError) as err:
        plan_from_yaml(text, "up.yaml")
    assert expected in str(err.value)


def test_binary_upload_is_refused():
    with pytest.raises(PlanFileError, match="not a text file"):
        plan_from_yaml(b"\xff\xfe\x00", "x.yaml")


def test_saved_plans_live_in_the_data_folder(tmp_path):
    path = save_model(plans_dir(tmp_path), two_teams())
    assert path == tmp_path / "plans" / "two-teams-07-19.yaml"
    with pytest.raises(FileExistsError):
        save_model(plans_dir(tmp_path), two_teams())
    (tmp_path / "plans" / "broken.yaml").write_text("name: [", encoding="utf-8")
    listed = list_plans(tmp_path)  # a fresh read: what another session or a restart sees
    assert [i.name for i in listed] == ["broken", "Two teams 07-19"]
    assert listed[0].model is None and "not valid YAML" in listed[0].problem
    assert listed[1].model.saved_at  # stamped when saved
    assert listed[1].model.model_copy(update={"saved_at": None}) == two_teams()


def test_comparison_uses_the_planner_and_coverage_functions(tiny_snapshot):
    def aggregate(bucket, keep):
        return eligible_aggregate(tiny_snapshot, FILTERS, bucket, keep)

    one_team = SavedPlan(name="One team", planner=planner_part(PlanInputs(), TEAM_ROWS[:1]))
    table = compare_saved([one_team, two_teams()], aggregate, FILTERS, tiny_snapshot.zones,
                          tiny_snapshot.areas)
    assert list(table.columns) == ["Figure", "One team", "Two teams 07-19"]
    rows = table.set_index("Figure")
    teams, _ = teams_from_table(plan_team_table(two_teams().planner), ["arc-1", "dvert-1"])
    result = evaluate_planner(aggregate, FILTERS, teams, plan_inputs(two_teams().planner))[0]
    assert rows.loc["Planner: Annual cost", "Two teams 07-19"] == f"${result.annual_cost:,.0f}"
    assert rows.loc["Planner: Eligible calls served per year", "Two teams 07-19"] == \
        f"{result.served_per_year:,.0f}"
    arc = coverage_by_program(baseline_coverage(tiny_snapshot, FILTERS)).set_index("program")
    assert rows.loc["Coverage: Covered now", "Two teams 07-19"] == f"{arc.loc['ARC', 'covered']:,}"
    assert rows.loc["Coverage: Covered now", "One team"] == "-"  # no what-if in that plan
    assert rows.loc["Planner: Team rows left out", "Two teams 07-19"] == "none"
    gone = SavedPlan(name="Old zone", planner=planner_part(PlanInputs(), [
        *TEAM_ROWS[:1], {**TEAM_ROWS[1], "zone_id": "arc-9"}]))
    table = compare_saved([one_team, gone], aggregate, FILTERS, tiny_snapshot.zones,
                          tiny_snapshot.areas).set_index("Figure")
    assert "row 2 (ARC-2): choose one of the zones" in table.loc["Planner: Team rows left out",
                                                                 "Old zone"]
    assert table.loc["Planner: Annual cost", "Old zone"] == table.loc["Planner: Annual cost",
                                                                      "One team"]
    with pytest.raises(ValueError, match="Compare 2 to 4"):
        compare_saved([one_team], aggregate, FILTERS, tiny_snapshot.zones, tiny_snapshot.areas)


def test_a_view_is_a_link_and_filters(tmp_path, tiny_snapshot):
    view = SavedView(name="Beta behavioral", page="calls_map",
                     params={"from": "2025-02-01", "area": ["Beta"], "cat": ["Behavioral health"]})
    assert view.link == "/calls_map?from=2025-02-01&area=Beta&cat=Behavioral+health"
    first, last = tiny_snapshot.date_range
    filters = view_filters(view, first, last, tiny_snapshot.area_names)
    assert (filters.areas, filters.categories, filters.notes) == (("Beta",), ("behavioral_health",), ())
    save_model(views_dir(tmp_path), view)
    assert load_view(tmp_path, "Beta behavioral", tiny_snapshot).areas == ("Beta",)
    with pytest.raises(LookupError, match="views: Beta behavioral"):
        load_view(tmp_path, "nope", tiny_snapshot)
    save_model(views_dir(tmp_path), SavedView(name="Old", page="overview",
                                              params={"area": ["Nowhere"]}))
    with pytest.raises(PlanFileError, match="Nowhere"):
        load_view(tmp_path, "Old", tiny_snapshot)
