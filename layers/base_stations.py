"""Generated 5G base stations, calibrated to the plan's site count.

The count is the plan's target where the plan gives one; elsewhere (a qualitative target, a
2020 baseline, no plan) it is Shanghai's published total (68,000 outdoor sites, end of 2022)
spread by population share, so neighbouring districts are comparable. Placement covers the whole
district (radio needs no street network): an inhomogeneous Matérn II process over street points
and rooftops, its intensity a kernel over residents, POIs and streets (see
:mod:`twin.layers.placement`), one hard core per class: macro cells (UMa, 25 m, 200 W) first,
then micro cells (UMi, 10 m, 5 W) where demand is densest. Radio attributes follow Chinese
deployments: China Mobile on n41 (2.6 GHz, 160 MHz), China Telecom / China Unicom sharing n78
(3.5 GHz, 100 MHz), China Broadnet on n28 (700 MHz, 30 MHz, macro only). Each site's downtilt
aims its beam at its nearest neighbour's distance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from twin.context import LayerContext
from twin.layers.contract import make_layer
from twin.layers.placement import (
    inhibited_sites,
    kernel_intensity,
    mean_spacing,
    stack_candidates,
    uniform_points,
)
from twin.model import District
from twin.norms import BandSpec, FiveGNorms, Norms, packaged_norms

LAYER = "base_stations"


def _fiveg() -> FiveGNorms:
    return packaged_norms().fiveg


@dataclass(frozen=True)
class BaseStationParams:
    """Parameters of the 5G layer; defaults from ``data/norms.toml`` ([fiveg]).

    Attributes:
        seed: random seed; the same seed and district give the same layout.
        count: number of sites; None takes the plan target, or derives it from the spacing.
        spacing_m: preferred inter-site distance per area class.
        micro_share: share of micro cells (UMi) per area class.
        bands: radio spec and share of sites per band (n41, n78, n28).
        macro_height_m / micro_height_m: antenna heights of UMa and UMi sites.
        micro_tx_power_dbm / micro_antenna_gain_dbi: the micro cells' radio.
        layer: how the layer is drawn ([fiveg.layer]: city totals, rooftops, street preference
            and the weights of the demand surface sites follow, :func:`site_demand`).
    """

    seed: int = 2025
    count: int | None = None
    spacing_m: Mapping[str, float] = field(default_factory=lambda: _fiveg().site_spacing_m)
    micro_share: Mapping[str, float] = field(default_factory=lambda: _fiveg().micro_share)
    bands: Mapping[str, BandSpec] = field(default_factory=lambda: _fiveg().bands)
    macro_height_m: float = field(default_factory=lambda: _fiveg().macro_height_m)
    micro_height_m: float = field(default_factory=lambda: _fiveg().micro_height_m)
    micro_tx_power_dbm: float = field(default_factory=lambda: _fiveg().micro_tx_power_dbm)
    micro_antenna_gain_dbi: float = field(default_factory=lambda: _fiveg().micro_antenna_gain_dbi)
    layer: Mapping[str, float] = field(default_factory=lambda: _fiveg().layer)

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: object) -> BaseStationParams:
        """Params from a run's norms ([fiveg]); ``overrides`` set other fields."""
        n = norms.fiveg
        values: dict[str, object] = {
            "spacing_m": n.site_spacing_m, "micro_share": n.micro_share, "bands": n.bands,
            "macro_height_m": n.macro_height_m, "micro_height_m": n.micro_height_m,
            "micro_tx_power_dbm": n.micro_tx_power_dbm,
            "micro_antenna_gain_dbi": n.micro_antenna_gain_dbi, "layer": n.layer,
        }  # fmt: skip
        return cls(**(values | overrides))  # type: ignore[arg-type]


def candidates(ctx: LayerContext) -> tuple[np.ndarray, np.ndarray]:
    """Where a new site can go: street points every ~100 m and rooftops (seeded, uniform)."""
    rooftops = uniform_points(ctx.region, 100.0, np.random.default_rng(0))
    return stack_candidates([(ctx.street_xy[::4], "street"), (rooftops, "rooftop")])


