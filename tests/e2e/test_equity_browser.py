"""The public equity page in a real browser: numbers, maps, and an axe-core accessibility check."""

from __future__ import annotations

import pytest

from tests.e2e.axe import axe_available, blocking_violations, describe, run_axe_all_frames
from tests.e2e.conftest import MAP_FRAME, open_app, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _open_equity(page, base_url):
    open_app(page, base_url, "equity", query="from=2025-01-01")
    page.get_by_role("heading", name="Equity: rates per resident").wait_for()
    # both maps have drawn their areas inside the component iframes
    frames = page.locator(MAP_FRAME)
    frames.nth(1).wait_for()
    assert frames.count() == 2
    for i in range(2):
        page.frame_locator(MAP_FRAME).nth(i).locator("path.leaflet-interactive").first.wait_for()


def test_equity_page_headline_and_maps(page, app_server):
    _open_equity(page, app_server)
    page.get_by_text("there were 0.7 calls to 911 per 1,000 residents for every 1").wait_for()
    screenshot(page, "equity-public")
    page.get_by_role("heading", name="Is the gap changing?").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "equity-public-charts")))
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "equity-public-maps")))


@pytest.mark.skipif(not axe_available(), reason="run npm install (axe-core dev dependency)")
def test_equity_page_has_no_serious_accessibility_violations(page, app_server):
    _open_equity(page, app_server)
    results = run_axe_all_frames(page)
    assert len(results) >= 3  # the app and the two map frames were checked
    problems = blocking_violations(results)
    assert not problems, describe(problems)
