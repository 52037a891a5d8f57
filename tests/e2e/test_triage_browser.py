"""Triage rules and planner in a real browser: editing a rule in the table updates the counts."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login_as_staff, open_app, screenshot, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
ROW_PX = 35  # Streamlit's default data grid row height (header row included)


def _metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _open(page, base_url: str, title: str) -> None:
    login_as_staff(page, base_url)
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()
    wait_for_app(page)


def _edit_trespassing_pattern(page, pattern: str) -> None:
    """Type ``pattern`` into the pattern cell of the trespassing rule (row 4 of the rules grid)."""
    wait_for_app(page)
    grid = page.locator(".st-key-tri_rules_0 [data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # x + 70: the "order" cell (the first ~35 px hold the row-selection checkboxes).
    page.mouse.click(box["x"] + 70, box["y"] + ROW_PX * 4 + ROW_PX / 2)
    page.keyboard.press("ArrowRight")  # id
    page.keyboard.press("ArrowRight")  # pattern
    page.keyboard.press("Enter")  # opens the grid's cell editor (an overlay textarea)
    editor = page.locator("textarea.gdg-input")
    editor.wait_for()
    editor.fill(pattern)
    editor.press("Enter")
    editor.wait_for(state="detached")  # the grid took the value; the app reruns on it


def test_public_session_has_no_triage_or_planner(page, app_server):
    open_app(page, app_server)
    assert page.get_by_role("link", name="Triage rules").count() == 0
    assert page.get_by_role("link", name="Pilot planner").count() == 0


def test_editing_a_rule_pattern_updates_the_counts(page, app_server_staff):
    _open(page, app_server_staff, "Triage rules")
    assert _metric_value(page, "No rule matches") == "9"
    assert _metric_value(page, "Calls changing tier") == "0"
    screenshot(page, "triage-rules")

    # Trespassing no longer matches: its 10 calls become unclassified, police only.
    changed = page.locator('[data-testid="stMetric"]', has_text="Calls changing tier").get_by_text(
        "10", exact=True)
    for _ in range(3):  # a click on a loaded machine can land before the grid is ready
        _edit_trespassing_pattern(page, "ZZZ NO SUCH CODE")
        wait_for_app(page)
        if changed.count():
            break
    changed.wait_for()  # the last edit's run may still be on its way
    wait_for_app(page)
    assert _metric_value(page, "Calls changing call type") == "10"
    assert _metric_value(page, "Eligible for alternative response") == "12"
    assert _metric_value(page, "Calls no rule matches") == "19"
    page.get_by_role("heading", name="Calls moving between tiers").scroll_into_view_if_needed()
    screenshot(page, "triage-rule-edited")


def test_planner_page_renders(page, app_server_staff):
    _open(page, app_server_staff, "Pilot planner")
    assert _metric_value(page, "Annual cost") == "$3,201,536"
    page.get_by_role("button", name="Save this plan").click()
    page.get_by_role("button", name="Remove all saved plans").wait_for()
    wait_for_app(page)
    page.get_by_text("Annual cost against the pilot budget").scroll_into_view_if_needed()
    screenshot(page, "planner")
