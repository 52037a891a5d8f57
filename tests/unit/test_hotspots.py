"""Getis-Ord Gi* on a synthetic hexagon grid with one obvious cluster."""

from __future__ import annotations

import h3
import pandas as pd
import pytest

from response_atlas.analysis import hotspots

CENTER = h3.latlng_to_cell(39.15, -84.5, 9)


def grid_counts(cluster: int = 40, background: int = 1) -> pd.DataFrame:
    """A disk of radius 6 (127 hexagons): the centre and its ring busy, the rest quiet."""
    cells = sorted(h3.grid_disk(CENTER, 6))
    busy = set(h3.grid_disk(CENTER, 1))
    return pd.DataFrame({"h3_cell": cells,
                         "calls": [cluster if c in busy else background for c in cells]})


def test_cluster_is_a_hot_spot_at_99_percent_and_far_cells_are_not():
    result = hotspots.hex_hotspots(grid_counts())
    table = result.table.set_index("h3_cell")
    assert result.message == ""
    assert table.loc[CENTER, "spot"] == "hot" and table.loc[CENTER, "confidence"] == 99
    assert table.loc[CENTER, "z"] > 2.576 and table.loc[CENTER, "p"] < 0.01
    far = next(iter(h3.grid_ring(CENTER, 5)))
    assert table.loc[far, "spot"] != "hot"
    # padding: the ring just outside the data is part of the study area, with zero calls
    assert len(table) == len(h3.grid_disk(CENTER, 7))
    assert table.loc[next(iter(h3.grid_ring(CENTER, 7))), "calls"] == 0
    # only the cluster and cells touching it can be hot
    hot = set(table.index[table["spot"] == "hot"])
    assert hot <= set(h3.grid_disk(CENTER, 2))
    assert "Getis-Ord Gi*" in result.explanation and "normal approximation" in result.explanation


def test_z_matches_hand_computed_gi_star_for_the_centre():
    counts = grid_counts()
    table = hotspots.hex_hotspots(counts).table.set_index("h3_cell")
    y = table["calls"].astype(float)
    n, mean, s = len(y), y.mean(), y.std(ddof=0)
    local = y.loc[list(h3.grid_disk(CENTER, 1))].sum()  # 7 cells, each 40
    wi = 7  # binary weights including self (star)
    expected = (local - wi * mean) / (s * ((n * wi - wi**2) / (n - 1)) ** 0.5)
    assert table.loc[CENTER, "z"] == pytest.approx(expected, abs=1e-3)


def test_permutation_p_values_agree_on_the_cluster():
    table = hotspots.hex_hotspots(grid_counts(), permutations=199, seed=1).table
    centre = table.set_index("h3_cell").loc[CENTER]
    assert centre["spot"] == "hot" and centre["p"] <= 0.01


def test_too_few_hexes_says_so():
    few = pd.DataFrame({"h3_cell": [CENTER], "calls": [5]})
    result = hotspots.hex_hotspots(few, pad=False)
    assert result.table.empty and "Too few hexagons (1)" in result.message


def test_no_calls_and_flat_counts_give_messages_not_errors():
    assert hotspots.hex_hotspots(pd.DataFrame({"h3_cell": [], "calls": []})).message
    flat = grid_counts(cluster=3, background=3)
    result = hotspots.hex_hotspots(flat, pad=False)
    assert result.table.empty and "same count" in result.message


@pytest.mark.parametrize(("z", "expected"), [
    (2.6, ("hot", 99)), (2.0, ("hot", 95)), (1.7, ("hot", 90)), (1.0, ("not_significant", 0)),
    (-1.97, ("cold", 95)), (float("nan"), ("not_significant", 0)),
])
def test_classify_z(z, expected):
    assert hotspots.classify_z(z) == expected
