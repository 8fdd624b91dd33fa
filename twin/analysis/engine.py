"""Per-hexagon service metrics for one district: 5G, charging, lockers, the 15-minute circle.

One call, :func:`compute`, lays the H3 grid, counts residents per cell, builds the CSR street
network once and measures every layer from each cell's centre. Column reference:

=================== =========================================================================
column              meaning
=================== =========================================================================
residents           whole residents in the cell (spread over where people live, see
                    ``twin.residents``)
rsrp_dbm            best-server RSRP (dBm, median over the hexagon's 7 sample points);
                    ``serving_site`` (at the centre); ``quality_5g`` class; ``sinr_db``;
                    ``throughput_mbps`` (single user, idle carrier)
p_covered_5g        covered share: mean P(RSRP ≥ −105 dBm) with shadowing over the sample
                    points; ``p_covered_5g_indoor`` the same indoors (deep coverage)
covered_5g          covered share ≥ the norms' cell reliability (90 %)
charging_line_m     straight-line distance to the nearest charging station
charging_m          walking distance along the streets (estimated where flagged)
charging_radius_m   service radius of the station that serves the cell best (each station's own
                    ``service_radius_m``: 900 m inside the Outer Ring, 1,500 m outside by default)
covered_charging    some station lies within its own service radius of the cell
locker_m            walking distance to the nearest locker group; ``covered_lockers``: within a
                    group's ``service_radius_m`` (300 m by default)
t_<category>        walking minutes to the nearest POI of the category (NaN: unmeasured)
lc_5/lc_10/lc_15    categories within 5, 10, 15 minutes
lc_mean_min         mean of the measured category times; ``lc_served``: all within 15 minutes
*_estimated         distance from the straight-line detour estimate, not the street network
score_*             0–1 component scores; ``service_index`` their weighted mean × 100
=================== =========================================================================

Walking distances follow the single reach rule of :mod:`twin.network`. Scores: 5G rises linearly
from −115 dBm (0) to −85 dBm (1); a distance score is 1 within the serving site's radius and falls
linearly to 0 at twice it; the life-circle score is the share of measured categories within 15
minutes. Every default comes from ``data/norms.toml`` through :meth:`CoverageParams.from_settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from twin import layers as layer_registry
from twin.analysis import life_circle, radio
from twin.analysis.served import add_served, aggregate, district_share
from twin.categories import CATEGORIES
from twin.context import LayerContext
from twin.grid import hex_grid, sample_points
from twin.model import District
from twin.network import ReachRule, Snapped, StreetNetwork, nearest, nearest_each, straight_line
from twin.norms import Facility, Norms, packaged_norms
from twin.residents import distribute_residents
from twin.settings import Settings

LAYERS = layer_registry.LAYER_NAMES
BASE_RESOLUTION = 10  # measured once at res 10 (≈ 0.015 km²); every coarser view aggregates it
DEFAULT_WEIGHTS = (
    ("base_stations", 1.0),
    ("charging", 1.0),
    ("lockers", 1.0),
    ("life_circle", 1.0),
)


@dataclass(frozen=True)
class CoverageParams:
    """Settings of the coverage engine. Built for a run by :meth:`from_settings` (the run's
    norms); the bare defaults are the packaged ``data/norms.toml``, never the environment.

    Attributes:
        resolution: the base H3 resolution the district is measured at (7–10, default 10);
            coarser views aggregate it (:meth:`Coverage.at`).
        radio: the 5G model's settings.
        walk_speed_kmh: walking speed; ``elderly`` switches to ``elderly_speed_kmh``.
        life_circle_min: the life circle's limit in minutes.
        reach: the reach rule (snap distance, detour factor) of every walking distance.
        weights: weights of the combined service index, by layer key.
    """

    resolution: int = BASE_RESOLUTION
    radio: radio.RadioParams = field(default_factory=radio.RadioParams)
    walk_speed_kmh: float = field(default_factory=lambda: packaged_norms().walking.speed_kmh)
    elderly: bool = False
    elderly_speed_kmh: float = field(
        default_factory=lambda: packaged_norms().walking.elderly_speed_kmh
    )
    life_circle_min: float = field(default_factory=lambda: packaged_norms().walking.life_circle_min)
    reach: ReachRule = field(default_factory=lambda: ReachRule.from_norms(packaged_norms()))
    facilities: tuple[Facility, ...] = field(
        default_factory=lambda: packaged_norms().walking.facilities
    )
    rings_min: tuple[float, ...] = field(default_factory=lambda: packaged_norms().walking.rings_min)
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    norms: Norms = field(default_factory=packaged_norms, repr=False, compare=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        resolution: int | None = None,
        elderly: bool = False,
        **overrides: object,
    ) -> CoverageParams:
        """Params from the settings in force: their norms, walking speed and resolution."""
        norms: Norms = settings.norms
        values: dict[str, object] = {
            "resolution": settings.h3_resolution if resolution is None else resolution,
            "radio": radio.RadioParams.from_norms(norms),
            "walk_speed_kmh": settings.speed_kmh,
            "elderly": elderly,
            "elderly_speed_kmh": norms.walking.elderly_speed_kmh,
            "life_circle_min": norms.walking.life_circle_min,
            "reach": ReachRule.from_norms(norms),
            "facilities": norms.walking.facilities,
            "rings_min": norms.walking.rings_min,
            "norms": norms,
        }
        return cls(**(values | overrides))  # type: ignore[arg-type]

    @property
    def speed_kmh(self) -> float:
        return self.elderly_speed_kmh if self.elderly else self.walk_speed_kmh

    def describe(self) -> dict[str, object]:
        """Every value as JSON-ready data (the norms by their file; the rest in full)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "norms"}
        described = cast(dict[str, object], _jsonable(asdict_shallow(values)))
        return described | {"norms": self.norms.source}


