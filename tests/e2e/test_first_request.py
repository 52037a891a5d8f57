"""A fresh server's very first request: a shared page link opens that page, and a staff page URL
opened by the public is not found. (With a folder named ``pages/`` beside app.py, Streamlit ran
the first request in its old automatic multipage mode, bypassing app.py's navigation.)"""

from __future__ import annotations

import pytest

from response_atlas.appserver import run_app_server
from tests.e2e.conftest import open_app

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture
def fresh_server(e2e_data_dir, tmp_path):
    with run_app_server(e2e_data_dir, tmp_path / "streamlit.log") as server:
        yield server.base_url


def test_first_request_to_a_page_link_opens_that_page(page, fresh_server):
    open_app(page, fresh_server, "calls_map", "from=2025-01-01")
    assert page.get_by_role("heading", name="Calls map").count() == 1
    assert page.get_by_text("Page not found").count() == 0


def test_first_request_to_a_staff_page_is_not_found_for_the_public(page, fresh_server):
    page.goto(f"{fresh_server}/data")
    page.get_by_text("Page not found").wait_for()
    assert page.get_by_role("heading", name="Data and refresh").count() == 0
    assert page.get_by_role("link", name="Data and refresh").count() == 0
