"""Generated EV charging stations with piles, fast piles and the service-radius rule.

Candidates are places where Shanghai's public chargers stand: car parks, fuel stations and
existing charging stations (OSM ``amenity=parking/fuel/charging_station``), malls
(``shop=mall/department_store``), hospitals, metro park-and-ride, large residential compounds
(residential addresses) and roadside parking (streets). Where OSM carries no such tags (the
offline data pack) food POIs stand in for commercial car parks. Inside the street network's study
area every station stands within ``street_reach_m`` of a street. Stations are drawn by an
inhomogeneous Matérn II process over the candidates (:mod:`twin.layers.placement`), weighted by
demand and by kind (``site_preference``: car parks, charging stations and malls first), and
carry a negative-binomial number of piles whose mean depends on the kind of place. The station
count follows a density per
ring class (default 4 stations/km² inside the Outer Ring, 1/km² outside; an assumption, stated in
the layer notes, since no inventory is public). Each station carries the radius rule of where it
stands: 0.9 km inside the Outer Ring, 1.5 km outside (Minhang's plan), with ≥ 3 % fast piles
(Changning's plan) and typically far more at public stations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from twin.context import LayerContext
from twin.layers.contract import make_layer
from twin.layers.placement import (
    inhibited_sites,
    kernel_intensity,
    mean_spacing,
    stack_candidates,
    street_notes,
    street_rule,
)
from twin.model import District
from twin.norms import ChargingNorms, Norms, packaged_norms

LAYER = "charging"


def _n() -> ChargingNorms:
    return packaged_norms().charging


@dataclass(frozen=True)
class ChargingParams:
    """Parameters of the charging layer; defaults from ``data/norms.toml`` ([charging]).

    Attributes:
        seed: random seed.
        count: number of stations; None derives it from the densities below.
        stations_per_km2_inside / _outside: station density by ring class.
        mean_piles: mean piles per station (negative binomial, at least 2), times
            ``piles_factor`` by kind of place; ``piles_dispersion`` its shape.
        hard_core_fraction: no two stations closer than this × the mean spacing.
        site_preference: how much likelier a station stands at each kind of place.
        fast_share_range: share of fast (DC) piles drawn per station, floored at ``min_fast_share``.
        min_fast_share: the plan's minimum share of fast piles (3 %).
        radius_inside_m / radius_outside_m: service radius by ring class.
        street_reach_m: inside the street study area, the farthest a station may be from a street.
    """

    seed: int = 2025
    count: int | None = None
    stations_per_km2_inside: float = field(default_factory=lambda: _n().stations_per_km2_inside)
    stations_per_km2_outside: float = field(default_factory=lambda: _n().stations_per_km2_outside)
    mean_piles: float = field(default_factory=lambda: _n().mean_piles)
    fast_share_range: tuple[float, float] = field(default_factory=lambda: _n().fast_share_range)
    min_fast_share: float = field(default_factory=lambda: _n().fast_share_min)
    radius_inside_m: float = field(default_factory=lambda: _n().radius_inside_outer_ring_m)
    radius_outside_m: float = field(default_factory=lambda: _n().radius_outside_outer_ring_m)
    street_reach_m: float = field(default_factory=lambda: _n().street_reach_m)
    piles_dispersion: float = field(default_factory=lambda: _n().piles_dispersion)
    hard_core_fraction: float = field(default_factory=lambda: _n().hard_core_fraction)
    site_preference: Mapping[str, float] = field(default_factory=lambda: _n().site_preference)
    piles_factor: Mapping[str, float] = field(default_factory=lambda: _n().piles_factor)

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: object) -> ChargingParams:
        """Params from a run's norms ([charging]); ``overrides`` set other fields."""
        n = norms.charging
        values: dict[str, object] = {
            "stations_per_km2_inside": n.stations_per_km2_inside,
            "stations_per_km2_outside": n.stations_per_km2_outside, "mean_piles": n.mean_piles,
            "fast_share_range": n.fast_share_range, "min_fast_share": n.fast_share_min,
            "radius_inside_m": n.radius_inside_outer_ring_m,
            "radius_outside_m": n.radius_outside_outer_ring_m, "street_reach_m": n.street_reach_m,
            "piles_dispersion": n.piles_dispersion, "hard_core_fraction": n.hard_core_fraction,
            "site_preference": n.site_preference, "piles_factor": n.piles_factor,
        }  # fmt: skip
        return cls(**(values | overrides))  # type: ignore[arg-type]


