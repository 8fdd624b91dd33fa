"""Residents per hexagon: the population spread over where people live, not piled onto points.

Each demand source says how its points are read (its ``method`` column):

* **Population raster** pixels ("raster pixel") are summed into the hexagon holding their centre:
  the raster already says where people live, and its densities stand as given.
* **Address points** (the data pack's geocoded residential addresses, each carrying an equal
  share of the census population) and **building centroids** (OSM residential buildings, each
  carrying population in proportion to its floor area) are spread by a Gaussian kernel (bandwidth
  150 m for addresses, about half a residential compound, 40 m for buildings) evaluated on a 25 m
  grid, kept inside the district and renormalised so the district total is the source total.
  A compound with ten sampled addresses no longer becomes a spike, and a block between sampled
  addresses still gets residents.

Then no hexagon may exceed ``ceiling_per_km2`` (80,000 residents/km², above Shanghai's densest
subdistricts) unless a raster says so: the excess moves to the other populated hexagons in
proportion to their residents. Optionally, township (街道/镇) census figures rescale each
township's hexagons to its total. Residents are whole people (largest-remainder rounding), and
the total always equals the source total, which :class:`Residents` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.ndimage import gaussian_filter
from shapely.geometry.base import BaseGeometry

from twin._errors import InvalidInputError
from twin.grid import index_points
from twin.inside import contains_xy
from twin.norms import ResidentNorms, packaged_norms

RASTER_METHOD = "raster pixel"
BUILDING_METHOD = "building floor area"
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Residents:
    """Whole residents per cell and how they were obtained."""

    counts: NDArray[np.int64]
    source_total: float
    unassigned: float  # source population that fell in no cell (outside the district)
    method: str
    capped_cells: int  # cells brought down to the ceiling

    def describe(self) -> str:
        return (
            f"{self.counts.sum():,} residents ({self.method}); source total "
            f"{self.source_total:,.0f}, {self.unassigned:,.0f} outside the grid; "
            f"{self.capped_cells} hexagons capped at the density ceiling"
        )


def _cell_positions(grid: pd.DataFrame, cells: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Position of each H3 id in ``grid`` (-1 where the grid has no such cell)."""
    grid_cells = grid["cell"].to_numpy()
    order = np.argsort(grid_cells)
    pos = np.clip(np.searchsorted(grid_cells[order], cells), 0, len(grid_cells) - 1)
    found = grid_cells[order][pos] == cells
    return np.where(found, order[pos], -1)


def _sum_points(grid: pd.DataFrame, lon: NDArray, lat: NDArray, values: NDArray, res: int):
    where = _cell_positions(grid, index_points(lon, lat, res))
    found = where >= 0
    totals = np.bincount(where[found], weights=values[found], minlength=len(grid))
    return totals, float(values[~found].sum())


