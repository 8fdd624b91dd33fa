"""Which of many points lie inside a polygon: :func:`shapely.contains_xy`'s answer, looked up.

A district's generators test hundreds of thousands of candidate points against its boundary
(rooftops drawn over its bounding box, candidates a metre inside it, kernel pixels), and do it
again for each re-seeded draw. :func:`contains_xy` classifies a grid over the polygon once
(cached per polygon): a grid cell the boundary comes near is an *edge* cell, any other cell lies
wholly inside or wholly outside, as its centre does. A point in an inside or outside cell is
answered by the lookup; a point in an edge cell (a few per cent) by shapely. The answer is
shapely's to the bit: points on the boundary are outside, NaN coordinates are outside.

Why the edge cells are enough: the boundary is cut into pieces no longer than half a cell, so a
piece stays within the cells next to the one its first vertex lies in; every cell holding a
vertex, and its eight neighbours, is an edge cell. Any other cell meets no piece of the
boundary, so its points all lie on one side of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import binary_dilation
from shapely.geometry.base import BaseGeometry

CELLS = 512  # grid cells along the polygon's longer side
MIN_POINTS = 20_000  # fewer points: shapely alone is as fast as building the grid
OUTSIDE, INSIDE, EDGE = 0, 1, 2
POLYGONAL = ("Polygon", "MultiPolygon")  # a boundary of rings; any other shape: shapely alone


@dataclass(frozen=True)
class _Grid:
    west: float
    south: float
    size: float  # a cell's side
    # (columns, rows): OUTSIDE, INSIDE or EDGE, within a ring of outside cells (where points
    # beyond the grid fall)
    bordered: NDArray[np.uint8]


def _classify(geometry: BaseGeometry, cells: int) -> _Grid:
    """The grid of ``geometry``: ``cells`` cells along its longer side, each inside, outside
    or edge; cells are counted and vertices placed with the lookup's own rounding
    (:func:`_position`), so a point and the boundary near it always meet in the same cells."""
    west, south, east, north = geometry.bounds
    size = max(east - west, north - south) / cells or 1.0
    nx = int(np.floor((east - west) / size)) + 1
    ny = int(np.floor((north - south) / size)) + 1
    centre_x = west + (np.arange(nx) + 0.5) * size
    centre_y = south + (np.arange(ny) + 0.5) * size
    gx, gy = np.meshgrid(centre_x, centre_y, indexing="ij")
    classes = shapely.contains_xy(geometry, gx, gy).astype(np.uint8)
    edge = np.zeros((nx, ny), dtype=bool)
    vertices = shapely.get_coordinates(shapely.segmentize(geometry.boundary, size / 2))
    ix = np.clip(_position(vertices[:, 0], west, size, nx), 0, nx - 1)
    iy = np.clip(_position(vertices[:, 1], south, size, ny), 0, ny - 1)
    edge[ix, iy] = True
    classes[binary_dilation(edge, structure=np.ones((3, 3), dtype=bool))] = EDGE
    return _Grid(west, south, size, np.pad(classes, 1, constant_values=OUTSIDE))


def _position(values: NDArray[np.float64], start: float, size: float, n: int) -> NDArray[np.int64]:
    """The cell of each value along one axis, clipped to −1 … n (NaN: −1)."""
    with np.errstate(invalid="ignore"):
        cell = np.clip(np.floor((values - start) / size), -1, n)
    return np.nan_to_num(cell, nan=-1.0).astype(np.int64)


@lru_cache(maxsize=16)  # a district's region, its buffers and its boundary, a few districts
def _grid_of(geometry: BaseGeometry) -> _Grid:
    """The grid of ``geometry``, classified once (shapely geometries are immutable and compare
    by their exact coordinates)."""
    return _classify(geometry, CELLS)


def contains_xy(geometry: BaseGeometry, x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
    """``shapely.contains_xy(geometry, x, y)``, the same answer at a lookup's speed for many
    points in a polygon or several (module docstring; any other geometry is shapely's alone);
    ``x`` and ``y`` keep their shape.

    >>> from shapely.geometry import box
    >>> contains_xy(box(0, 0, 2, 2), [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).tolist()
    [True, False, False]
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if x.size < MIN_POINTS or geometry.is_empty or geometry.geom_type not in POLYGONAL:
        return np.asarray(shapely.contains_xy(geometry, x, y), dtype=bool)
    grid = _grid_of(geometry)
    nx, ny = grid.bordered.shape[0] - 2, grid.bordered.shape[1] - 2
    flat_x, flat_y = x.ravel(), y.ravel()
    # a cell position per point, −1 or n beyond the grid (NaN: beyond), read from the grid
    # bordered by a ring of outside cells; a flat index, as 2-D fancy indexing is slow
    col = _position(flat_x, grid.west, grid.size, nx)
    row = _position(flat_y, grid.south, grid.size, ny)
    found = grid.bordered.ravel().take((col + 1) * (ny + 2) + (row + 1))
    inside = found == INSIDE
    near = np.flatnonzero(found == EDGE)
    inside[near] = shapely.contains_xy(geometry, flat_x[near], flat_y[near])
    return inside.reshape(x.shape)
