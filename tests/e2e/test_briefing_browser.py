"""The sidebar's monthly briefing in a real browser: the PDF is made on the click, for the
session's audience (public visitors get the public edition, signed-in staff the staff one)."""

from __future__ import annotations

from pathlib import Path

import pypdf

from tests.e2e.conftest import login_as_staff, open_app, screenshot, wait_for_app

LABEL = "Download the briefing"


def _briefing_text(page) -> tuple[str, str]:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Monthly briefing (PDF)").click()
    button = sidebar.get_by_role("button", name=LABEL)
    button.wait_for()
    wait_for_app(page)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    reader = pypdf.PdfReader(Path(download.path()))
    assert 1 <= len(reader.pages) <= 4
    return download.suggested_filename, " ".join(p.extract_text() for p in reader.pages)


def test_public_session_downloads_the_public_briefing(page, app_server):
    open_app(page, app_server)
    name, text = _briefing_text(page)
    screenshot(page, "briefing_sidebar_public")
    assert name == "briefing-2025-05-public.pdf"  # the tiny snapshot ends 12 June 2025
    assert "May 2025 briefing" in text and "public edition" in text
    assert "Repeat locations (staff only)" not in text


def test_staff_session_downloads_the_staff_briefing(page, app_server_staff):
    login_as_staff(page, app_server_staff)
    name, text = _briefing_text(page)
    screenshot(page, "briefing_sidebar_staff")
    assert name == "briefing-2025-05-staff.pdf"
    assert "staff edition" in text and "Repeat locations (staff only)" in text
