"""The deployment of deploy/ through Debian's nginx: headers, uploads, CSP in Chromium, failover.

Own servers (two public app processes and one staff process on the tiny snapshot) behind its own
nginx, rendered from deploy/render.py on free loopback ports; nothing is shared with the other
browser tests but the Chromium binary. nginx is installed with apt when missing and we are root.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from response_atlas.appserver import free_port
from response_atlas.bench import proxy
from tests.e2e.conftest import (
    MAIN_TITLE,
    RUN_TIMEOUT_MS,
    STAFF_PASSWORD,
    STAFF_USER,
    staff_env,
    wait_for_app,
)
from tests.tiny_snapshot import build_tiny_snapshot

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
# Reports every CSP violation, in the page and in every frame, as a console message.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => console.error(
  'CSP violation: ' + e.effectiveDirective + ' blocked ' + e.blockedURI + ' in ' + e.documentURI));
"""
NGINX_PAGE = b"<center>nginx</center>"  # nginx's own error page, not the app's answer
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@pytest.fixture(scope="module")
def nginx() -> str:
    found = proxy.install_nginx()
    if not found:
        pytest.skip("nginx is not installed and we are not root to install it "
                    "(apt-get install nginx)")
    return found


@pytest.fixture(scope="module")
def deployment(nginx, tmp_path_factory):
    work = tmp_path_factory.mktemp("deploy")
    data_dir = work / "data"
    build_tiny_snapshot(data_dir)
    # the staff test account goes to every process: a public one must still offer no sign-in
    env = {**staff_env(), "ATLAS_AUTH_SECRET": "e2e-only-signing-secret-" + "k" * 24}
    with proxy.run_deployment(data_dir, work, nginx, public=2, staff=1, app_env=env) as running:
        yield running


