"""Generated smart parcel locker groups: an existing base plus the plan's new groups.

Locker groups stand at residential compounds, office buildings, hospitals and schools (the
places Changning's plan names). The existing base follows a density per resident (default one
group per 2,000 residents, an assumption stated in the notes); the plan's new groups (Changning:
≥ 120) come on top and go preferentially to hospitals, schools, offices and large compounds.
Service is a 300 m / 5-minute walk by default. Groups are drawn by an inhomogeneous Matérn II
process over the candidates, weighted by residents and by kind (compounds first), with a hard
core (:mod:`twin.layers.placement`). Inside the street study area every group stands within
``street_reach_m`` of a street; ``site_type`` is the kind of place it stands at.
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
from twin.norms import LockerNorms, Norms, packaged_norms

LAYER = "lockers"


def _n() -> LockerNorms:
    return packaged_norms().lockers


PLAN_FOCUS = ("hospital", "school", "office", "residential")


@dataclass(frozen=True)
class LockerParams:
    """Parameters of the locker layer; defaults from ``data/norms.toml`` ([lockers]).

    Attributes:
        seed: random seed.
        residents_per_existing_group: density of the existing base.
        new_groups: groups added by the plan; None takes the plan's target (0 without one).
        hard_core_fraction: no two groups closer than this × the mean spacing.
        site_preference: how much likelier a group stands at each kind of place.
        service_radius_m: walking distance a group serves.
        street_reach_m: inside the street study area, the farthest a group may be from a street.
        compartments_low / compartments_high: compartments per group by site type, drawn
            uniformly between them.
    """

    seed: int = 2025
    residents_per_existing_group: float = field(
        default_factory=lambda: _n().residents_per_existing_group
    )
    new_groups: int | None = None
    hard_core_fraction: float = field(default_factory=lambda: _n().hard_core_fraction)
    site_preference: Mapping[str, float] = field(default_factory=lambda: _n().site_preference)
    service_radius_m: float = field(default_factory=lambda: _n().service_radius_m)
    street_reach_m: float = field(default_factory=lambda: _n().street_reach_m)
    compartments_low: Mapping[str, float] = field(default_factory=lambda: _n().compartments_low)
    compartments_high: Mapping[str, float] = field(default_factory=lambda: _n().compartments_high)

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: object) -> LockerParams:
        """Params from a run's norms ([lockers]); ``overrides`` set other fields."""
        n = norms.lockers
        values: dict[str, object] = {
            "residents_per_existing_group": n.residents_per_existing_group,
            "hard_core_fraction": n.hard_core_fraction, "site_preference": n.site_preference,
            "service_radius_m": n.service_radius_m, "street_reach_m": n.street_reach_m,
            "compartments_low": n.compartments_low, "compartments_high": n.compartments_high,
        }  # fmt: skip
        return cls(**(values | overrides))  # type: ignore[arg-type]


def service_radius(
    ctx: LayerContext, lon: np.ndarray, lat: np.ndarray, params: LockerParams | None = None
) -> np.ndarray:
    """The walking distance a locker group at (lon, lat) serves (the same everywhere)."""
    params = params or LockerParams.from_norms(ctx.norms)
    return np.full(len(np.atleast_1d(lon)), params.service_radius_m, dtype=float)


def candidates(ctx: LayerContext) -> tuple[np.ndarray, np.ndarray]:
    """Where locker groups can stand: compounds, hospitals, schools, offices, street side."""
    return stack_candidates(
        [
            (ctx.demand_xy, "residential"),
            (ctx.pois_xy({"healthcare"}, {"hospital"}), "hospital"),
            (ctx.pois_xy({"learning"}), "school"),
            (ctx.pois_xy({"eating"}), "office"),  # commercial streets stand in for offices
            (ctx.street_xy, "street-side"),
        ]
    )


def generate(district: District, params: LockerParams | None = None) -> gpd.GeoDataFrame:
    """Locker groups for ``district`` as a contract-conforming GeoDataFrame (EPSG:4326)."""
    params = params or LockerParams()
    rng = np.random.default_rng(params.seed)
    ctx = LayerContext(district)
    existing = max(1, round(district.population / params.residents_per_existing_group))
    target = district.preset.target_value("lockers_new")
    new = params.new_groups if params.new_groups is not None else int(target or 0)
    n = existing + new
    cand_xy, cand_kind = candidates(ctx)
    spacing = mean_spacing(float(ctx.region.area), n)
    demand = kernel_intensity(cand_xy, ctx.demand_xy, ctx.demand_population, spacing)
    placement = inhibited_sites(
        ctx.region, n, params.hard_core_fraction * spacing, cand_xy, cand_kind,
        demand + 0.01 * demand.mean(), rng, street_rule(ctx, params.street_reach_m),
        kind_weight=dict(params.site_preference),
    )  # fmt: skip
    lon, lat = ctx.lonlat(placement.xy)
    site_type = placement.kind.astype(str)
    focus = np.isin(site_type, PLAN_FOCUS[:3])
    priority = rng.random(n) + focus  # the plan's new groups go to focus sites first
    status = np.full(n, "existing", dtype=object)
    if new:
        status[np.argsort(-priority)[:new]] = "new"
    low = np.array([round(params.compartments_low[t]) for t in site_type])
    high = np.array([max(round(params.compartments_high[t]), round(params.compartments_low[t]))
                     for t in site_type])  # fmt: skip
    ids = [f"LK-{district.preset.adcode}-{i:05d}" for i in range(n)]
    frame = make_layer(
        LAYER,
        ids,
        lon,
        lat,
        {
            "locker_id": ids,
            "site_type": site_type,
            "compartments": rng.integers(low, high + 1),
            "status": status.astype(str),
            "service_radius_m": service_radius(ctx, lon, lat, params),
        },
        "generated",
    )
    return placement.annotate(
        frame,
        [
            f"{existing} existing groups (1 per {params.residents_per_existing_group:,.0f} residents, "
            f"an assumption) + {new} new groups ({'plan target' if target else 'none in the plan'})",
            f"hard core {placement.min_spacing_m:.0f} m (inhomogeneous Matérn II, preferring "
            "residential compounds)",
            *street_notes(ctx, placement.xy, params.street_reach_m),
        ],
    )
