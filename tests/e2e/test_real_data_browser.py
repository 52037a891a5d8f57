"""One browser run over every page on the real Cincinnati extracts, with screenshots.

A second Streamlit server (the shared one serves the tiny snapshot) runs on a data folder built
from the real police subset, the Fire/EMS file, the CAGIS neighborhoods and their census facts.
Screenshots land in ``test-results/screenshots/real-<page>.png``.
"""

from __future__ import annotations

import pytest

from response_atlas.appserver import run_app_server
from response_atlas.pages_registry import PAGES
from tests.conftest import build_real_data_dir
from tests.e2e.conftest import (
    login_as_staff,
    screenshot,
    staff_env,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    data = build_real_data_dir(tmp_path_factory.mktemp("real-e2e-data"))
    log = tmp_path_factory.mktemp("real-e2e-server") / "streamlit.log"
    with run_app_server(data, log, staff_env()) as server:
        yield server.base_url


def test_every_page_on_real_data_in_a_browser(page, real_server):
    login_as_staff(page, real_server, query="from=2026-04-15&to=2026-07-23")
    shots = []
    for spec in PAGES:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=spec.title, exact=True).click()
        page.get_by_role("heading", name=spec.title).first.wait_for()
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0, spec.title
        shots.append(screenshot(page, "real-" + spec.path.rsplit("/", 1)[-1].removesuffix(".py")))
    assert all(p.stat().st_size > 10_000 for p in shots)  # a rendered page, not a blank frame
