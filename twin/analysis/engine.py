"""Per-hexagon service metrics for one district: 5G, charging, lockers, the 15-minute circle.

One call, :func:`compute`, lays the H3 grid, counts residents per cell, builds the CSR street
network once and measures every layer from each cell's centre. Column reference:

=================== =========================================================================
column              meaning
=================== =========================================================================
residents           residents in the cell (demand points summed, see ``twin.grid``)
rsrp_dbm            best-server RSRP (dBm, median); ``serving_site``; ``quality_5g`` class
covered_5g          RSRP ≥ the threshold (default −105 dBm)
charging_line_m     straight-line distance to the nearest charging station
charging_m          walking distance along the streets (estimated where flagged)
charging_radius_m   the cell's radius rule: 900 m inside the Outer Ring, 1,500 m outside
covered_charging    ``charging_m`` ≤ ``charging_radius_m``
locker_m            walking distance to the nearest locker group; ``covered_lockers`` ≤ 300 m
t_<category>        walking minutes to the nearest POI of the category (NaN: unmeasured)
lc_5/lc_10/lc_15    categories within 5, 10, 15 minutes
lc_mean_min         mean of the measured category times; ``lc_served``: all within 15 minutes
*_estimated         distance from the straight-line detour estimate, not the street network
score_*             0–1 component scores; ``service_index`` their weighted mean × 100
=================== =========================================================================

Scores: 5G rises linearly from −115 dBm (0) to −85 dBm (1); a distance score is 1 within the
radius and falls linearly to 0 at twice it; the life-circle score is the share of measured
categories within 15 minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from twin.analysis import life_circle, radio
from twin.grid import hex_grid, residents_per_cell
from twin.model import District
from twin.network import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_SNAP_M,
    StreetNetwork,
    nearest_facility,
    straight_line,
)
from twin.sources.pois import CATEGORIES

LAYERS = ("base_stations", "charging", "lockers")
DEFAULT_WEIGHTS = (("fiveg", 1.0), ("charging", 1.0), ("lockers", 1.0), ("life_circle", 1.0))


@dataclass(frozen=True)
class CoverageParams:
    """Settings of the coverage engine; defaults follow ``data/norms.toml``.

    Attributes:
        resolution: H3 resolution (7–10).
        radio: the 5G model's settings.
        walk_speed_kmh: walking speed; ``elderly`` switches to ``elderly_speed_kmh``.
        locker_radius_m: a locker group serves this walking distance.
        charging_radius_inside_m / _outside_m: the radius rule by ring class.
        life_circle_min: the life circle's limit in minutes.
        detour_factor: walking / straight-line ratio used where the network cannot tell.
        max_snap_m: farthest a point may be from the network to use it.
        search_limit_m: Dijkstra stops here; farther cells fall back to the estimate.
        weights: weights of the combined service index.
    """

    resolution: int = 9
    radio: radio.RadioParams = field(default_factory=radio.RadioParams)
    walk_speed_kmh: float = 4.5
    elderly: bool = False
    elderly_speed_kmh: float = 3.6
    locker_radius_m: float = 300.0
    charging_radius_inside_m: float = 900.0
    charging_radius_outside_m: float = 1500.0
    life_circle_min: float = 15.0
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    search_limit_m: float = 6000.0
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS

    @property
    def speed_kmh(self) -> float:
        return self.elderly_speed_kmh if self.elderly else self.walk_speed_kmh


@dataclass
class Coverage:
    """Hexagon metrics of a district and the figures derived from them."""

    cells: gpd.GeoDataFrame
    params: CoverageParams
    measured_categories: list[str]
    unassigned_population: float

    def share(self, flag: str, by: str = "residents") -> float:
        """Share of residents (or of area with ``by='area_km2'``) where ``flag`` is true."""
        weights = self.cells[by].to_numpy(dtype=float)
        total = weights.sum()
        return float(weights[self.cells[flag].to_numpy(dtype=bool)].sum() / total) if total else 0.0

    def life_circle_figures(self) -> dict[str, float]:
        times = self.cells[[f"t_{c}" for c in self.measured_categories]].to_numpy(dtype=float)
        return life_circle.district_figures(
            times, self.cells["residents"].to_numpy(dtype=float), self.params.life_circle_min
        )


def _distance_score(metres: NDArray, radius: NDArray | float) -> NDArray[np.float64]:
    return np.clip(2.0 - np.asarray(metres) / radius, 0.0, 1.0)


# walking-distance layer: (distance column, estimated flag, covered flag, score column)
DISTANCE_COLUMNS = {
    "charging": ("charging_m", "charging_estimated", "covered_charging", "score_charging"),
    "lockers": ("locker_m", "lockers_estimated", "covered_lockers", "score_lockers"),
}


def _put(cells: gpd.GeoDataFrame, rows: NDArray[np.int64] | None, column: str, values) -> None:  # type: ignore[no-untyped-def]
    """Write ``values`` to every cell (``rows`` None) or to the cells at positions ``rows``."""
    if rows is None:
        cells[column] = values
    else:
        cells.loc[cells.index[rows], column] = values


def write_fiveg(
    cells: gpd.GeoDataFrame,
    rows: NDArray[np.int64] | None,
    best: radio.BestServer,
    site_ids: NDArray,
    params: CoverageParams,
) -> None:
    """The 5G columns of ``rows`` (all cells when None) from a best-server result."""
    _put(cells, rows, "rsrp_dbm", np.round(best.rsrp_dbm, 2))
    _put(cells, rows, "serving_site",
         np.where(best.site_index >= 0, site_ids[best.site_index.clip(0)], ""))  # fmt: skip
    _put(cells, rows, "quality_5g", radio.quality_class(best.rsrp_dbm).astype(str))
    _put(cells, rows, "covered_5g", best.rsrp_dbm >= params.radio.covered_rsrp_dbm)
    _put(cells, rows, "score_fiveg", np.clip((best.rsrp_dbm + 115.0) / 30.0, 0.0, 1.0))


def write_distance(
    cells: gpd.GeoDataFrame,
    layer: str,
    rows: NDArray[np.int64] | None,
    metres: NDArray,
    estimated: NDArray,
    params: CoverageParams,
) -> None:
    """A walking-distance layer's columns for ``rows`` (all when None) against its radius rule.

    Charging reads each cell's ``charging_radius_m``, which must be set first.
    """
    column, estimated_flag, covered, score = DISTANCE_COLUMNS[layer]
    if layer == "charging":
        radius = cells["charging_radius_m"].to_numpy(dtype=float)
        radius = radius if rows is None else radius[rows]
    else:
        radius = params.locker_radius_m
    _put(cells, rows, column, np.round(metres, 1))
    _put(cells, rows, estimated_flag, estimated)
    _put(cells, rows, covered, metres <= radius)
    _put(cells, rows, score, _distance_score(metres, radius))


def _noop(_: str) -> None:
    return None


def compute(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    params: CoverageParams | None = None,
    progress: Callable[[str], None] = _noop,
) -> Coverage:
    """Hexagon metrics for ``district`` from its ``layers`` (any subset of :data:`LAYERS`)."""
    from layers._context import LayerContext

    params = params or CoverageParams()
    ctx = LayerContext(district)
    progress(f"laying H3 resolution {params.resolution} hexagons")
    cells = hex_grid(district.boundary, params.resolution, district.metric_crs, district.study_area)
    cells["residents"], unassigned = residents_per_cell(cells, district.demand, params.resolution)
    origins = np.column_stack(ctx.to_metric.transform(cells["lon"], cells["lat"]))
    network = None
    if district.has_streets:
        progress("building the street network (CSR)")
        network = StreetNetwork.from_graph(district.graph, district.metric_crs)

    def walk(facilities_xy: NDArray) -> tuple[NDArray, NDArray]:
        found = nearest_facility(
            network, origins, facilities_xy, params.search_limit_m, params.max_snap_m,
            params.detour_factor,
        )  # fmt: skip
        return found.metres, found.estimated

    if "base_stations" in layers:
        progress("5G best-server RSRP")
        sites = layers["base_stations"]
        best = radio.best_server(origins, ctx.xy(sites), sites, params.radio)
        write_fiveg(cells, None, best, sites["feature_id"].astype(str).to_numpy(), params)

    if "charging" in layers:
        progress("charging: straight-line and street distances")
        stations = ctx.xy(layers["charging"])
        inside = ctx.inside_outer_ring(cells["lon"].to_numpy(), cells["lat"].to_numpy())
        radius = np.where(inside, params.charging_radius_inside_m, params.charging_radius_outside_m)
        cells["charging_line_m"] = np.round(straight_line(origins, stations), 1)
        cells["charging_ring"] = np.where(inside, "inside", "outside")
        cells["charging_radius_m"] = radius
        write_distance(cells, "charging", None, *walk(stations), params)

    if "lockers" in layers:
        progress("lockers: walking distances")
        write_distance(cells, "lockers", None, *walk(ctx.xy(layers["lockers"])), params)

    measured = [c for c in CATEGORIES if (district.pois["category"] == c).any()]
    progress(f"15-minute life circle: {len(measured)} categories")
    times = np.full((len(cells), len(measured)), np.nan)
    any_estimated = np.zeros(len(cells), dtype=bool)
    for j, category in enumerate(measured):  # one multi-source Dijkstra per category
        metres, estimated = walk(ctx.pois_xy({category}))
        times[:, j] = life_circle.minutes(metres, params.speed_kmh)
        any_estimated |= estimated
    for category in CATEGORIES:
        column = times[:, measured.index(category)] if category in measured else np.nan
        cells[f"t_{category}"] = np.round(column, 2)
    limit = params.life_circle_min
    for ring in life_circle.RINGS_MIN:
        cells[f"lc_{ring}"] = life_circle.counts_within(times, ring)
    cells["lc_mean_min"] = np.round(times.mean(axis=1), 2) if measured else np.nan
    cells["lc_served"] = (times <= limit).all(axis=1) if measured else False
    cells["lc_estimated"] = any_estimated
    cells["score_life_circle"] = (times <= limit).mean(axis=1) if measured else np.zeros(len(cells))
    service_index(cells, params.weights)
    return Coverage(cells, params, measured, unassigned)


def service_index(cells: gpd.GeoDataFrame, weights: tuple[tuple[str, float], ...]) -> None:
    """(Re)write the combined service index from the component scores present."""
    parts = [(f"score_{name}", w) for name, w in weights if f"score_{name}" in cells and w > 0]
    if not parts:
        cells["service_index"] = np.nan
        return
    total = sum(w for _, w in parts)
    index = sum(cells[column].to_numpy(dtype=float) * w for column, w in parts) / total
    cells["service_index"] = np.round(100.0 * index, 1)
