"""A newcomer's first start: the README's run command on a fresh copy asks no other host for anything.

The repository's tracked (and untracked, not ignored) files are copied into a temporary folder,
so nothing git ignores comes along: no ``node_modules/``, no ``data/``, no ``.streamlit/secrets``.
Then the README's command runs there, ``streamlit run app.py``, with the copy's own ``src/`` on
the path (the README's ``pip install -r requirements.txt`` installs the checkout in editable mode;
here the packages are installed already) and no ``ATLAS_*`` setting: the first start finds the
data folder empty and builds the full demo county, exactly as for a user.

The browser visits every page, public and then staff (the test-only account of ``conftest.py``),
records every request of the page and of its frames (maps render in component iframes), and
answers (empty, never over the network) and reports each one that leaves the app's origin. Headless Chromium does not fetch
favicons, so the icon links in the document are checked too: Streamlit points the favicon of a
``:material/...:`` page icon at Google's font host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from response_atlas.appserver import free_port, stop_process, wait_healthy
from response_atlas.pages_registry import PAGES, PUBLIC
from response_atlas.viz import assets
from tests.e2e.conftest import (
    PROJECT_ROOT,
    RUN_TIMEOUT_MS,
    SCREENSHOTS,
    login_as_staff,
    staff_env,
    wait_for_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
# The first page load builds the demo county (generate + refresh) before anything is drawn.
FIRST_START_TIMEOUT_MS = 240_000
LOCAL_SCHEMES = ("data", "blob", "about", "chrome-error")
# Every URL the documents point at for loading (not <a href>, which is a link, not a request).
DOCUMENT_URLS_JS = """() => Array.from(document.querySelectorAll(
    'link[href], script[src], img[src], iframe[src], source[src], video[src], audio[src]'
)).map(el => el.href || el.src)"""


def copy_tracked_files(source: Path, target: Path) -> int:
    """Copy the files git tracks, plus untracked ones it does not ignore; return how many.

    The working tree's contents (not HEAD's), so the test checks the change under test.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    copied = 0
    for rel in filter(None, listed):
        src = source / rel
        if not src.is_file():  # deleted in the working tree but still in the index
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        copied += 1
    return copied


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files a clone has")
    clone = tmp_path_factory.mktemp("fresh-clone") / "response-atlas"
    assert copy_tracked_files(PROJECT_ROOT, clone) > 50
    assert not (clone / "node_modules").exists()
    assert not any((clone / "data").glob("*.csv")) and not (clone / "data" / "snapshots").exists()
    return clone


@pytest.fixture(scope="module")
def readme_server(fresh_clone) -> Iterator[str]:
    """``streamlit run app.py`` in the fresh copy (a free port instead of 8501; nothing else)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(fresh_clone / "src"), str(fresh_clone)])
    env.update(staff_env())
    port = free_port()
    log = fresh_clone / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=fresh_clone, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, proc, log)
        yield base_url
    finally:
        stop_process(proc)


class RequestLog:
    """Every URL the browser asked for; requests to other origins never leave, and are listed."""

    def __init__(self, base_url: str):
        self.origin = urlsplit(base_url).netloc
        self.seen: list[str] = []
        self.foreign: list[str] = []

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in LOCAL_SCHEMES or parts.netloc == self.origin

    def route(self, route) -> None:
        url = route.request.url
        self.seen.append(url)
        if self.is_local(url):
            route.continue_()
        else:
            # answered here, empty: the page goes on loading, so every foreign URL is listed
            self.foreign.append(url)
            route.fulfill(status=200, body="")

    def note_websocket(self, ws) -> None:
        self.seen.append(ws.url)
        if not self.is_local(ws.url):
            self.foreign.append(ws.url)

    def check_documents(self, page, label: str) -> None:
        """Icon, script, style and frame URLs in every document of the page (no fetch needed)."""
        for frame in page.frames:
            if frame.is_detached():
                continue
            for url in frame.evaluate(DOCUMENT_URLS_JS):
                if url and not self.is_local(url):
                    self.foreign.append(f"{url} (in the {label} page's document)")

    def foreign_hosts(self) -> list[str]:
        return sorted({urlsplit(u.split(" ")[0]).netloc or u for u in self.foreign})


def wait_for_maps(page, timeout_ms: float) -> int:
    """Wait until every map on the page has drawn its shapes; return how many maps."""
    count = page.locator(MAP_FRAME).count()
    for index in range(count):
        frame = page.frame_locator(MAP_FRAME).nth(index)
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached",
                                                                 timeout=timeout_ms)
    return count


def visit(page, log: RequestLog, title: str, maps_drawn: dict[str, int]) -> None:
    """Open the page ``title`` from the sidebar and record what it loads."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page, log, title, maps_drawn)


