"""Shared fixtures: the tiny snapshot, and an AppTest runner that goes through app.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_snapshot import build_tiny_snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A data folder holding the tiny snapshot (built once per test session)."""
    data_dir = tmp_path_factory.mktemp("tiny-data")
    build_tiny_snapshot(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def tiny_snapshot(tiny_data_dir):
    from response_atlas.snapshot import current_snapshot_dir, open_snapshot

    return open_snapshot(current_snapshot_dir(tiny_data_dir / "snapshots"))


@pytest.fixture
def shared_data() -> Path:
    """The real public data beside the project (skips when absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA
