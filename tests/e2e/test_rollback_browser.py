"""Data and refresh (staff) in a real browser: the rollback switch moves CURRENT (issue 21, 12)."""

from __future__ import annotations

import json
import shutil

import pytest

from response_atlas.appserver import run_app_server
from response_atlas.snapshot import current_version
from tests.e2e.conftest import login_as_staff, screenshot, staff_env, wait_for_app
from tests.tiny_snapshot import build_tiny_snapshot

NEWER = "29991231T000000000000Z"


@pytest.fixture(scope="module")
def two_snapshot_server(tmp_path_factory):
    """A server on a data folder with two kept snapshots, the newer one (a copy) in use."""
    data = tmp_path_factory.mktemp("rollback-data")
    build_tiny_snapshot(data)
    snapshots = data / "snapshots"
    old = current_version(snapshots)
    shutil.copytree(snapshots / old, snapshots / NEWER)
    manifest = json.loads((snapshots / NEWER / "manifest.json").read_text())
    (snapshots / NEWER / "manifest.json").write_text(json.dumps({**manifest, "version": NEWER}))
    (snapshots / "CURRENT").write_text(NEWER + "\n")
    with run_app_server(data, data / "streamlit.log", staff_env()) as server:
        yield server.base_url, snapshots, old


def test_switch_button_rolls_back(page, two_snapshot_server):
    base_url, snapshots, old = two_snapshot_server
    login_as_staff(page, base_url)
    page.get_by_role("link", name="Data and refresh").click()
    wait_for_app(page)
    page.get_by_role("button", name="Switch to this snapshot").click()
    page.get_by_text(f"Now using snapshot {old} (was {NEWER}).").wait_for()
    wait_for_app(page)
    assert current_version(snapshots) == old
    screenshot(page, "data-page-rollback")