def kernel_surface(
    xy: NDArray[np.float64],
    population: NDArray[np.float64],
    region: BaseGeometry,
    bandwidth_m: float,
    pixel_m: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pixel centres inside ``region`` (metres) and the population the kernel gives each."""
    west, south, east, north = region.bounds
    nx = int(np.ceil((east - west) / pixel_m)) + 1
    ny = int(np.ceil((north - south) / pixel_m)) + 1
    grid = np.zeros((nx, ny))
    ix = np.clip(((xy[:, 0] - west) / pixel_m).astype(int), 0, nx - 1)
    iy = np.clip(((xy[:, 1] - south) / pixel_m).astype(int), 0, ny - 1)
    np.add.at(grid, (ix, iy), population)
    smooth = gaussian_filter(grid, bandwidth_m / pixel_m, mode="constant", truncate=3.0)
    cx = west + (np.arange(nx) + 0.5) * pixel_m
    cy = south + (np.arange(ny) + 0.5) * pixel_m
    gx, gy = np.meshgrid(cx, cy, indexing="ij")
    inside = contains_xy(region, gx, gy) & (smooth > 0)
    values = smooth[inside]
    total = values.sum()
    if total > 0:
        values = values * (population.sum() / total)  # mass spilled outside comes back
    return np.column_stack([gx[inside], gy[inside]]), values


def cap_density(
    residents: NDArray[np.float64], area_km2: NDArray[np.float64], ceiling: float
) -> tuple[NDArray[np.float64], int]:
    """Bring every cell to at most ``ceiling`` per km², moving the excess to the other populated
    cells in proportion to their residents; the total is kept."""
    out = residents.astype(float).copy()
    cap = ceiling * np.asarray(area_km2, dtype=float)
    capped = np.zeros(len(out), dtype=bool)
    for _ in range(MAX_ROUNDS):
        over = out > cap + 1e-9
        if not over.any():
            break
        excess = float((out[over] - cap[over]).sum())
        out[over] = cap[over]
        capped |= over
        room = ~capped & (out > 0)
        if not room.any() or excess <= 0:
            break
        out[room] += excess * out[room] / out[room].sum()
    return out, int(capped.sum())


def whole_people(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Largest-remainder rounding: integers that add up to the rounded total."""
    floor = np.floor(values).astype(np.int64)
    missing = round(float(values.sum())) - int(floor.sum())
    if missing > 0:
        floor[np.argsort(-(values - floor))[:missing]] += 1
    return floor


def rescale_to_townships(
    grid: gpd.GeoDataFrame, residents: NDArray[np.float64], townships: gpd.GeoDataFrame
) -> NDArray[np.float64]:
    """Scale each township's cells (by centre) so they sum to its census ``population``."""
    if "population" not in townships.columns:
        msg = "the township table lacks a 'population' column; give each 街道/镇 its census total."
        raise InvalidInputError(msg)
    out = residents.astype(float).copy()
    centres = gpd.points_from_xy(grid["lon"], grid["lat"])
    for polygon, total in zip(townships.geometry, townships["population"], strict=True):
        inside = shapely.contains(polygon, centres)
        current = out[inside].sum()
        if current > 0:
            out[inside] *= float(total) / current
        elif inside.any():
            out[inside] = (
                float(total)
                * grid["area_km2"].to_numpy()[inside]
                / grid["area_km2"].to_numpy()[inside].sum()
            )
    return out


def distribute_residents(
    grid: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    boundary: BaseGeometry,
    metric_crs: CRS,
    resolution: int,
    norms: ResidentNorms | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> Residents:
    """Residents per cell of ``grid`` from ``demand`` (see the module docstring)."""
    norms = norms or packaged_norms().residents
    if len(demand) == 0:
        return Residents(np.zeros(len(grid), dtype=np.int64), 0.0, 0.0, "no demand data", 0)
    if "population" not in demand.columns:
        raise InvalidInputError("demand data lacks a 'population' column.")
    population = demand["population"].to_numpy(dtype=float)
    methods = set(demand["method"].astype(str)) if "method" in demand.columns else set()
    lon, lat = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    if methods == {RASTER_METHOD}:
        values, unassigned = _sum_points(grid, lon, lat, population, resolution)
        method, capped = "population raster, as given", 0
    else:
        bandwidth = norms.bandwidth_buildings_m if methods == {BUILDING_METHOD} else (
            norms.bandwidth_addresses_m)  # fmt: skip
        to_m = Transformer.from_crs(4326, metric_crs, always_xy=True)
        to_wgs = Transformer.from_crs(metric_crs, 4326, always_xy=True)
        region = shapely.transform(boundary, lambda c: np.column_stack(to_m.transform(*c.T)))
        xy = np.column_stack(to_m.transform(lon, lat))
        pixels, weights = kernel_surface(xy, population, region, bandwidth, norms.pixel_m)
        plon, plat = to_wgs.transform(pixels[:, 0], pixels[:, 1])
        values, unassigned = _sum_points(grid, np.asarray(plon), np.asarray(plat), weights,
                                         resolution)  # fmt: skip
        values, capped = cap_density(values, grid["area_km2"].to_numpy(), norms.ceiling_per_km2)
        method = f"Gaussian kernel, bandwidth {bandwidth:.0f} m, over {', '.join(sorted(methods))}"
    if townships is not None and len(townships):
        values = rescale_to_townships(grid, values, townships)
        method += "; rescaled to township census totals"
    return Residents(whole_people(values), float(population.sum()), unassigned, method, capped)
