"""Shared fixtures: the tiny snapshot, and an AppTest runner that goes through app.py."""

from __future__ import annotations

import shutil
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


def build_real_data_dir(data: Path) -> Path:
    """Fill ``data`` with the real police subset, the Fire/EMS sample, the CAGIS neighborhoods and
    their facts (copies in a temp folder, never in the project), and refresh it."""
    from response_atlas.ingest.refresh import run_refresh

    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present")
    real = SHARED_DATA / "real"
    copies = {
        real / "calls" / "cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv": "calls.csv",
        real / "calls" / "cincinnati_cfd_ems_incidents_vnsz-a3wp_60d_sample.csv": "calls_ems.csv",
        real / "boundaries" / "cincinnati_sna_neighborhoods_cagis2022.geojson": "areas.geojson",
        SHARED_DATA / "derived" / "cincinnati_sna_neighborhood_facts.csv": "area_facts.csv",
    }
    for source, name in copies.items():
        shutil.copy(source, data / name)
    result = run_refresh(data, progress=False)
    assert result.ok, result.errors
    return data