@dataclass
class Coverage:
    """Hexagon metrics of a district and the figures derived from them."""

    cells: gpd.GeoDataFrame
    params: CoverageParams
    measured_categories: list[str]
    unassigned_population: float
    residents_method: str = ""
    measured_facilities: list[str] = field(default_factory=list)
    # question → (low, high) offset of its share over the generator's other seeds
    # (:mod:`twin.analysis.reseed`); empty when no layer is generated or it was not asked
    seed_spread: dict[str, tuple[float, float]] = field(default_factory=dict)

    def share(self, flag: str, by: str = "residents") -> float:
        """Share of residents (or of area with ``by='area_km2'``) where ``flag`` is true."""
        return covered_share(self.cells, flag, by)

    @property
    def base_resolution(self) -> int:
        """The resolution the district was measured at; coarser views aggregate it."""
        return self.params.resolution

    def served_share(self, key: str) -> float:
        """The district's served share of a question (:mod:`twin.analysis.served`); NaN when
        the question could not be asked (no POI of any category, no site of the layer)."""
        if f"served_{key}" not in self.cells:
            return float("nan")
        return district_share(self.cells, key)

    def at(self, resolution: int | None = None) -> gpd.GeoDataFrame:
        """The hexagons seen at ``resolution`` (≤ the base): sums and served shares of the
        base hexagons, never the rule re-applied (None: the base itself)."""
        if resolution is None or resolution == self.base_resolution:
            return self.cells
        reliability = self.params.radio.cell_reliability
        thresholds = {"base_stations": reliability, "base_stations_deep": reliability}
        return aggregate(self.cells, self.base_resolution, resolution, thresholds)

    def standard_figures(self) -> dict[str, object]:
        """The GB 50180 checklist's district figures (see :func:`life_circle.checklist`)."""
        chosen = [f for f in self.params.facilities if f.key in self.measured_facilities]
        scale = self.params.speed_kmh / self.params.walk_speed_kmh
        distances = (
            self.cells[[f"gb_{f.key}_m" for f in chosen]].to_numpy(dtype=float)
            if chosen
            else np.empty((len(self.cells), 0))
        )
        return life_circle.checklist(
            distances, np.array([f.distance_m * scale for f in chosen]),
            self.cells["residents"].to_numpy(dtype=float), [f.key for f in chosen],
            [f.label for f in chosen], [f.level_min for f in chosen],
            [f.label for f in self.params.facilities if f not in chosen],
        )  # fmt: skip

    def category_figures(self) -> list[dict[str, object]]:
        """Per category of daily needs: residents' mean walk and the share within the life
        circle's limit, from the base hexagons (None where no POI of it was found)."""
        residents = self.cells["residents"].to_numpy(dtype=float)
        limit = self.params.life_circle_min
        rows: list[dict[str, object]] = []
        for category in CATEGORIES:
            row: dict[str, object] = {"category": category, "mean_min": None, "share_within": None}
            if category in self.measured_categories:
                times = self.cells[f"t_{category}"].to_numpy(dtype=float)
                row["mean_min"] = life_circle.weighted_mean(times, residents)
                row["share_within"] = life_circle.weighted_mean(
                    (times <= limit).astype(float), residents
                )
            rows.append(row)
        return rows

    def life_circle_figures(self) -> dict[str, float]:
        """Mean walk, F15 and Gini; F15 is the life-circle question's served share (one code
        path with the report row and the map)."""
        times = self.cells[[f"t_{c}" for c in self.measured_categories]].to_numpy(dtype=float)
        figures = life_circle.district_figures(
            times, self.cells["residents"].to_numpy(dtype=float), self.params.life_circle_min
        )
        if self.measured_categories and "served_life_circle" in self.cells:
            figures["f15"] = self.served_share("life_circle")
        return figures


