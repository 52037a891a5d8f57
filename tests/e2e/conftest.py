"""Real-browser harness: one Streamlit server on the tiny snapshot, Debian's chromium via Playwright.

Every test under ``tests/e2e`` is marked ``e2e`` and ``xdist_group("browser")`` (added here too, in
case a module forgets), so under ``pytest -n 2 --dist loadgroup`` they share one worker and one
server. Waiting is on Streamlit's own signals: ``/_stcore/health`` for the server and the app root's
``data-test-script-state="notRunning"`` for a finished script run; never fixed sleeps.

Staff pages: the server runs with a test-only staff account configured through
``ATLAS_TEST_STAFF_USER`` / ``ATLAS_TEST_STAFF_PASSWORD_HASH`` (a bcrypt hash, like the
``[atlas.passwords]`` secret); :func:`login_as_staff` signs in through the real sidebar form.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from response_atlas.appserver import run_app_server
from tests.tiny_snapshot import build_tiny_snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-results" / "screenshots"
CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
RUN_TIMEOUT_MS = 60_000

STAFF_USER = "e2e-staff"
STAFF_PASSWORD = "e2e-only-password-7Q"  # test-only; the server gets its bcrypt hash, not this
APP_ROOT = '[data-testid="stApp"]'
RUN_DONE = f'{APP_ROOT}[data-test-script-state="notRunning"]'
MAIN_TITLE = '[data-testid="stMain"] h1'
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark browser tests (before xdist's loadgroup hook reads the group marker)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("browser"))


def _staff_hash() -> str:
    import bcrypt

    # low cost: a test account, hashed once per session
    return bcrypt.hashpw(STAFF_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture(scope="session")
def e2e_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    build_tiny_snapshot(data_dir)
    return data_dir


def staff_env() -> dict[str, str]:
    """Environment that enables the test-only staff account on a server."""
    return {"ATLAS_TEST_STAFF_USER": STAFF_USER, "ATLAS_TEST_STAFF_PASSWORD_HASH": _staff_hash()}


@pytest.fixture(scope="session")
def app_server(e2e_data_dir, tmp_path_factory):
    """Base URL of ``streamlit run app.py`` on a free port, with the tiny snapshot and staff login."""
    log = tmp_path_factory.mktemp("e2e-server") / "streamlit.log"
    with run_app_server(e2e_data_dir, log, staff_env()) as server:
        yield server.base_url


# Script in every kind of string an extract can carry: area names, incident codes, team ids.
# Script for the browser, a template literal for Leaflet, a jinja expression for the server.
HOSTILE = {"Alpha": "<img src=x onerror=alert(1)>", "Beta": "${alert(1)}", "Gamma": "{{ 7*7 }}"}
HOSTILE_TEAM = "`${alert(3)}`<img src=z onerror=alert(3)>"


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory):
    """A second app server on the tiny snapshot with script in area names, codes and team ids."""
    from response_atlas.ingest.snapshot_writer import write_snapshot
    from tests import tiny_snapshot as tiny

    data_dir = tmp_path_factory.mktemp("hostile-data")
    areas = tiny.area_frame()
    areas["area"] = areas["area"].replace(HOSTILE)
    calls = tiny.calls_frame()
    calls["area"] = calls["area"].replace(HOSTILE)
    calls.loc[calls["incident_code"] == "THEFTR", "incident_code"] = "<img src=y onerror=alert(2)>"
    zones = tiny.zones_frame()
    zones.loc[zones["team_id"] == "ARC-1", "team_id"] = HOSTILE_TEAM
    contacts = tiny.contacts_frame()
    contacts.loc[contacts["team_id"] == "ARC-1", "team_id"] = HOSTILE_TEAM
    write_snapshot(data_dir / "snapshots", {"calls": calls, "areas": areas, "zones": zones,
                                            "contacts": contacts},
                   {"data_as_of": "2025-06-12"}, rules_text=tiny.RULES_YAML)
    with run_app_server(data_dir, data_dir / "streamlit.log", staff_env()) as server:
        yield server.base_url


# One server serves both roles; the alias documents intent in staff tests.
@pytest.fixture(scope="session")
def app_server_staff(app_server):
    return app_server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(RUN_TIMEOUT_MS)
    yield pg
    context.close()


def wait_for_app(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until Streamlit reports a finished run, then fail on any exception box.

    Every page starts with a title (``page_header``): waiting for it and then for the run state
    again skips the short ``notRunning`` moment before the first script run has drawn anything.
    """
    page.wait_for_selector(RUN_DONE, state="attached", timeout=timeout_ms)
    page.wait_for_selector(MAIN_TITLE, timeout=timeout_ms)
    page.wait_for_selector(RUN_DONE, state="attached", timeout=timeout_ms)
    # elements left over from the previous run are marked stale until the run replaces them
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stElementContainer\"][data-stale=\"true\"]')",
        timeout=timeout_ms,
    )
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise AssertionError(f"Streamlit exception on page: {errors.first.inner_text()[:2000]}")


def open_app(page, base_url: str, path: str = "", query: str = "") -> None:
    """Navigate to ``base_url/path?query`` and wait for the script run to finish."""
    url = f"{base_url}/{path.lstrip('/')}"
    if query:
        url += "?" + query.lstrip("?")
    page.goto(url)
    wait_for_app(page)


def map_frame(page, index: int = 0):
    """The ``index``-th map's frame, scrolled into view, once Leaflet has drawn its shapes."""
    page.locator(MAP_FRAME).nth(index).scroll_into_view_if_needed()
    frame = page.frame_locator(MAP_FRAME).nth(index)
    frame.locator("path.leaflet-interactive").first.wait_for()
    return frame


def tooltip_text(frame, shape) -> str | None:
    """The text of the tooltip a pointer entering ``shape`` opens (None: the shape has none).

    The mouseover is dispatched on the path itself, as Leaflet receives it from a pointer:
    Leaflet opens (and writes) the tooltip inside that event, so its presence is known as soon
    as the dispatch returns, with no wait. A real pointer hover needs the path's centre inside
    the viewport and uncovered, which a page still laying out under load broke ("Element is
    outside of the viewport"); legends and neighbouring shapes can cover it too.
    """
    shape.dispatch_event("mouseover")
    tips = frame.locator(".leaflet-tooltip")
    text = tips.last.inner_text() if tips.count() else None
    shape.dispatch_event("mouseout")
    return text


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to test-results/screenshots/<name>.png; return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def login_as_staff(page, base_url: str, path: str = "", query: str = "") -> None:
    """Open ``path?query`` and sign in through the sidebar staff form (test-only account).

    The sign-in lives in the browser's Streamlit session: navigate inside the app afterwards
    (sidebar links, widgets); ``page.goto`` would open a new, public session.
    """
    open_app(page, base_url, path, query)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Staff sign-in").click()
    sidebar.get_by_label("User name").fill(STAFF_USER)
    sidebar.get_by_label("Password", exact=True).fill(STAFF_PASSWORD)
    sidebar.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Data and refresh").wait_for()
    wait_for_app(page)