@contextmanager
def browser_session(browser, url: str, reports: list[str] | None = None):
    """A fresh browser context (its own cookies) with one page opened at ``url``; CSP
    violations, console CSP errors and uncaught page errors go to ``reports`` when given."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        if reports is not None:
            context.add_init_script(REPORT_VIOLATIONS)
            context.on("console", lambda msg: reports.append(msg.text) if "Content Security Policy"
                       in msg.text or "CSP violation" in msg.text else None)
        page = context.new_page()
        page.set_default_timeout(RUN_TIMEOUT_MS)
        if reports is not None:
            page.on("pageerror", lambda exc: reports.append(f"page error: {exc}"))
        page.goto(url)
        wait_for_app(page)
        yield context, page
    finally:
        context.close()


def fetch(url: str, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)``; error statuses are answers here, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def assert_security_headers(headers: dict[str, str], map_frame: bool = False) -> None:
    render = proxy.load_render()
    for name in HEADERS:
        assert name in headers, f"{name} missing"
    csp = headers["Content-Security-Policy"]
    assert csp == render.content_security_policy("'self'", map_frame=map_frame)
    assert "frame-ancestors 'self'" in csp
    assert "'unsafe-eval'" not in csp
    if not map_frame:
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS
    assert "nginx/" not in headers.get("Server", "")  # server_tokens off


def test_headers_on_the_page_and_static_assets(deployment):
    status, headers, body = fetch(deployment.public_url + "/")
    assert status == 200
    assert_security_headers(headers)
    # sticky sessions: a new browser gets a route cookie, one that has it keeps it
    route = headers["Set-Cookie"].split(";", 1)[0]
    assert re.fullmatch(r"atlas_route=[0-9a-f]{32}", route)
    assert "HttpOnly" in headers["Set-Cookie"]
    assert "Set-Cookie" not in fetch(deployment.public_url + "/", headers={"Cookie": route})[1]
    scripts = re.findall(rb'src="(\./static/js/[^"]+\.js)"', body)
    assert scripts, "no script in Streamlit's index.html"
    asset = deployment.public_url + "/" + scripts[0].decode().lstrip("./")
    status, headers, _ = fetch(asset, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert_security_headers(headers)
    assert headers.get("Content-Encoding") == "gzip"
    # the app's vendored map assets (the map frame's own policy: in the browser test)
    status, headers, _ = fetch(deployment.public_url + "/app/static/vendor/leaflet/leaflet.js")
    assert status == 200
    assert_security_headers(headers)
    # errors carry the headers too ("always")
    status, headers, _ = fetch(deployment.public_url + "/_stcore/upload_file/a/b", method="PUT",
                               body=b"x")
    assert status == 403
    assert_security_headers(headers)


def test_public_site_takes_no_upload_and_staff_only_small_ones(deployment):
    small = b"rules: []\n"
    status, _, body = fetch(deployment.public_url + "/_stcore/upload_file/s/f", "PUT", small)
    assert (status, NGINX_PAGE in body) == (403, True)  # refused by the proxy itself
    # the staff site passes a small body on to Streamlit (which refuses it: no XSRF token, no
    # session) and stops a body over the uploaders' 1 MB (plus framing) itself
    status, _, body = fetch(deployment.staff_url + "/_stcore/upload_file/s/f", "PUT", small)
    assert (status, NGINX_PAGE in body) == (403, False)
    big = b"x" * (3 * 1024 * 1024)
    status, _, body = fetch(deployment.staff_url + "/_stcore/upload_file/s/f", "PUT", big)
    assert (status, NGINX_PAGE in body) == (413, True)
    # and the public page has no body-bearing route at all past a few kilobytes
    assert fetch(deployment.public_url + "/", "POST", b"x" * 100_000)[0] == 413


def test_map_page_draws_with_no_csp_violation(deployment, browser):
    reports: list[str] = []
    with browser_session(browser, f"{deployment.public_url}/calls_map", reports) as (context, page):
        frame = page.frame_locator(MAP_FRAME).first
        frame.locator("path.leaflet-interactive").first.wait_for()
        assert frame.locator("path.leaflet-interactive").count() == 3
        # the frame is served under the path that gets the map frame's policy
        src = page.locator(MAP_FRAME).first.get_attribute("src")
        assert src.startswith(deployment.public_url + proxy.load_render().MAP_FRAME_PATH)
        # with this browser's route cookie: the process that drew the map has the component
        # registered (another process knows it once one of its own pages used it)
        route = next(c["value"] for c in context.cookies() if c["name"] == "atlas_route")
        status, headers, _ = fetch(src, headers={"Cookie": f"atlas_route={route}"})
        assert status == 200
        assert_security_headers(headers, map_frame=True)
        page.goto(deployment.public_url)  # the overview: plotly charts
        wait_for_app(page)
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    assert reports == []


def test_staff_pages_and_sign_in_do_not_exist_in_the_public_process(deployment, browser):
    with browser_session(browser, f"{deployment.public_url}/repeats") as (_, page):
        assert page.locator(MAIN_TITLE).inner_text() != "Repeat addresses"
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_role("link", name="Data and refresh").count() == 0
        assert sidebar.get_by_text("Staff sign-in").count() == 0


def _submit_sign_in(page, user: str, password: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("User name").fill(user)
    sidebar.get_by_label("Password", exact=True).fill(password)
    sidebar.get_by_role("button", name="Sign in").click()
    wait_for_app(page)


def test_staff_sign_in_survives_reloads_and_links_until_sign_out(deployment, browser):
    with browser_session(browser, deployment.staff_url) as (context, page):
        page.locator('[data-testid="stSidebar"]').get_by_text("Staff sign-in").click()
        _submit_sign_in(page, STAFF_USER, STAFF_PASSWORD)
        page.get_by_role("link", name="Repeat addresses").click()
        wait_for_app(page)
        # the run the click starts may not have begun when wait_for_app looks: wait on the title
        page.locator(MAIN_TITLE, has_text="Repeat addresses").wait_for()
        assert page.locator(MAIN_TITLE).inner_text() == "Repeat addresses"
        # the cookie frame has written the signed cookie
        page.wait_for_function("() => document.cookie.includes('atlas_staff=')")
        cookie = next(c for c in context.cookies() if c["name"] == "atlas_staff")
        assert cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        page.reload()  # a new Streamlit session
        wait_for_app(page)
        # the run the click starts may not have begun when wait_for_app looks: wait on the title
        page.locator(MAIN_TITLE, has_text="Repeat addresses").wait_for()
        assert page.locator(MAIN_TITLE).inner_text() == "Repeat addresses"
        link = context.new_page()  # a link opened in a new tab
        link.set_default_timeout(RUN_TIMEOUT_MS)
        link.goto(deployment.staff_url + "/data")
        wait_for_app(link)
        assert link.locator(MAIN_TITLE).inner_text() == "Data and refresh"
        link.close()
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
        wait_for_app(page)
        page.wait_for_function("() => !document.cookie.includes('atlas_staff=')")
        page.goto(deployment.staff_url + "/data")
        wait_for_app(page)
        assert page.locator(MAIN_TITLE).inner_text() != "Data and refresh"
        assert page.get_by_role("link", name="Data and refresh").count() == 0


def test_failed_tries_are_counted_across_sessions(deployment, browser):
    # a made-up user name, so the test account stays usable for the other tests
    locked = "Too many failed sign-ins for this user name"
    for tries in (5, 0):  # the second browser session sees the first one's failures
        with browser_session(browser, deployment.staff_url) as (_, page):
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.get_by_text("Staff sign-in").click()
            for _ in range(tries + 1):
                _submit_sign_in(page, "not-a-user", "wrong password")
            # the last try's rerun may start after wait_for_app looked: wait for its message
            sidebar.get_by_text(locked).wait_for()
            assert sidebar.get_by_text(locked).count() == 1


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_tls_settings_send_hsts_and_redirect_plain_http(deployment, nginx, tmp_path):
    if not Path("/usr/bin/openssl").exists():
        pytest.skip("openssl is not installed (apt-get install openssl)")
    cert, key = _self_signed(tmp_path)
    tls_port, http_port = free_port(), free_port()
    upstream = deployment.public[0].base_url.rsplit(":", 1)[1]
    settings = {"ATLAS_TLS_CERT": str(cert), "ATLAS_TLS_KEY": str(key),
                "ATLAS_PUBLIC_LISTEN": f"127.0.0.1:{tls_port}", "ATLAS_PUBLIC_PORTS": upstream,
                "ATLAS_STAFF_PORTS": ""}
    render = proxy.load_render()
    conf = render.render_standalone(render.read_settings(None, settings), tmp_path)
    assert conf.count("listen 80;") == 1  # the redirect server; production listens on 80
    (tmp_path / "nginx.conf").write_text(conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};"))
    proc = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        context = ssl._create_unverified_context()  # a self-signed test certificate
        status, headers = _get(lambda: http.client.HTTPSConnection(
            "127.0.0.1", tls_port, context=context, timeout=5), "/_stcore/health", proc)
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert_security_headers({k: v for k, v in headers.items()
                                 if k != "Strict-Transport-Security"})
        status, headers = _get(lambda: http.client.HTTPConnection(
            "127.0.0.1", http_port, timeout=5), "/calls_map?x=1", proc)
        assert status == 301
        assert headers["Location"] == "https://127.0.0.1/calls_map?x=1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(connect, path: str, proc) -> tuple[int, dict[str, str]]:
    """GET ``path`` without following redirects, retried until nginx listens (bounded)."""
    last: Exception | None = None
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("nginx exited")
        try:
            conn = connect()
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders())
        except OSError as exc:  # not listening yet
            last = exc
            time.sleep(0.1)  # poll interval, not a wait for a result
    raise RuntimeError(f"nginx not answering: {last}")


def test_killing_the_serving_process_keeps_new_sessions_working(deployment, browser):
    """Last in this file: it kills one public process."""
    with browser_session(browser, deployment.public_url) as (context, _):
        # a websocket is logged when it closes: the page's short requests show its process
        serving = _last_public_upstream(deployment)
        victim = next(s for s in deployment.public if s.base_url.endswith(serving))
        os.kill(victim.process.pid, signal.SIGKILL)
        victim.process.wait(timeout=10)
        for _ in range(2):  # new sessions of the same browser: its route cookie names the dead one
            fresh = context.new_page()
            fresh.set_default_timeout(RUN_TIMEOUT_MS)
            fresh.goto(deployment.public_url + "/calls_map")
            wait_for_app(fresh)
            assert fresh.locator(MAIN_TITLE).inner_text() == "Calls map"
            assert _last_public_upstream(deployment) != serving
            fresh.close()


def _last_public_upstream(deployment) -> str:
    ports = {s.base_url.rsplit("/", 1)[1] for s in deployment.public}
    return [u for u in deployment.upstreams("/_stcore/host-config") if u in ports][-1]
