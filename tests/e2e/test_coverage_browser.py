"""Coverage page in a real browser: staff only; a what-if (extend hours) changes the covered figure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_as_staff, open_app, screenshot, wait_for_app

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _open_what_if(page, choice: str) -> None:
    """Open the What-if tab, then one of its scenarios, each once the app has finished the run
    the previous click started (a click during a run can land on an element being replaced)."""
    page.get_by_role("tab", name="What-if").click()
    option = page.get_by_text(choice)
    option.wait_for()
    wait_for_app(page)
    option.scroll_into_view_if_needed()
    option.click()
    wait_for_app(page)


def test_public_session_has_no_coverage_page(page, app_server):
    open_app(page, app_server)
    assert page.get_by_role("link", name="Coverage and gaps").count() == 0


def test_extend_hours_what_if_changes_covered(page, app_server_staff):
    login_as_staff(page, app_server_staff)
    page.get_by_role("link", name="Coverage and gaps").click()
    page.get_by_role("heading", name="Coverage and gaps").wait_for()
    wait_for_app(page)
    # Tiny snapshot: 26 eligible calls, 15 covered by ARC-1 (Mon-Fri 07:00-15:00).
    assert _metric_value(page, "Eligible calls") == "26"
    assert _metric_value(page, "Covered by a team on duty") == "15"
    screenshot(page, "coverage-staff-overview")

    _open_what_if(page, "Extend a team's hours")
    assert _metric_value(page, "Covered with the change") == "15"
    field = page.get_by_label("End later by (minutes)")
    field.fill("60")
    field.press("Enter")
    # A07 (Monday 15:15) becomes covered when ARC-1 works until 16:00.
    page.locator('[data-testid="stMetric"]', has_text="Covered with the change").get_by_text(
        "16", exact=True
    ).wait_for()
    wait_for_app(page)
    assert _metric_value(page, "Extra team-hours per week") == "+5.0"
    page.get_by_role("button", name="Save scenario").click()
    page.get_by_role("heading", name="Saved scenarios, side by side").wait_for()
    wait_for_app(page)
    screenshot(page, "coverage-what-if-extend")


def test_drawn_zone_what_if(page, app_server_staff):
    login_as_staff(page, app_server_staff)
    page.get_by_role("link", name="Coverage and gaps").click()
    page.get_by_role("heading", name="Coverage and gaps").wait_for()
    wait_for_app(page)
    _open_what_if(page, "Add a team on a zone drawn on the map")
    schedule = page.get_by_role("textbox", name="Schedule")
    schedule.fill("Sat-Sun 00:00-24:00")
    schedule.press("Enter")
    wait_for_app(page)
    page.get_by_text("Draw a zone on the map first").wait_for()
    # Draw a rectangle over most of the map (it holds Alpha's and Beta's centers).
    wait_for_app(page)
    iframe = page.locator('iframe[title*="streamlit_folium"]').last
    iframe.scroll_into_view_if_needed()
    page.frame_locator('iframe[title*="streamlit_folium"]').last.locator(
        ".leaflet-draw-draw-rectangle"
    ).click()
    # the drag is in page coordinates, from 10% to 90% of the map: it must be on screen
    expect(iframe).to_be_in_viewport(ratio=0.95)
    box = iframe.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.1
    x1, y1 = box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.9
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    # Weekend cover of Alpha and Beta: A05 (Sat), A09 (Sun) and Beta's 4 weekend calls.
    page.locator('[data-testid="stMetric"]', has_text="Covered with the change").get_by_text(
        "21", exact=True
    ).wait_for()
    wait_for_app(page)
    assert _metric_value(page, "Extra team-hours per week") == "+48.0"
    screenshot(page, "coverage-what-if-drawn-zone")
