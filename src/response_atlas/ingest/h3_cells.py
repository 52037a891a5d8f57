"""H3 cells of points at a fine and a coarse resolution, exact and cheap.

The fine cell of every point is computed with h3ronpy (vectorized Rust, the H3 library
underneath) and kept as a 64-bit integer until the cells are distinct. The coarse cell of a point
is the parent of its fine cell whenever that fine cell lies wholly inside its parent (with a
one-metre margin): about three points in five. Only the others are located again at the coarse
resolution, because H3 children do not nest exactly (a point near the edge of a parent can sit in
a neighbouring coarse cell). Without h3ronpy both resolutions fall back to the ``h3`` package,
one point at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import h3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

try:  # optional: vectorized H3 (requirements.txt pins it)
    from h3ronpy import cells_to_string, change_resolution
    from h3ronpy import vector as h3_vector
except ImportError:  # pragma: no cover - the per-point h3 loop is used instead
    h3_vector = cells_to_string = change_resolution = None

INSIDE_MARGIN_DEG = 1e-5  # about a metre: far above the gap between straight and true cell edges
_SPLIT_ROWS = 200_000  # points above which cells are computed in two threads


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell ids (hex strings) for points, one at a time; None where a coordinate is missing."""
    out = np.empty(len(lat), dtype=object)
    to_cell = h3.latlng_to_cell
    for i, (y, x) in enumerate(zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(), strict=True)):
        out[i] = None if y != y or x != x else to_cell(y, x, resolution)  # NaN != NaN
    return out


def _cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """uint64 cells of points (h3ronpy releases the GIL: large inputs run in two threads)."""
    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(pa.array(h3_vector.coordinates_to_cells(a, b, resolution)), dtype=np.uint64)

    if len(lat) < _SPLIT_ROWS:
        return run(lat, lon)
    half = len(lat) // 2
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="h3") as pool:
        parts = list(pool.map(run, (lat[:half], lat[half:]), (lon[:half], lon[half:])))
    return np.concatenate(parts)


def _polygons(cells: pa.Array) -> np.ndarray:
    wkb = pa.array(h3_vector.cells_to_wkb_polygons(cells)).to_numpy(zero_copy_only=False)
    return shapely.from_wkb(wkb)


def inside_parent(cells: pa.Array, parents: pa.Array) -> np.ndarray:
    """For each cell, whether its hexagon lies inside its parent's, one metre in from the edge."""
    encoded = pc.dictionary_encode(parents)
    shrunk = shapely.buffer(_polygons(encoded.dictionary), -INSIDE_MARGIN_DEG)
    shapely.prepare(shrunk)
    return shapely.contains_properly(shrunk[encoded.indices.to_numpy()], _polygons(cells))


class ParentCheck:
    """:func:`inside_parent` that remembers its answer per cell: the chunks of a refresh meet
    the same cells again, and each cell's hexagon costs a polygon and a containment test."""

    def __init__(self) -> None:
        self._cells = np.empty(0, dtype=np.uint64)  # sorted
        self._inside = np.empty(0, dtype=bool)

    def __call__(self, cells: pa.Array, parents: pa.Array) -> np.ndarray:
        values = np.asarray(cells, dtype=np.uint64)
        at = np.minimum(np.searchsorted(self._cells, values), max(len(self._cells) - 1, 0))
        known = self._cells[at] == values if len(self._cells) else np.zeros(len(values), dtype=bool)
        out = np.empty(len(values), dtype=bool)
        out[known] = self._inside[at[known]]
        new = np.flatnonzero(~known)
        if len(new):
            take = pa.array(new)
            out[new] = inside_parent(cells.take(take), parents.take(take))
            cells_all = np.concatenate([self._cells, values[new]])
            order = np.argsort(cells_all, kind="stable")
            self._cells = cells_all[order]
            self._inside = np.concatenate([self._inside, out[new]])[order]
        return out


def fine_and_coarse_cells(lat: np.ndarray, lon: np.ndarray, fine: int, coarse: int,
                          check: ParentCheck | None = None,
                          ) -> tuple[pa.DictionaryArray, pa.DictionaryArray]:
    """Each point's H3 cell at ``fine`` and at ``coarse`` resolution, as dictionaries of hex
    strings over the distinct cells (points must have both coordinates).

    ``check``: a :class:`ParentCheck` kept across calls (default: every cell checked afresh).
    """
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    if h3_vector is None:
        return tuple(pc.dictionary_encode(pa.array(h3_cells(lat, lon, r), type=pa.string()))
                     for r in (fine, coarse))
    fine_enc = pc.dictionary_encode(pa.array(_cells(lat, lon, fine)))
    fine_index = fine_enc.indices.to_numpy(zero_copy_only=False)
    parents = pa.array(change_resolution(fine_enc.dictionary, coarse))
    coarse_cells = np.asarray(parents, dtype=np.uint64)[fine_index]
    again = ~(check or inside_parent)(fine_enc.dictionary, parents)[fine_index]
    if again.any():
        coarse_cells[again] = _cells(lat[again], lon[again], coarse)
    coarse_enc = pc.dictionary_encode(pa.array(coarse_cells))
    return tuple(pa.DictionaryArray.from_arrays(enc.indices, pa.array(cells_to_string(enc.dictionary)).cast(pa.string()))
                 for enc in (fine_enc, coarse_enc))
