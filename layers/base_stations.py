"""Generated 5G base stations, calibrated to the plan's site count.

Placement covers the whole district (radio needs no street network), weighted by residents,
POIs and streets, on a hexagonal lattice whose spacing is the norm for the area class (core
250 m, urban 400 m, suburban 700 m) or tighter when the plan's count needs it; sites snap to a
street within a quarter of the spacing where the network exists (rooftop and pole sites line
streets). Radio attributes follow Chinese deployments: China Mobile on n41 (2.6 GHz, 160 MHz),
China Telecom / China Unicom sharing n78 (3.5 GHz, 100 MHz), China Broadnet on n28 (700 MHz,
30 MHz); macro cells (UMa, 25 m, 200 W) and, in the core, micro cells (UMi, 10 m, 5 W).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from twin.context import LayerContext
from twin.layers.contract import make_layer
from twin.layers.placement import hex_lattice, place_sites, stack_candidates
from twin.model import District
from twin.norms import BandSpec, FiveGNorms, default_norms

LAYER = "base_stations"


def _fiveg() -> FiveGNorms:
    return default_norms().fiveg


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
        weight_per_poi: demand weight of a POI, in residents.
        weight_per_street_point: demand weight of 25 m of street, in residents.
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
    weight_per_poi: float = 50.0
    weight_per_street_point: float = 5.0


def candidates(ctx: LayerContext) -> tuple[np.ndarray, np.ndarray]:
    """Where a new site can go: street points every ~100 m and rooftops on a 150 m lattice."""
    return stack_candidates(
        [(ctx.street_xy[::4], "street"), (hex_lattice(ctx.region, 150.0), "rooftop")]
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


def site_count(district: District, params: BaseStationParams) -> tuple[int, str]:
    """The number of sites and where it comes from."""
    if params.count is not None:
        return params.count, "set by the user"
    target = district.preset.target_value("base_stations_5g")
    if target is not None:
        return int(target), "the plan's 5G base-station figure"
    spacing = params.spacing_m[district.preset.area_class]
    per_site_km2 = np.sqrt(3) / 2 * spacing**2 / 1e6
    count = int(np.ceil(district.area_km2 / per_site_km2))
    return count, (
        f"no plan number: derived from {spacing:.0f} m spacing ({district.preset.area_class}), "
        f"{district.area_km2:.0f} km² / {per_site_km2:.3f} km² per site"
    )


def generate(district: District, params: BaseStationParams | None = None) -> gpd.GeoDataFrame:
    """5G sites for ``district`` as a contract-conforming GeoDataFrame (EPSG:4326)."""
    params = params or BaseStationParams()
    rng = np.random.default_rng(params.seed)
    ctx = LayerContext(district)
    n, count_source = site_count(district, params)
    pois_xy = ctx.pois_xy({"eating", "healthcare", "learning", "moving", "cultural"})
    demand_xy = np.vstack([ctx.demand_xy, pois_xy, ctx.street_xy])
    weights = np.concatenate(
        [
            ctx.demand_population,
            np.full(len(pois_xy), params.weight_per_poi),
            np.full(len(ctx.street_xy), params.weight_per_street_point),
        ]
    )
    floor = 0.02 * weights.sum() / max(n, 1)  # every part of the district gets some sites
    placement = place_sites(
        ctx.region, n, params.spacing_m[district.preset.area_class], demand_xy, weights,
        *stack_candidates([(ctx.street_xy, "street")]), rng, floor,
    )  # fmt: skip
    lon, lat = ctx.lonlat(placement.xy)
    micro = rng.random(n) < params.micro_share[district.preset.area_class]
    names = list(params.bands)
    shares = np.array([params.bands[b].share for b in names])
    bands = rng.choice(names, size=n, p=shares / shares.sum())
    micro &= np.array([params.bands[b].frequency_ghz >= 1.0 for b in bands])  # sub-1 GHz: macro
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
            "downtilt_deg": downtilts(placement.xy, height),
            "snapped_to": placement.kind.astype(str),
        },
        "generated",
    )
    return placement.annotate(
        frame,
        [
            f"{n:,} sites: {count_source}",
            f"lattice spacing {placement.lattice_spacing_m:.0f} m, minimum spacing "
            f"{placement.min_spacing_m:.0f} m (norm {params.spacing_m[district.preset.area_class]:.0f} m)",
        ],
    )