def asdict_shallow(values: dict[str, object]) -> dict[str, object]:
    """Dataclass values (a :class:`RadioParams`, a :class:`ReachRule`) as dicts, one level."""
    return {k: asdict(v) if is_dataclass(v) and not isinstance(v, type) else v
            for k, v in values.items()}  # fmt: skip


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    return value


def covered_share(cells: gpd.GeoDataFrame, flag: str, by: str = "residents") -> float:
    """Share of ``by`` (residents or area) in the cells where ``flag`` is true."""
    weights = cells[by].to_numpy(dtype=float)
    total = weights.sum()
    return float(weights[cells[flag].to_numpy(dtype=bool)].sum() / total) if total else 0.0


@dataclass(frozen=True)
class WalkService:
    """A walking-distance layer seen from each cell, under each site's own service radius."""

    metres: NDArray[np.float64]  # to the nearest site
    estimated: NDArray[np.bool_]
    covered: NDArray[np.bool_]  # some site lies within its own radius
    radius_m: NDArray[np.float64]  # radius of the site that serves the cell best
    ratio: NDArray[np.float64]  # that site's distance / its radius (covered when ≤ 1)

    @property
    def score(self) -> NDArray[np.float64]:
        """1 within the serving site's radius, falling linearly to 0 at twice it."""
        return np.clip(2.0 - self.ratio, 0.0, 1.0)


def walk_service(
    network: StreetNetwork | None,
    cells_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    radii: NDArray[np.float64],
    rule: ReachRule,
    cells_snap: Snapped | None = None,
) -> WalkService:
    """Distances and coverage of every cell: one multi-source Dijkstra per distinct radius.

    ``cells_snap`` is the cells' snap to the network, when already known."""
    n = len(cells_xy)
    metres, estimated = np.full(n, np.inf), np.ones(n, dtype=bool)
    ratio, radius = np.full(n, np.inf), np.full(n, np.nan)
    if network is not None and network.n_nodes and cells_snap is None and len(np.unique(radii)) > 1:
        cells_snap = network.snap(cells_xy, rule.max_snap_m)
    for r in np.unique(radii):
        found = nearest(network, cells_xy, sites_xy[radii == r], rule, cells_snap)
        closer = found.metres < metres
        metres = np.where(closer, found.metres, metres)
        estimated = np.where(closer, found.estimated, estimated)
        better = found.metres / r < ratio
        ratio = np.where(better, found.metres / r, ratio)
        radius = np.where(better, r, radius)
    return WalkService(metres, estimated, ratio <= 1.0, radius, ratio)


