"""Exact point-in-polygon tests in bulk: points bucketed in a regular grid of boxes.

A polygon that holds a whole grid box in its interior holds every point in that box, and a
polygon that does not touch a box holds none of its points: only the points in boxes a polygon
boundary crosses are tested one by one. On a county of areas that is about a tenth of the
points, so a million calls cost a fraction of a second instead of one test per point and area.

The answer is the same as ``shapely.intersects_xy`` on every (projected) point, border points
included: boxes are widened by a small margin before the whole-box tests, so a point that
rounding put in a neighbouring box is still covered by the box it was assigned to.

Which boxes lie inside a polygon and which its edge crosses (a :class:`BoxCover`) depends on the
polygons and the grid alone. A refresh enriches its calls in chunks, so it fixes one grid around
the areas and zones (a :class:`GridFrame`) and buckets each chunk's points in it; a box is
classified the first time a chunk holds points in it, so later chunks cost little box geometry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

# Boxes per side of the grid: finer grids test fewer points one by one but cost more box tests.
GRID_SIDE = 256
_MARGIN = 1e-6  # relative to the grid extent: far above float rounding, far below a box


def concat_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + c)`` for each start and count (no Python loop)."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


@dataclass(frozen=True)
class GridFrame:
    """A grid of ``side`` x ``side`` boxes tiling the rectangle (x0, y0)-(x1, y1), in the
    points' coordinates; points on its edges are inside it.

    ``project``: maps point coordinates into the polygons' CRS (None: the same CRS).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    side: int = GRID_SIDE
    project: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def step_x(self) -> float:
        return max((self.x1 - self.x0) / self.side, 1e-9)

    @property
    def step_y(self) -> float:
        return max((self.y1 - self.y0) / self.side, 1e-9)

    def locate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indices of the points inside the grid, their box numbers ``row * side + col``)."""
        with np.errstate(invalid="ignore"):  # (NaN coordinates compare False: outside)
            points = np.flatnonzero((x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1))
        col = np.clip(((x[points] - self.x0) / self.step_x).astype(np.int64), 0, self.side - 1)
        row = np.clip(((y[points] - self.y0) / self.step_y).astype(np.int64), 0, self.side - 1)
        return points, row * self.side + col

    def boxes(self, numbers: np.ndarray) -> np.ndarray:
        """Boxes ``numbers`` as rectangles in the polygons' CRS, widened by a small margin.

        A projected box is covered by the bounding rectangle of its projected corners: its true
        edges bend by under a millimetre at this size, far inside the margin, so a box whose
        rectangle clears or lies inside a polygon does so itself too.
        """
        x0 = self.x0 + (numbers % self.side) * self.step_x
        y0 = self.y0 + (numbers // self.side) * self.step_y
        x1, y1 = x0 + self.step_x, y0 + self.step_y
        if self.project is not None:
            px, py = self.project(np.concatenate([x0, x1, x1, x0]), np.concatenate([y0, y0, y1, y1]))
            px, py = np.reshape(px, (4, -1)), np.reshape(py, (4, -1))
            x0, x1, y0, y1 = px.min(axis=0), px.max(axis=0), py.min(axis=0), py.max(axis=0)
        margin = _MARGIN * max(float(np.ptp(np.concatenate([x0, x1]))) if len(numbers) else 0.0,
                               float(np.ptp(np.concatenate([y0, y1]))) if len(numbers) else 0.0, 1.0)
        return shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)


class BoxCover:
    """For each polygon, the boxes of a grid wholly inside it and the boxes its edge crosses.

    ``polygons``: geometries in the polygons' CRS (None or empty ones match nothing). Boxes
    are classified when first asked for (:meth:`split`) and remembered: the chunks of a refresh
    hold points in mostly the same boxes, so later chunks classify few boxes or none.
    """

    _INSIDE, _EDGE = 1, 2

    def __init__(self, frame: GridFrame, polygons: np.ndarray):
        self.frame = frame
        polygons = np.asarray(polygons, dtype=object)
        usable = np.array([g is not None and not shapely.is_empty(g) for g in polygons], dtype=bool)
        self.polygons = np.where(usable, polygons, None) if len(polygons) else polygons
        if usable.any():
            shapely.prepare(self.polygons[usable])
        self._usable = bool(usable.any())
        self._state = np.zeros((len(polygons), frame.side * frame.side), dtype=np.int8)
        self._known = np.zeros(frame.side * frame.side, dtype=bool)
        self._lock = threading.Lock()

    def split(self, numbers: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """For each polygon, which of boxes ``numbers`` lie inside it, and which its edge
        crosses (each in the order of ``numbers``)."""
        numbers = np.asarray(numbers, dtype=np.int64)
        with self._lock:
            todo = numbers[~self._known[numbers]]
            if len(todo) and self._usable:
                tree = shapely.STRtree(self.frame.boxes(todo))
                touch = tree.query(self.polygons, predicate="intersects")
                whole = tree.query(self.polygons, predicate="contains_properly")
                self._state[touch[0], todo[touch[1]]] = self._EDGE
                self._state[whole[0], todo[whole[1]]] = self._INSIDE
            self._known[todo] = True
            state = self._state[:, numbers]
        return ([numbers[row == self._INSIDE] for row in state],
                [numbers[row == self._EDGE] for row in state])


class PointGrid:
    """Points bucketed by grid box; :meth:`hits` pairs points with polygons.

    ``x``, ``y``: the coordinates the points are bucketed on. ``project``: maps them into the
    polygons' CRS (for example longitude/latitude to Ohio South feet); only the points in boxes
    a polygon edge crosses are ever projected, since the rest are settled box by box. Without
    it, the points are already in the polygons' CRS.

    ``frame``: a grid fixed in advance (its ``project`` is used); points outside it are in no
    box, so it must contain every polygon. By default, a grid around the points.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, side: int = GRID_SIDE,
                 project: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
                 frame: GridFrame | None = None):
        self.x, self.y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
        if frame is None:
            finite = np.isfinite(self.x) & np.isfinite(self.y)
            bounds = ((float(self.x[finite].min()), float(self.y[finite].min()),
                       float(self.x[finite].max()), float(self.y[finite].max()))
                      if finite.any() else (0.0, 0.0, 0.0, 0.0))
            frame = GridFrame(*bounds, side=side, project=project)
        self.frame = frame
        self._project = frame.project
        self._lock = threading.Lock()
        self._px = np.full(len(self.x), np.nan)
        self._py = np.full(len(self.x), np.nan)
        self._done = np.zeros(len(self.x), dtype=bool)
        points, cell = frame.locate(self.x, self.y)
        self.counts = np.bincount(cell, minlength=frame.side * frame.side)
        self.starts = np.cumsum(self.counts) - self.counts
        # Box numbers fit 16 bits at the default side, where numpy's stable sort is a radix sort
        # (five times faster on millions of points than the merge sort wider keys get).
        key = cell.astype(np.uint16) if frame.side * frame.side <= 1 << 16 else cell
        self.order = points[np.argsort(key, kind="stable")]

    def _projected(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of points ``idx`` in the polygons' CRS, projected once and kept."""
        if self._project is None:
            return self.x[idx], self.y[idx]
        with self._lock:  # areas and zones are tested in parallel threads
            todo = idx[~self._done[idx]]
            if len(todo):
                self._px[todo], self._py[todo] = self._project(self.x[todo], self.y[todo])
                self._done[todo] = True
            return self._px[idx], self._py[idx]

    def hits(self, polygons: np.ndarray | BoxCover) -> tuple[np.ndarray, np.ndarray]:
        """(point index, polygon index) pairs where the point intersects the polygon.

        ``polygons``: projected geometries in the points' CRS (None or empty ones match nothing),
        or a :class:`BoxCover` of them on this grid's frame.
        """
        found = self.hits_per_polygon(polygons)
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        sizes = [len(points) for points in found]
        return (np.concatenate(found).astype(np.int64),
                np.repeat(np.arange(len(found), dtype=np.int64), sizes))

    def hits_per_polygon(self, polygons: np.ndarray | BoxCover) -> list[np.ndarray]:
        """For each polygon, the indices of the points that intersect it (each point once).

        ``polygons``: as for :meth:`hits`. Only the boxes holding points are classified.
        """
        if isinstance(polygons, BoxCover):
            if polygons.frame != self.frame:
                raise ValueError("the cover was made for another grid")
            cover = polygons
        else:
            cover = BoxCover(self.frame, polygons)
        inside_boxes, edge_boxes = cover.split(np.flatnonzero(self.counts))
        out = []
        for polygon, inside, edge in zip(cover.polygons, inside_boxes, edge_boxes, strict=True):
            points = [self._points_in(inside)]
            if len(edge):
                candidates = self._points_in(edge)
                px, py = self._projected(candidates)
                points.append(candidates[shapely.intersects_xy(polygon, px, py)])
            out.append(np.concatenate(points))
        return out

    def _points_in(self, boxes: np.ndarray) -> np.ndarray:
        """Indices of the points in the given grid boxes (box order, then point order)."""
        return self.order[concat_ranges(self.starts[boxes], self.counts[boxes])]