def site_count(district: District, params: BaseStationParams) -> tuple[int, str]:
    """The number of sites and where it comes from."""
    if params.count is not None:
        return params.count, "set by the user"
    target = district.preset.target("base_stations_5g")
    if target is not None and target.kind == "target" and target.value is not None:
        return int(target.value), "the plan's 5G base-station target"
    layer = params.layer
    share = district.preset.population / layer["city_population"]
    count = max(1, round(layer["city_sites_total"] * share))
    why = "no number in the plan" if target is None or target.value is None else (
        f"the plan's figure is a {target.year} {target.kind}")  # fmt: skip
    return count, (
        f"{why}: Shanghai's {layer['city_sites_total']:,.0f} outdoor 5G sites (end of 2022) × "
        f"the district's {share:.1%} of the city's residents"
    )


def downtilts(xy: np.ndarray, height_m: np.ndarray, ue_height_m: float = 1.5) -> np.ndarray:
    """Downtilt that aims each site's main beam at its nearest neighbour's distance.

    ``atan((h − h_UE) / d_nn)``, clipped to 2–15° (the range of electrical tilt of common
    panels): dense networks tilt steeply, sparse ones little, as planners set them.
    """
    if len(xy) < 2:
        return np.full(len(xy), 2.0)
    d_nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    tilt = np.degrees(np.arctan2(height_m - ue_height_m, np.maximum(d_nn, 1.0)))
    return np.round(np.clip(tilt, 2.0, 15.0), 1)


COMMERCIAL = {"eating"}  # the POI categories that stand for commercial density (shops, restaurants)


