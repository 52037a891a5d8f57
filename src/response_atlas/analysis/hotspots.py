"""Statistical hot spots on hexagon counts: Getis-Ord Gi* (PySAL esda.G_Local, star=True).

Each hexagon's Gi* compares the calls in it *and its six neighbours* with what the whole study
area would give if calls were spread at random. A large positive z-score means the hexagon sits
in a cluster of busy hexagons (a hot spot); a large negative one, in a cluster of quiet ones.

The study area is every hexagon with calls plus the ring of hexagons around them (with zero
calls), so quiet surroundings count as quiet instead of being left out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd

MIN_HEXES = 12
# two-sided z thresholds for 90 / 95 / 99 % confidence (as ArcGIS's Hot Spot Analysis uses)
Z_LEVELS = ((2.576, 99), (1.960, 95), (1.645, 90))
HOT, COLD, NOT_SIGNIFICANT = "hot", "cold", "not_significant"
CLASS_LABELS = {
    ("hot", 99): "Hot spot, 99% confidence",
    ("hot", 95): "Hot spot, 95% confidence",
    ("hot", 90): "Hot spot, 90% confidence",
    ("cold", 99): "Cold spot, 99% confidence",
    ("cold", 95): "Cold spot, 95% confidence",
    ("cold", 90): "Cold spot, 90% confidence",
    ("not_significant", 0): "Not significant",
}

EXPLANATION = (
    "A **hot spot** is a hexagon that, together with its six neighbours, has many more calls than "
    "you would expect if calls were spread at random across the map; a **cold spot** has many "
    "fewer. The test is Getis-Ord Gi* (PySAL's esda), with p-values from {method}. Confidence "
    "levels are 90%, 95% and 99% (two-sided): at 95%, about 1 in 20 hexagons could be marked by "
    "chance alone, so read isolated single hexagons with care and look for groups. A hot spot "
    "says where calls cluster, not why."
)


@dataclass(frozen=True)
class HotspotResult:
    """Per-hexagon Gi* results, or an empty table with the reason."""

    table: pd.DataFrame  # h3_cell, calls, z, p, spot, confidence, label
    method: str
    message: str = ""

    @property
    def explanation(self) -> str:
        return EXPLANATION.format(method=self.method)


def study_cells(cells: list[str]) -> list[str]:
    """The hexagons with calls plus the ring of neighbours around them, sorted."""
    found: set[str] = set()
    for cell in cells:
        found.update(h3.grid_disk(cell, 1))
    return sorted(found)


def hex_weights(cells: list[str]):
    """Binary contiguity weights between hexagons that share an edge (libpysal W)."""
    from libpysal.weights import W

    index = set(cells)
    neighbors = {c: [n for n in h3.grid_ring(c, 1) if n in index] for c in cells}
    return W(neighbors, id_order=list(cells), silence_warnings=True)


def classify_z(z: float) -> tuple[str, int]:
    """``(spot, confidence)`` for a Gi* z-score: e.g. ``("hot", 95)`` or ``("not_significant", 0)``."""
    if not np.isfinite(z):
        return NOT_SIGNIFICANT, 0
    for threshold, level in Z_LEVELS:
        if abs(z) >= threshold:
            return (HOT if z > 0 else COLD), level
    return NOT_SIGNIFICANT, 0


def hex_hotspots(
    hexes: pd.DataFrame, permutations: int = 0, seed: int = 12345, pad: bool = True
) -> HotspotResult:
    """Gi* z-scores, two-sided p-values and hot/cold classes for ``hexes[h3_cell, calls]``.

    ``permutations=0`` uses the normal approximation (fast, deterministic); with permutations the
    p-value is the folded pseudo p-value and the z-score the one from the permutations.
    """
    columns = ["h3_cell", "calls", "z", "p", "spot", "confidence", "label"]
    method = (f"{permutations} random permutations" if permutations
              else "the normal approximation")
    if hexes is None or hexes.empty or int(hexes["calls"].sum()) == 0:
        return HotspotResult(pd.DataFrame(columns=columns), method, "No calls to test.")
    cells = study_cells(list(hexes["h3_cell"])) if pad else sorted(hexes["h3_cell"])
    if len(cells) < MIN_HEXES:
        return HotspotResult(
            pd.DataFrame(columns=columns), method,
            f"Too few hexagons ({len(cells)}) for a hot-spot test; at least {MIN_HEXES} needed.",
        )
    from esda.getisord import G_Local

    counts = hexes.groupby("h3_cell")["calls"].sum()
    y = counts.reindex(cells, fill_value=0).to_numpy(dtype=float)
    if np.all(y == y[0]):
        return HotspotResult(pd.DataFrame(columns=columns), method,
                             "Every hexagon has the same count: there is nothing to cluster.")
    w = hex_weights(cells)
    with warnings.catch_warnings():
        # separate clusters of hexagons are expected: "not fully connected" is not a problem here
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected")
        g = G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed,
                    keep_simulations=bool(permutations), n_jobs=1)
    if permutations:
        z = np.asarray(g.z_sim, dtype=float)
        p = np.minimum(1.0, 2 * np.asarray(g.p_sim, dtype=float))  # folded one-sided -> two-sided
    else:
        z = np.asarray(g.Zs, dtype=float)
        p = 2 * np.asarray(g.p_norm, dtype=float)  # p_norm is one-sided on |z|
    classes = [classify_z(v) for v in z]
    table = pd.DataFrame({
        "h3_cell": cells,
        "calls": y.astype("int64"),
        "z": np.round(z, 3),
        "p": np.round(p, 4),
        "spot": [c[0] for c in classes],
        "confidence": [c[1] for c in classes],
    })
    table["label"] = [CLASS_LABELS[c] for c in classes]
    return HotspotResult(table, method)


def calls_hotspots(snapshot, filters, resolution: str = "fine", audience=None) -> HotspotResult:
    """Gi* on the filtered calls' hexagon counts (sensitive categories left out, as everywhere
    below area level); with an ``audience``, on the published counts (suppressed ones dropped)."""
    from response_atlas.analysis.calls import hex_counts, publish_hexes

    hexes = hex_counts(snapshot, filters, resolution)
    if audience is not None:
        hexes = publish_hexes(hexes, audience)
    return hex_hotspots(hexes.drop(columns="calls_key", errors="ignore"))
