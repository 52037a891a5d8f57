"""Script in extracts never runs: the equity (public) and coverage (staff) pages on a snapshot whose
area names, incident codes and team ids carry HTML and JavaScript (see ``hostile_server``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import (
    HOSTILE,
    HOSTILE_TEAM,
    login_as_staff,
    open_app,
    screenshot,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

QUERY = "from=2025-01-01&to=2025-06-30"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
INJECTED = "img[src='x'], img[src='y'], img[src='z']"


def _watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def _hover_every_shape(page) -> list[str]:
    """Hover each interactive shape of every map on the page; return the tooltips' text."""
    texts = []
    for index in range(page.locator(MAP_FRAME).count()):
        frame = page.frame_locator(MAP_FRAME).nth(index)
        shapes = frame.locator("path.leaflet-interactive")
        shapes.first.wait_for()
        for n in range(shapes.count()):
            shapes.nth(n).hover(force=True)
            tip = frame.locator(".leaflet-tooltip")
            try:  # a loaded machine can take a moment to open the tooltip
                tip.last.wait_for(state="attached", timeout=2_000)
            except PlaywrightTimeout:
                continue
            texts.append(tip.last.inner_text())
    return texts


def _tooltips_showing(page, text: str, rounds: int = 3) -> list[str]:
    """Hover every shape until a tooltip shows ``text`` (at most ``rounds`` passes).

    A map that Streamlit redraws mid-pass (its first rerun on a loaded machine) drops the
    tooltips of that pass, so the pass is repeated once the app is idle again.
    """
    tips: list[str] = []
    for _ in range(rounds):
        wait_for_app(page)
        tips = _hover_every_shape(page)
        if any(text in t for t in tips):
            break
    return tips


def _assert_nothing_ran(page, dialogs: list[str]) -> None:
    assert dialogs == []
    for frame in page.frames:
        assert frame.locator(INJECTED).count() == 0, frame.url


def test_equity_page_shows_hostile_names_as_text(page, hostile_server):
    dialogs = _watch_dialogs(page)
    open_app(page, hostile_server, "equity", QUERY)
    tips = _tooltips_showing(page, HOSTILE["Alpha"])
    assert any(HOSTILE["Alpha"] in t for t in tips), tips
    _assert_nothing_ran(page, dialogs)
    screenshot(page, "xss-equity")


def test_coverage_page_shows_hostile_team_ids_as_text(page, hostile_server):
    dialogs = _watch_dialogs(page)
    login_as_staff(page, hostile_server, query=QUERY)
    page.get_by_role("link", name="Coverage and gaps").click()
    page.get_by_role("heading", name="Coverage and gaps").wait_for()
    tips = _tooltips_showing(page, HOSTILE_TEAM)
    assert any(HOSTILE_TEAM in t for t in tips), tips
    _assert_nothing_ran(page, dialogs)
    screenshot(page, "xss-coverage")
