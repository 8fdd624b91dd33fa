"""H3 hexagons over a district: cover, share inside, study-area flag, residents per cell.

Point-to-cell indexing goes through h3ronpy's vectorised Rust kernels, which release the GIL:
large inputs are split over one thread per core (≈ 4 M points/s on two cores, `make bench`);
h3-py's per-point API is used only to cross-check in the tests and as the benchmark baseline.

Residents per cell are spread by :mod:`twin.residents`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import h3ronpy
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy import ContainmentMode
from h3ronpy.vector import cells_to_coordinates, cells_to_wkb_polygons, coordinates_to_cells
from h3ronpy.vector import geometry_to_cells as _geometry_to_cells
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from twin._errors import EmptyAreaError, InvalidInputError
from twin.settings import usable_cores

MIN_RESOLUTION, MAX_RESOLUTION = 7, 10
STUDY_SHARE_MIN = 0.5  # a cell is in the study area when at least half of it is
THREAD_MIN_POINTS = 250_000  # points per thread below which a single call is faster


def check_resolution(resolution: int) -> int:
    if not MIN_RESOLUTION <= int(resolution) <= MAX_RESOLUTION:
        msg = (
            f"H3 resolution {resolution} is outside {MIN_RESOLUTION}–{MAX_RESOLUTION}; "
            "9 (≈ 0.1 km² cells) is the default."
        )
        raise InvalidInputError(msg)
    return int(resolution)


def index_points(lon: NDArray, lat: NDArray, resolution: int) -> NDArray[np.uint64]:
    """H3 cells (uint64) of WGS-84 points, vectorised."""
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    resolution = check_resolution(resolution)
    if not len(lat):
        return np.empty(0, dtype=np.uint64)
    threads = min(usable_cores(), len(lat) // THREAD_MIN_POINTS)
    if threads < 2:
        return np.asarray(coordinates_to_cells(lat, lon, resolution))
    bounds = np.linspace(0, len(lat), threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:  # the Rust kernel runs without the GIL
        parts = pool.map(lambda a, b: np.asarray(coordinates_to_cells(lat[a:b], lon[a:b], resolution)),
                         bounds[:-1], bounds[1:])  # fmt: skip
        return np.concatenate(list(parts))


def cell_parents(cells: NDArray[np.uint64], resolution: int) -> NDArray[np.uint64]:
    """The ancestor of each cell at the coarser ``resolution`` (vectorised)."""
    out = h3ronpy.change_resolution(pa.array(cells, type=pa.uint64()), resolution)
    return np.asarray(out, dtype=np.uint64)


def cells_to_strings(cells: NDArray[np.uint64]) -> NDArray[np.str_]:
    return np.asarray(h3ronpy.cells_to_string(pa.array(cells, type=pa.uint64())), dtype=str)


def cell_polygons(cells: NDArray[np.uint64]) -> NDArray[np.object_]:
    """Hexagon polygons (WGS-84) of ``cells``."""
    wkb = cells_to_wkb_polygons(pa.array(cells, type=pa.uint64()))
    return shapely.from_wkb(np.asarray(pa.array(wkb).to_pylist(), dtype=object))


def cell_centres(cells: NDArray[np.uint64]) -> tuple[NDArray, NDArray]:
    """Longitude and latitude of the cell centres."""
    batch = cells_to_coordinates(pa.array(cells, type=pa.uint64()))
    return np.asarray(batch.column("lng")), np.asarray(batch.column("lat"))


def cover_cells(area: BaseGeometry, resolution: int) -> NDArray[np.uint64]:
    """Every cell whose hexagon intersects ``area`` (WGS-84), sorted."""
    if area is None or area.is_empty:
        raise EmptyAreaError("cannot lay hexagons over an empty area.")
    cells = _geometry_to_cells(
        area, check_resolution(resolution), containment_mode=ContainmentMode.IntersectsBoundary
    )
    return np.unique(np.asarray(cells).astype(np.uint64))


def hex_grid(
    boundary: BaseGeometry,
    resolution: int,
    metric_crs: CRS,
    study_area: BaseGeometry | None = None,
) -> gpd.GeoDataFrame:
    """Hexagons covering ``boundary`` with their share inside it and the study-area flag.

    Columns: ``h3`` (string id), ``cell`` (uint64), ``lon``/``lat`` (centre), ``area_km2``
    (hexagon inside the district), ``inside_share``, ``study_share``, ``in_study`` and geometry.
    """
    cells = cover_cells(boundary, resolution)
    polygons = cell_polygons(cells)
    to_metric = Transformer.from_crs(4326, metric_crs, always_xy=True)

    def project(geometry):
        return shapely.transform(geometry, lambda c: np.column_stack(to_metric.transform(*c.T)))

    metric_polygons = project(polygons)
    full = shapely.area(metric_polygons)
    region = project(boundary)
    shapely.prepare(region)
    # only hexagons across the boundary need an intersection: the others lie wholly inside
    within = shapely.contains_properly(region, metric_polygons)
    inside = full.copy()
    crossing = ~within
    inside[crossing] = shapely.area(shapely.intersection(metric_polygons[crossing], region))
    keep = inside > 0
    if study_area is not None and not study_area.is_empty:
        study = project(study_area)
        shapely.prepare(study)
        study_share = np.ones(len(cells))
        partial = ~shapely.contains_properly(study, metric_polygons)
        study_share[partial] = (
            shapely.area(shapely.intersection(metric_polygons[partial], study)) / full[partial]
        )
    else:
        study_share = np.zeros(len(cells))
    cells, polygons = cells[keep], polygons[keep]
    lon, lat = cell_centres(cells)
    return gpd.GeoDataFrame(
        {
            "h3": cells_to_strings(cells),
            "cell": cells,
            "lon": lon,
            "lat": lat,
            "area_km2": inside[keep] / 1e6,
            "inside_share": np.clip(inside[keep] / full[keep], 0, 1),
            "study_share": np.clip(study_share[keep], 0, 1),
            "in_study": study_share[keep] >= STUDY_SHARE_MIN,
        },
        geometry=polygons,
        crs=4326,
    )


def sample_points(
    cells: NDArray[np.uint64], resolution: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Sample points inside each cell: the centres of its children one resolution finer.

    Returns the position of each point's cell in ``cells`` and the points' longitude/latitude
    (seven points per hexagon, six for the rare pentagon).
    """
    if not len(cells):
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    pairs = h3ronpy.change_resolution_paired(pa.array(cells, type=pa.uint64()), resolution + 1)
    parent = np.asarray(pairs.column("cell_before"), dtype=np.uint64)
    child = np.asarray(pairs.column("cell_after"), dtype=np.uint64)
    order = np.argsort(cells, kind="stable")
    position = order[np.searchsorted(cells, parent, sorter=order)]
    lon, lat = cell_centres(child)
    return position.astype(np.int64), lon, lat