# walking-distance layer: (distance, estimated flag, covered flag, score, radius, ratio columns)
DISTANCE_COLUMNS = {
    "charging": (
        "charging_m", "charging_estimated", "covered_charging", "score_charging",
        "charging_radius_m", "charging_reach_ratio",
    ),
    "lockers": ("locker_m", "lockers_estimated", "covered_lockers", "score_lockers",
                "locker_radius_m", "locker_reach_ratio"),
}  # fmt: skip


def _put(cells: gpd.GeoDataFrame, rows: NDArray[np.int64] | None, column: str, values) -> None:
    """Write ``values`` to every cell (``rows`` None) or to the cells at positions ``rows``."""
    if rows is None:
        cells[column] = values
    else:
        cells.loc[cells.index[rows], column] = values


def _group_median(values: NDArray, groups: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """Median of ``values`` per group 0..n-1 (NaN for empty groups), vectorised."""
    out = np.full(n, np.nan)
    if not len(values):
        return out
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    starts = np.searchsorted(g, np.arange(n), "left")
    ends = np.searchsorted(g, np.arange(n), "right")
    has = ends > starts
    lo, hi = (
        starts[has] + (ends[has] - starts[has] - 1) // 2,
        starts[has] + (ends[has] - starts[has]) // 2,
    )
    out[has] = (v[lo] + v[hi]) / 2.0
    return out


def _group_mean(values: NDArray, groups: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    counts = np.bincount(groups, minlength=n)
    return np.bincount(groups, weights=values, minlength=n) / np.maximum(counts, 1)


def write_fiveg(
    cells: gpd.GeoDataFrame,
    rows: NDArray[np.int64] | None,
    ctx: LayerContext,
    sites: gpd.GeoDataFrame,
    params: CoverageParams,
) -> None:
    """The 5G columns of ``rows`` (all cells when None), from seven sample points per hexagon.

    ``p_covered_5g`` is the hexagon's covered share (mean coverage probability of its points,
    at the norms' penetration), ``p_covered_5g_indoor`` the same indoors (low-loss O2I: "deep
    coverage"); ``covered_5g`` is that share ≥ ``cell_reliability``; RSRP and SINR are the
    medians over the points; throughput the mean single-user rate.
    """
    subset = cells if rows is None else cells.iloc[rows]
    n = len(subset)
    owner, lon, lat = sample_points(subset["cell"].to_numpy(dtype=np.uint64), params.resolution)
    xy, sites_xy = ctx.xy_of(lon, lat), ctx.xy(sites)
    outdoor = radio.subscriber_view(xy, sites_xy, sites, params.radio)
    rsrp = _group_median(outdoor.rsrp_dbm, owner, n)
    share = _group_mean(outdoor.p_covered, owner, n)
    centre = np.full(n, -1, dtype=np.int64)
    cell_of, first = np.unique(owner, return_index=True)  # a cell's first child is its centre
    centre[cell_of] = outdoor.site_index[first]
    site_ids = sites["feature_id"].astype(str).to_numpy()
    _put(cells, rows, "rsrp_dbm", np.round(rsrp, 2))
    _put(cells, rows, "sinr_db", np.round(_group_median(outdoor.sinr_db, owner, n), 2))
    _put(
        cells, rows, "throughput_mbps", np.round(_group_mean(outdoor.throughput_mbps, owner, n), 1)
    )
    deep = _group_mean(outdoor.p_covered_deep, owner, n)
    _put(cells, rows, "p_covered_5g", np.round(share, 4))
    _put(cells, rows, "p_covered_5g_indoor", np.round(deep, 4))
    _put(cells, rows, "serving_site", np.where(centre >= 0, site_ids[centre.clip(0)], ""))
    quality = radio.quality_class(rsrp, params.radio.quality_edges_dbm)
    _put(cells, rows, "quality_5g", quality.astype(str))
    _put(cells, rows, "covered_5g", share >= params.radio.cell_reliability)
    _put(cells, rows, "covered_5g_deep", np.round(deep, 4) >= params.radio.cell_reliability)
    _put(cells, rows, "score_base_stations", share)


# a coverage's hexagons and residents (:func:`twin.grid.hex_grid` and the residents' columns)
GRID_COLUMNS = ("h3", "cell", "lon", "lat", "area_km2", "inside_share", "study_share", "in_study",
                "geometry", "residents", "residents_per_km2")  # fmt: skip
FIVEG_COLUMNS = (
    "rsrp_dbm", "sinr_db", "throughput_mbps", "p_covered_5g", "p_covered_5g_indoor",
    "serving_site", "quality_5g", "covered_5g", "covered_5g_deep", "score_base_stations",
)  # fmt: skip


def write_distance(
    cells: gpd.GeoDataFrame, layer: str, rows: NDArray[np.int64] | None, service: WalkService
) -> None:
    """A walking-distance layer's columns for ``rows`` (all when None)."""
    column, estimated_flag, covered, score, radius, ratio = DISTANCE_COLUMNS[layer]
    _put(cells, rows, column, np.round(service.metres, 1))
    _put(cells, rows, estimated_flag, service.estimated)
    _put(cells, rows, covered, service.covered)
    _put(cells, rows, score, service.score)
    _put(cells, rows, radius, service.radius_m)
    _put(cells, rows, ratio, np.round(service.ratio, 4))


def _noop(_: str) -> None:
    return None


def compute(
    district: District,
    layers: dict[str, gpd.GeoDataFrame],
    params: CoverageParams | None = None,
    progress: Callable[[str], None] = _noop,
    network: StreetNetwork | None = None,
    townships: gpd.GeoDataFrame | None = None,
    measured_signal: pd.DataFrame | None = None,
    workers: int | None = None,
    fiveg_from: pd.DataFrame | None = None,
    grid_from: Coverage | None = None,
) -> Coverage:
    """Hexagon metrics for ``district`` from its ``layers`` (any subset of :data:`LAYERS`).

    ``network`` reuses a CSR street network already built for the district; ``townships``
    (polygons with a census ``population``) rescales residents township by township;
    ``workers`` caps the processes of the walking measures (None: one per core);
    ``fiveg_from`` holds hexagons measured with the same 5G sites and radio model on the same
    grid (the other walking profile of a build, say): their 5G columns are taken as they are;
    ``grid_from`` is the coverage of the same district at the same resolution with the same
    residents norms and no ``townships``: its hexagons and residents are taken as they are.
    """
    params = params or CoverageParams()
    ctx = LayerContext(district, params.norms)
    if grid_from is not None and townships is None:
        progress("hexagons and residents: those of the coverage given")
        cells = grid_from.cells[list(GRID_COLUMNS)].copy()
        unassigned, residents_method = grid_from.unassigned_population, grid_from.residents_method
    else:
        progress(f"laying H3 resolution {params.resolution} hexagons")
        cells = hex_grid(district.boundary, params.resolution, district.metric_crs,
                         district.study_area)  # fmt: skip
        residents = distribute_residents(cells, district.demand, district.boundary,
                                         district.metric_crs, params.resolution,
                                         params.norms.residents, townships)  # fmt: skip
        cells["residents"] = residents.counts
        cells["residents_per_km2"] = np.round(
            residents.counts / np.maximum(cells["area_km2"].to_numpy(), 1e-9), 0
        )
        unassigned, residents_method = residents.unassigned, residents.describe()
    origins = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    if network is None and district.streets is not None and district.has_streets:
        progress("building the street network (CSR)")
        network = district.streets.network
    # every walking measure starts from the same cells: join them to the streets once
    cells_snap = network.snap(origins, params.reach.max_snap_m) if network is not None else None

    if "base_stations" in layers:
        same_grid = fiveg_from is not None and np.array_equal(
            fiveg_from["cell"].to_numpy(), cells["cell"].to_numpy()
        )
        if fiveg_from is not None and same_grid:
            progress("5G: the same sites and radio model as the build given: its columns")
            for name in FIVEG_COLUMNS:
                cells[name] = fiveg_from[name].to_numpy()
        else:
            progress("5G best-server RSRP")
            write_fiveg(cells, None, ctx, layers["base_stations"], params)

    if "charging" in layers:
        progress("charging: straight-line and street distances")
        stations = ctx.xy(layers["charging"])
        inside = ctx.inside_outer_ring(cells["lon"].to_numpy(), cells["lat"].to_numpy())
        cells["charging_line_m"] = np.round(straight_line(origins, stations), 1)
        cells["charging_ring"] = np.where(inside, "inside", "outside")

    for layer in (name for name in layer_registry.WALKING_LAYERS if name in layers):
        progress(f"{layer}: walking distances within each site's service radius")
        sites = layers[layer]
        radii = layer_registry.site_radii(layer, ctx, sites)
        service = walk_service(network, origins, ctx.xy(sites), radii, params.reach, cells_snap)
        write_distance(cells, layer, None, service)

    measured = [c for c in CATEGORIES if (district.pois["category"] == c).any()]
    progress(f"15-minute life circle: {len(measured)} categories")
    times = np.full((len(cells), len(measured)), np.nan)
    any_estimated = np.zeros(len(cells), dtype=bool)
    # one multi-source Dijkstra per category, over the cores on a large network
    per_category = nearest_each(network, origins, [ctx.pois_xy({c}) for c in measured],
                                params.reach, cells_snap, workers=workers)  # fmt: skip
    for j, found in enumerate(per_category):
        times[:, j] = life_circle.minutes(found.metres, params.speed_kmh)
        any_estimated |= found.estimated
    for category in CATEGORIES:
        column = times[:, measured.index(category)] if category in measured else np.nan
        cells[f"t_{category}"] = np.round(column, 2)
    limit = params.life_circle_min
    for ring in params.rings_min:
        cells[f"lc_{ring:g}"] = life_circle.counts_within(times, ring)
    cells["lc_mean_min"] = np.round(times.mean(axis=1), 2) if measured else np.nan
    cells["lc_served"] = (times <= limit).all(axis=1) if measured else False
    cells["lc_missing"] = len(measured) - cells[f"lc_{limit:g}"] if measured else 0
    cells["lc_estimated"] = any_estimated
    cells["score_life_circle"] = (times <= limit).mean(axis=1) if measured else np.zeros(len(cells))
    facilities = standard_checklist(cells, district, origins, network, ctx, params, progress,
                                    cells_snap, workers)  # fmt: skip
    if measured_signal is not None and "rsrp_dbm" in cells:
        add_measured_signal(cells, measured_signal)
    service_index(cells, params.weights)
    add_served(cells)
    unasked = [q for q, asked in (("life_circle", measured), ("standard", facilities)) if not asked]
    for key in unasked:  # nothing measured is not "nobody served": the question has no figure
        cells.drop(columns=[f"served_{key}", f"unserved_{key}"], inplace=True)
    return Coverage(cells, params, measured, unassigned, residents_method, facilities)


def add_measured_signal(cells: gpd.GeoDataFrame, measured: pd.DataFrame) -> None:
    """Measured next to modelled: samples, measured RSRP quantiles and SINR median per hexagon,
    and the residual (measured − modelled median RSRP); NaN where nothing was measured."""
    table = measured.set_index("cell")
    ids = cells["cell"].to_numpy()
    for column in ("samples", "rsrp_median", "rsrp_p10", "rsrp_p90", "sinr_median"):
        if column in table:
            values = table[column].reindex(ids).to_numpy(dtype=float)
            cells[f"measured_{column}"] = np.nan_to_num(values) if column == "samples" else values
    cells["residual_rsrp_db"] = np.round(cells["measured_rsrp_median"] - cells["rsrp_dbm"], 1)


def distinct_rows(flags: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """The distinct rows of a boolean matrix and each row's position among them
    (``patterns[inverse]`` is ``flags``), found on the rows' packed bits: what
    ``np.unique(axis=0)`` answers, up to the patterns' order, in a fraction of its time.

    >>> patterns, inverse = distinct_rows(np.array([[True, False], [False, False], [True, False]]))
    >>> patterns[inverse].tolist(), len(patterns)
    ([[True, False], [False, False], [True, False]], 2)
    """
    n, m = flags.shape
    if m == 0:  # every row is the empty pattern
        return np.zeros((min(n, 1), 0), dtype=bool), np.zeros(n, dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(flags, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return flags[first], inverse.astype(np.int64).ravel()


def standard_checklist(
    cells: gpd.GeoDataFrame,
    district: District,
    origins: NDArray[np.float64],
    network: StreetNetwork | None,
    ctx: LayerContext,
    params: CoverageParams,
    progress: Callable[[str], None] = _noop,
    cells_snap: Snapped | None = None,
    workers: int | None = None,
) -> list[str]:
    """The GB 50180 checklist per cell: each facility type within its own walking distance.

    Columns ``gb_<key>_m`` (walking distance), ``gb_met`` (facilities met), ``gb_missing``
    (labels of the measured facilities not met), ``gb_all_met``, ``gb_estimated``. Returns the
    keys of the facilities measured (those with at least one POI).
    """
    facilities = params.facilities
    kinds = district.pois.get("facility")
    measured = [f for f in facilities if kinds is not None and (kinds == f.key).any()]
    progress(f"GB 50180 checklist: {len(measured)} of {len(facilities)} facility types")
    scale = params.speed_kmh / params.walk_speed_kmh  # the elderly walk less far in the time
    within = np.ones((len(cells), len(measured)), dtype=bool)
    estimated = np.zeros(len(cells), dtype=bool)
    per_type = nearest_each(network, origins,
                            [ctx.xy(district.pois[kinds == f.key]) for f in measured],
                            params.reach, cells_snap, workers=workers)  # fmt: skip
    for j, (facility, found) in enumerate(zip(measured, per_type, strict=True)):
        within[:, j] = found.metres <= facility.distance_m * scale
        cells[f"gb_{facility.key}_m"] = np.round(found.metres, 1)
        estimated |= found.estimated
    patterns, which = distinct_rows(~within)  # a few distinct gaps
    labels = np.array([f.label for f in measured], dtype=object)
    texts = np.array(["; ".join(labels[row]) for row in patterns], dtype=object)
    cells["gb_met"] = within.sum(axis=1)
    cells["gb_missing_count"] = len(measured) - within.sum(axis=1)
    cells["gb_missing"] = texts[which.ravel()] if len(cells) else []
    cells["gb_all_met"] = within.all(axis=1) if measured else False
    cells["gb_estimated"] = estimated
    return [f.key for f in measured]


def service_index(cells: gpd.GeoDataFrame, weights: tuple[tuple[str, float], ...]) -> None:
    """(Re)write the combined service index from the component scores present."""
    parts = [(f"score_{name}", w) for name, w in weights if f"score_{name}" in cells and w > 0]
    if not parts:
        cells["service_index"] = np.nan
        return
    total = sum(w for _, w in parts)
    index = sum(cells[column].to_numpy(dtype=float) * w for column, w in parts) / total
    cells["service_index"] = np.round(100.0 * index, 1)