def site_demand(
    ctx: LayerContext, layer_norms: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The points and weights (in residents) of the surface macro sites follow.

    Operators put macro sites where traffic is: commercial streets, main roads and dense homes
    (Lee et al., "Spatial modeling of the traffic density in cellular networks", IEEE Wireless
    Communications 2014: traffic follows POI density more closely than population). Each
    resident weighs ``weight_per_resident``; every POI ``weight_per_poi``, a commercial one
    (restaurants, shops) ``weight_per_commercial_poi`` more; 25 m of main road
    ``weight_per_main_road_point`` and of any street ``weight_per_street_point`` (the weights in
    [fiveg.layer] of the norms).
    """
    every_poi = ctx.pois_xy({"eating", "healthcare", "learning", "moving", "cultural"})
    commercial = ctx.pois_xy(COMMERCIAL)
    main = ctx.main_street_xy
    parts = (
        (ctx.demand_xy, ctx.demand_population * layer_norms["weight_per_resident"]),
        (every_poi, np.full(len(every_poi), layer_norms["weight_per_poi"])),
        (commercial, np.full(len(commercial), layer_norms["weight_per_commercial_poi"])),
        (main, np.full(len(main), layer_norms["weight_per_main_road_point"])),
        (ctx.street_xy, np.full(len(ctx.street_xy), layer_norms["weight_per_street_point"])),
    )
    xy = np.vstack([np.asarray(p, dtype=float).reshape(-1, 2) for p, _ in parts])
    return xy, np.concatenate([np.asarray(w, dtype=float) for _, w in parts])


def generate(district: District, params: BaseStationParams | None = None) -> gpd.GeoDataFrame:
    """5G sites for ``district`` as a contract-conforming GeoDataFrame (EPSG:4326)."""
    params = params or BaseStationParams()
    rng = np.random.default_rng(params.seed)
    ctx = LayerContext(district)
    layer_norms = params.layer
    n, count_source = site_count(district, params)
    n_micro = round(n * params.micro_share[district.preset.area_class])
    n_macro = n - n_micro
    weight_xy, weights = site_demand(ctx, layer_norms)
    rooftops = uniform_points(ctx.region, layer_norms["rooftops_per_km2"], rng)
    cand_xy, cand_kind = stack_candidates([(ctx.street_xy, "street"), (rooftops, "rooftop")])
    area = float(ctx.region.area)
    preference = {"street": layer_norms["street_preference"], "rooftop": 1.0}
    s_macro = mean_spacing(area, n_macro)
    demand = kernel_intensity(cand_xy, weight_xy, weights, s_macro)
    floor = 0.05 * demand.mean()  # every part of the district gets some sites
    macro = inhibited_sites(ctx.region, n_macro, layer_norms["hard_core_fraction"] * s_macro,
                            cand_xy, cand_kind, demand + floor, rng, kind_weight=preference)  # fmt: skip
    s_micro = mean_spacing(area, n_micro)
    # micro cells go where demand peaks: only the top quarter of the demand surface is eligible
    dense = np.where(demand >= np.quantile(demand, 0.75), demand**2, 0.0)
    micro_sites = inhibited_sites(
        ctx.region, n_micro, layer_norms["hard_core_fraction"] * s_micro, cand_xy, cand_kind,
        dense + 1e-12, rng, kind_weight=preference, avoid_xy=macro.xy,
    )  # fmt: skip
    xy = np.vstack([macro.xy, micro_sites.xy])
    kinds = np.concatenate([macro.kind, micro_sites.kind])
    micro = np.arange(n) >= n_macro
    lon, lat = ctx.lonlat(xy)
    names = list(params.bands)
    shares = np.array([params.bands[b].share for b in names])
    high = np.array([params.bands[b].frequency_ghz >= 1.0 for b in names])  # micro: no sub-1 GHz
    bands = np.where(
        micro,
        rng.choice(names, size=n, p=np.where(high, shares, 0) / shares[high].sum()),
        rng.choice(names, size=n, p=shares / shares.sum()),
    )
    specs = [params.bands[b] for b in bands]
    first_azimuth = rng.integers(0, 120, n)
    height = np.where(micro, params.micro_height_m, params.macro_height_m)
    ids = [f"BS-{district.preset.adcode}-{i:05d}" for i in range(n)]
    frame = make_layer(
        LAYER,
        ids,
        lon,
        lat,
        {
            "site_id": ids,
            "height_m": height,
            "cell_type": np.where(micro, "UMi", "UMa"),
            "azimuth_1": first_azimuth,
            "azimuth_2": first_azimuth + 120,
            "azimuth_3": first_azimuth + 240,
            "operator": np.array([s.operator for s in specs], dtype=str),
            "band": bands,
            "frequency_ghz": np.array([s.frequency_ghz for s in specs], dtype=float),
            "bandwidth_mhz": np.array([s.bandwidth_mhz for s in specs], dtype=float),
            "tx_power_dbm": np.where(
                micro, params.micro_tx_power_dbm, [s.tx_power_dbm for s in specs]
            ),
            "antenna_gain_dbi": np.where(
                micro, params.micro_antenna_gain_dbi, [s.antenna_gain_dbi for s in specs]
            ),
            "downtilt_deg": downtilts(xy, height),
            "snapped_to": kinds.astype(str),
        },
        "generated",
    )
    frame = macro.annotate(
        frame,
        [
            f"{n:,} sites: {count_source}",
            f"mean spacing {mean_spacing(area, n):.0f} m (typical {district.preset.area_class} "
            f"inter-site distance in China: {params.spacing_m[district.preset.area_class]:.0f} m)",
            f"{n_macro:,} macro sites, hard core {macro.hard_core_m:.0f} m; {n_micro:,} micro "
            f"sites where demand is densest, hard core {micro_sites.hard_core_m:.0f} m "
            "(inhomogeneous Matérn II over street points and rooftops)",
        ],
    )
    frame.attrs["min_spacing_m"] = min(macro.hard_core_m, micro_sites.hard_core_m or np.inf)
    return frame
