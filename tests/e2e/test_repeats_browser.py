"""Repeat addresses in a real browser: staff only, ranked list, drill-down from the table and the
location picker, and no domestic-violence block anywhere on the page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login_as_staff, open_app, screenshot, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

GRID = '[data-testid="stDataFrame"]'
ROW_PX = 35  # Streamlit's default data-grid row height (the header row is as tall)


def _open_repeats(page, base_url: str) -> None:
    login_as_staff(page, base_url)
    page.get_by_role("link", name="Repeat addresses").click()
    page.get_by_role("heading", name="Repeat addresses").wait_for()
    wait_for_app(page)


def _drill_caption(page) -> str:
    return page.locator('[data-testid="stMarkdownContainer"]', has_text="calls in the period")\
        .first.inner_text()


def test_public_session_has_no_repeats_page(page, app_server):
    open_app(page, app_server)
    assert page.get_by_role("link", name="Repeat addresses").count() == 0
    open_app(page, app_server, path="repeats")
    assert page.get_by_text("12XX MAIN ST").count() == 0


def test_drill_down_from_table_and_picker(page, app_server_staff):
    _open_repeats(page, app_server_staff)
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.get_by_text("Repeat locations", exact=True))
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "6"
    # The busiest block is drilled into first.
    assert "12XX MAIN ST: 12 calls in the period; 2 team contacts" in _drill_caption(page)

    # Click the second data row of the ranked table (row-selection column on the left edge).
    grid = page.locator(GRID).first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + ROW_PX * 2 + ROW_PX / 2)
    page.get_by_text("3XX VINE ST: 10 calls in the period; 1 team contact").wait_for()
    wait_for_app(page)

    # The picker below the table drills into any location as well.
    picker = page.get_by_role("combobox", name="Location")
    picker.click()
    picker.fill("9XX RACE")  # type to filter the options, Enter picks the match
    page.keyboard.press("Enter")
    page.get_by_text("9XX RACE ST: 6 calls in the period; 0 team contacts").wait_for()
    wait_for_app(page)
    assert page.locator(".js-plotly-plot", has_text="Calls at 9XX RACE ST over time").count() == 1

    # Domestic violence calls never appear at block level (the tiny snapshot's 45XX ELM ST).
    assert "45XX ELM ST" not in page.locator("body").inner_text()
    screenshot(page, "repeats-staff-drilldown")
