"""The Overview in a real browser: its numbers, no exception, and the map assets served locally."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect

from response_atlas.viz import assets
from tests.e2e.conftest import MAP_FRAME, login_as_staff, open_app, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _metric(page, label: str):
    """The value element of the metric labelled ``label`` (auto-waiting locator)."""
    return (page.locator('[data-testid="stMetric"]').filter(has_text=label)
            .locator('[data-testid="stMetricValue"]'))


def test_public_overview_numbers(page, app_server):
    open_app(page, app_server, query="from=2025-01-01")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # published counts (48 -> 45, 22 -> 20, 15 -> 15) and shares of them
    expect(_metric(page, "Calls in range")).to_have_text("45")
    expect(_metric(page, "Eligible for a crisis team")).to_have_text("44%")
    expect(_metric(page, "Repeat locations")).to_have_text("fewer than 11")
    expect(_metric(page, "Eligible, team on duty")).to_have_text("75%")
    # the area map draws the three area polygons (Alpha, Beta, Gamma), with its legend
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator("path.leaflet-interactive")).to_have_count(3)
    expect(frame.locator(".atlas-legend")).to_have_count(1)
    expect(page.get_by_text("Busiest areas")).to_be_visible()
    # public navigation has no staff pages
    assert page.get_by_role("link", name="Data and refresh").count() == 0
    screenshot(page, "overview-public")


def test_staff_sign_in_shows_exact_figures(page, app_server_staff):
    login_as_staff(page, app_server_staff, query="from=2025-01-01")
    expect(_metric(page, "Eligible, team on duty")).to_have_text("68%")
    expect(_metric(page, "Repeat locations")).to_have_text("6")
    screenshot(page, "overview-staff")


@pytest.mark.skipif(not assets.local_assets_available(), reason="run scripts/vendor_assets.sh")
def test_vendored_leaflet_is_served_as_javascript(app_server):
    with urllib.request.urlopen(f"{app_server}{assets.LEAFLET_JS}", timeout=10) as resp:
        assert resp.status == 200
        assert "javascript" in resp.headers["Content-Type"]
        assert b"Leaflet" in resp.read(2000)


def test_wrong_password_keeps_the_session_public(page, app_server):
    open_app(page, app_server)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Staff sign-in").click()
    sidebar.get_by_label("User name").fill("e2e-staff")
    sidebar.get_by_label("Password", exact=True).fill("not the password")
    sidebar.get_by_role("button", name="Sign in").click()
    sidebar.get_by_text("User name or password not recognized.").wait_for()
    assert page.get_by_role("link", name="Data and refresh").count() == 0


def test_presentation_mode_hides_controls(page, app_server):
    open_app(page, app_server, query="from=2025-01-01&present=true")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # filters are hidden but stated in words under the title; the toggle stays to switch back
    expect(page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"]').first).to_be_hidden()
    expect(page.get_by_text("all areas; all call types").first).to_be_visible()
    expect(page.locator(".st-key-present")).to_be_visible()
    screenshot(page, "overview-presentation")