def service_radius(
    ctx: LayerContext, lon: np.ndarray, lat: np.ndarray, params: ChargingParams | None = None
) -> np.ndarray:
    """The radius rule of a station standing at (lon, lat): 0.9 km inside the Outer Ring, else 1.5."""
    params = params or ChargingParams.from_norms(ctx.norms)
    inside = ctx.inside_outer_ring(np.asarray(lon), np.asarray(lat))
    return np.where(inside, params.radius_inside_m, params.radius_outside_m).astype(float)


def candidates(ctx: LayerContext) -> tuple[np.ndarray, np.ndarray]:
    """Where stations can stand, in order of preference."""
    return stack_candidates(
        [
            (ctx.pois_xy({"parking"}, {"parking"}), "car park"),
            (ctx.pois_xy({"parking"}, {"fuel"}), "fuel station"),
            (ctx.pois_xy({"parking"}, {"charging_station"}), "charging station"),
            (ctx.pois_xy({"supplies"}, {"mall", "department_store"}), "mall"),
            (ctx.pois_xy({"healthcare"}, {"hospital"}), "hospital"),
            (ctx.pois_xy({"eating"}), "commercial"),
            (ctx.pois_xy({"moving"}, {"metro_station"}), "metro park-and-ride"),
            (ctx.demand_xy, "residential"),
            (ctx.street_xy[::8], "roadside"),
        ]
    )


def pile_counts(kinds: np.ndarray, params: ChargingParams, rng: np.random.Generator) -> np.ndarray:
    """Piles per station: negative binomial (shape ``piles_dispersion``) around ``mean_piles``
    times the kind's factor, at least 2: a few large hubs, many small stations."""
    mean = params.mean_piles * np.array([params.piles_factor.get(str(k), 1.0) for k in kinds])
    shape = params.piles_dispersion
    return np.maximum(rng.negative_binomial(shape, shape / (shape + mean)), 2)


def inner_share(ctx: LayerContext) -> float:
    """Share of the district's area inside the Outer Ring (preset class, or the S20 polygon)."""
    ring = ctx.district.preset.ring
    if ring != "straddling":
        return 1.0 if ring == "inside" else 0.0
    boundary = ctx.district.boundary
    return float(boundary.intersection(ctx.outer_ring).area / boundary.area)


def generate(district: District, params: ChargingParams | None = None) -> gpd.GeoDataFrame:
    """Charging stations for ``district`` as a contract-conforming GeoDataFrame (EPSG:4326)."""
    params = params or ChargingParams()
    rng = np.random.default_rng(params.seed)
    ctx = LayerContext(district)
    share_in = inner_share(ctx)
    density = (
        share_in * params.stations_per_km2_inside + (1 - share_in) * params.stations_per_km2_outside
    )
    n = params.count or max(1, round(district.area_km2 * density))
    cand_xy, cand_kind = candidates(ctx)
    poi_xy = ctx.pois_xy({"eating", "healthcare", "moving"})
    weights_xy = np.vstack([ctx.demand_xy, poi_xy])
    weights = np.concatenate([ctx.demand_population, np.full(len(poi_xy), 30.0)])
    spacing = mean_spacing(float(ctx.region.area), n)
    demand = kernel_intensity(cand_xy, weights_xy, weights, spacing)
    placement = inhibited_sites(
        ctx.region, n, params.hard_core_fraction * spacing, cand_xy, cand_kind,
        demand + 0.02 * demand.mean(), rng, street_rule(ctx, params.street_reach_m),
        kind_weight=dict(params.site_preference),
    )  # fmt: skip
    lon, lat = ctx.lonlat(placement.xy)
    ring_inside = ctx.inside_outer_ring(lon, lat)
    piles = pile_counts(placement.kind, params, rng)
    share = rng.uniform(*params.fast_share_range, n)
    fast = np.maximum(np.round(piles * share), np.ceil(piles * params.min_fast_share)).astype(int)
    site_type = placement.kind.astype(str)
    ids = [f"EV-{district.preset.adcode}-{i:04d}" for i in range(n)]
    frame = make_layer(
        LAYER,
        ids,
        lon,
        lat,
        {
            "station_id": ids,
            "site_type": site_type,
            "piles": piles,
            "fast_piles": np.minimum(fast, piles),
            "ring": np.where(ring_inside, "inside", "outside"),
            "service_radius_m": service_radius(ctx, lon, lat, params),
        },
        "generated",
    )
    return placement.annotate(
        frame,
        [
            f"{n} stations at {density:.2f}/km² ({share_in:.0%} of the area inside the Outer Ring): "
            "an assumption, replace with a real inventory via 'twin import'",
            f"hard core {placement.min_spacing_m:.0f} m (inhomogeneous Matérn II, preferring "
            "car parks, charging stations and malls); piles per station negative-binomial, "
            f"mean {params.mean_piles:g} × a factor by kind of place",
            *street_notes(ctx, placement.xy, params.street_reach_m),
        ],
    )
