"""Script in extracts never runs: the equity (public) and coverage (staff) pages on a snapshot whose
area names, incident codes and team ids carry HTML and JavaScript (see ``hostile_server``)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    HOSTILE,
    HOSTILE_TEAM,
    MAP_FRAME,
    login_as_staff,
    map_frame,
    open_app,
    screenshot,
    tooltip_text,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

QUERY = "from=2025-01-01&to=2025-06-30"
INJECTED = "img[src='x'], img[src='y'], img[src='z']"


def _watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def _hover_every_shape(page) -> list[str]:
    """Open the tooltip of each interactive shape of every map on the page; return their text."""
    texts = []
    for index in range(page.locator(MAP_FRAME).count()):
        frame = map_frame(page, index)
        shapes = frame.locator("path.leaflet-interactive")
        for n in range(shapes.count()):
            text = tooltip_text(frame, shapes.nth(n))
            if text is not None:  # a shape may carry no tooltip
                texts.append(text)
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
