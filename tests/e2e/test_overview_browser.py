"""The Overview in a real browser: its numbers, no exception, and the map assets served locally."""

from __future__ import annotations

import urllib.request

import pytest

from response_atlas.viz import assets
from tests.e2e.conftest import login_as_staff, open_app, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _metric_values(page) -> dict[str, str]:
    out = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def test_public_overview_numbers(page, app_server):
    open_app(page, app_server, query="from=2025-01-01")
    page.get_by_role("heading", name="Overview").wait_for()
    values = _metric_values(page)
    assert values.get("Calls in range") == "48", values
    assert values["Eligible for alternative response"] == "46%"
    assert values["Repeat locations"] == "fewer than 11"
    # public navigation has no staff pages
    assert page.get_by_role("link", name="Data and refresh").count() == 0
    screenshot(page, "overview-public")


def test_staff_sign_in_shows_exact_figures(page, app_server_staff):
    login_as_staff(page, app_server_staff)
    open_app(page, app_server_staff, query="from=2025-01-01")
    # the query string keeps the session: the staff figures show
    page.get_by_text("68%").wait_for()
    assert _metric_values(page)["Repeat locations"] == "6"
    screenshot(page, "overview-staff")


@pytest.mark.skipif(not assets.local_assets_available(), reason="run scripts/vendor_assets.sh")
def test_vendored_leaflet_is_served_as_javascript(app_server):
    with urllib.request.urlopen(f"{app_server}{assets.LEAFLET_JS}", timeout=10) as resp:
        assert resp.status == 200
        assert "javascript" in resp.headers["Content-Type"]
        assert b"Leaflet" in resp.read(2000)