def settle(page, log: RequestLog, label: str, maps_drawn: dict[str, int]) -> None:
    """Wait for the run to finish and every map to draw, then check the documents.

    A map draws only after its iframe has loaded every script and style sheet it names, so
    drawn shapes mean that the page's requests have all been made (and recorded).
    """
    wait_for_app(page)
    try:  # once a foreign URL is known the maps may never draw: wait less
        maps_drawn[label] = wait_for_maps(page, 5_000 if log.foreign else RUN_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        if not log.foreign:
            raise
        # a map waiting for a CDN file that never came: the test fails on the list below
    log.check_documents(page, label)


def test_readme_command_on_a_fresh_clone_contacts_no_other_host(browser, fresh_clone,
                                                                 readme_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    log = RequestLog(readme_server)
    context.route("**/*", log.route)
    page = context.new_page()
    page.on("websocket", log.note_websocket)
    page.set_default_timeout(60_000)
    maps_drawn: dict[str, int] = {}
    try:
        page.goto(readme_server)
        wait_for_app(page, timeout_ms=FIRST_START_TIMEOUT_MS)  # first start builds the demo
        assert (fresh_clone / "data" / "snapshots").is_dir()
        settle(page, log, "first start", maps_drawn)
        # what a newcomer sees first (the README's screenshot is taken from this one)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "fresh-clone-overview.png"))
        for spec in PAGES:
            if spec.audience == PUBLIC:
                visit(page, log, spec.title, maps_drawn)
        visit(page, log, "Calls map", maps_drawn)
        layers = page.get_by_role("combobox", name="Map layers")
        layers.click()
        layers.fill("Heat")  # type to filter the options, Enter picks the match
        page.keyboard.press("Enter")
        page.get_by_text("nor used for the heat").wait_for()
        settle(page, log, "heat layer", maps_drawn)
        login_as_staff(page, readme_server)
        for spec in PAGES:
            visit(page, log, spec.title, maps_drawn)
        visit(page, log, "Coverage and gaps", maps_drawn)
        page.get_by_role("tab", name="What-if").click()
        page.get_by_text("Add a team on a zone drawn on the map").click()
        page.get_by_text("Draw the new zone with the polygon").wait_for()
        settle(page, log, "draw tool", maps_drawn)
    finally:
        context.close()
    print("hosts contacted besides the app:", log.foreign_hosts() or "none")
    assert not log.foreign, (
        f"requests left the app's origin ({', '.join(log.foreign_hosts())}):\n"
        + "\n".join(sorted(set(log.foreign))[:40])
    )
    assert len(log.seen) > 20  # the recorder saw the app's own traffic
    loaded = {urlsplit(url).path for url in log.seen}
    for asset in (assets.LEAFLET_JS, assets.HEAT_JS, assets.DRAW_JS):  # map, heat layer, draw tool
        assert asset in loaded, f"{asset} was never loaded"
    # every map page drew its shapes from the app's own copies of Leaflet
    for title in ("first start", "Overview", "Calls map", "Equity", "Coverage and gaps", "heat layer",
                  "draw tool"):
        assert maps_drawn.get(title, 0) >= 1, f"no map drawn on {title}: {maps_drawn}"
