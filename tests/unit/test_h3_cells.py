"""Coarse H3 cells taken from the fine cell's parent are exactly the cells H3 gives each point."""

from __future__ import annotations

import h3
import numpy as np
import pyarrow as pa
import pytest

from response_atlas.config import H3_COARSE, H3_FINE
from response_atlas.ingest import h3_cells
from response_atlas.ingest.h3_cells import fine_and_coarse_cells


def _points(n: int, seed: int = 2):
    rng = np.random.default_rng(seed)
    return rng.uniform(39.0, 39.33, n), rng.uniform(-84.85, -84.22, n)


def test_both_resolutions_match_h3_point_by_point():
    lat, lon = _points(20_000)
    fine, coarse = fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE)
    fine, coarse = fine.cast("string").to_pylist(), coarse.cast("string").to_pylist()
    expected_fine = [h3.latlng_to_cell(y, x, H3_FINE) for y, x in zip(lat, lon, strict=True)]
    expected_coarse = [h3.latlng_to_cell(y, x, H3_COARSE) for y, x in zip(lat, lon, strict=True)]
    assert fine == expected_fine
    assert coarse == expected_coarse
    # The shortcut matters: some points sit in a coarse cell other than their fine cell's parent.
    parents = [h3.cell_to_parent(c, H3_COARSE) for c in expected_fine]
    assert sum(p != c for p, c in zip(parents, expected_coarse, strict=True)) > 100


def test_large_inputs_split_across_threads_keep_point_order(monkeypatch):
    monkeypatch.setattr(h3_cells, "_SPLIT_ROWS", 10)
    lat, lon = _points(1_001, seed=9)
    fine, _ = fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE)
    assert fine.cast("string").to_pylist() == [h3.latlng_to_cell(y, x, H3_FINE)
                                               for y, x in zip(lat, lon, strict=True)]


@pytest.mark.parametrize("resolution", [H3_FINE, H3_COARSE])
def test_fallback_without_h3ronpy_gives_the_same_cells(monkeypatch, resolution):
    lat, lon = _points(300, seed=4)
    vectorized = fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE)
    monkeypatch.setattr(h3_cells, "h3_vector", None)
    looped = fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE)
    index = 0 if resolution == H3_FINE else 1
    assert looped[index].cast("string").to_pylist() == vectorized[index].cast("string").to_pylist()


def test_a_parent_check_kept_across_chunks_gives_the_same_cells():
    """The chunks of a refresh share one ParentCheck: cells met again are answered from memory,
    with the same result as checking every cell afresh."""
    from response_atlas.ingest.h3_cells import ParentCheck

    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(39.05, 39.25, 6_000), rng.uniform(-84.7, -84.35, 6_000)
    check = ParentCheck()
    for part in (slice(0, 2_000), slice(1_000, 4_000), slice(0, 6_000)):  # overlapping chunks
        fresh = fine_and_coarse_cells(lat[part], lon[part], H3_FINE, H3_COARSE)
        kept = fine_and_coarse_cells(lat[part], lon[part], H3_FINE, H3_COARSE, check)
        for a, b in zip(fresh, kept, strict=True):
            assert a.cast(pa.string()).to_pylist() == b.cast(pa.string()).to_pylist()
    assert len(check._cells) == len(np.unique(check._cells))  # each cell remembered once
    fine = fine_and_coarse_cells(lat, lon, H3_FINE, H3_COARSE)[0]
    assert len(check._cells) == len(fine.dictionary)
