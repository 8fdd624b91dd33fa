"""Infrastructure layers (installed and imported as ``twin.layers``): generators and a registry.

Each generator has a frozen params dataclass (defaults from ``data/norms.toml``) and
``generate(district, params) -> GeoDataFrame``; every output obeys :func:`validate_layer`
(EPSG:4326 points with ``layer``, ``feature_id``, ``source``, ``geometry`` and the layer's own
attributes). Walking-distance layers also say which ``service_radius`` a site at a given place
has, so the engine, siting and what-if apply the same rule to real, generated and new sites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import numpy as np

from twin._errors import InvalidInputError
from twin.context import LayerContext
from twin.i18n import N_
from twin.keys import LAYER_NAMES
from twin.layers import base_stations, charging, lockers
from twin.layers.contract import LAYER_COLUMNS, validate_layer
from twin.model import District
from twin.norms import Norms, packaged_norms

RadiusRule = Callable[[LayerContext, np.ndarray, np.ndarray], np.ndarray]


class LayerParams(Protocol):
    """A generator's frozen params: defaults from the packaged norms, ``from_norms`` a run's."""

    @classmethod
    def from_norms(cls, norms: Norms, **overrides: Any) -> LayerParams: ...


@dataclass(frozen=True)
class LayerSpec:
    """What a layer is: its generator, params, siting candidates and radius rule, and how every
    face names and draws it (the served question and its columns are
    :data:`twin.analysis.served.QUESTIONS` under the same key)."""

    name: str
    params: type[LayerParams]
    generate: Callable[..., gpd.GeoDataFrame]
    candidates: Callable[[LayerContext], tuple[Any, Any]]
    service_radius: RadiusRule | None  # None: served by signal, not by a walk
    site_label: str = ""  # one site, e.g. "Charging station"
    label: str = ""  # the layer, e.g. "Charging stations"
    colour: tuple[int, int, int, int] = (30, 30, 30, 230)  # its sites on every map
    tip_columns: tuple[tuple[str, str], ...] = ()  # a site's tooltip: (column, how it reads)
    marker_m: float = 10.0  # a site's marker radius on the map


PLACE_WORDS = (  # the values a site's kind, status or source takes, translated where shown
    N_("street"), N_("rooftop"), N_("street-side"), N_("car park"), N_("charging station"),
    N_("fuel station"), N_("mall"), N_("hospital"), N_("metro park-and-ride"), N_("commercial"),
    N_("residential"), N_("school"), N_("office"), N_("existing"), N_("new"), N_("generated"),
    N_("unknown"), N_("parking"), N_("open land"),
)  # fmt: skip

REGISTRY: dict[str, LayerSpec] = {
    "base_stations": LayerSpec(
        "base_stations",
        base_stations.BaseStationParams,
        base_stations.generate,
        base_stations.candidates,
        None,
        N_("5G site"),
        N_("5G base stations"),
        (30, 30, 30, 230),
        (
            ("band", N_("band {value}")),
            ("height_m", N_("{value} m high")),
            ("downtilt_deg", N_("tilted {value}°")),
        ),
        12.0,
    ),
    "charging": LayerSpec(
        "charging",
        charging.ChargingParams,
        charging.generate,
        charging.candidates,
        charging.service_radius,
        N_("Charging station"),
        N_("Charging stations"),
        (0, 140, 140, 230),
        (
            ("piles", N_("{value} piles")),
            ("fast_piles", N_("{value} fast")),
            ("service_radius_m", N_("serves {value} m")),
        ),
        25.0,
    ),
    "lockers": LayerSpec(
        "lockers",
        lockers.LockerParams,
        lockers.generate,
        lockers.candidates,
        lockers.service_radius,
        N_("Locker group"),
        N_("Locker groups"),
        (150, 60, 170, 220),
        (
            ("site_type", "{value}"),
            ("compartments", N_("{value} compartments")),
            ("status", "{value}"),
        ),
        10.0,
    ),
}
if tuple(REGISTRY) != LAYER_NAMES:  # pragma: no cover - a developer's slip, caught by the tests
    msg = f"twin.keys.LAYER_NAMES {LAYER_NAMES} disagrees with the layer registry {tuple(REGISTRY)}"
    raise RuntimeError(msg)
WALKING_LAYERS: tuple[str, ...] = tuple(k for k, s in REGISTRY.items() if s.service_radius)


def spec(layer: str) -> LayerSpec:
    """The registry entry of ``layer``, or a clear error naming the known layers."""
    if layer not in REGISTRY:
        msg = f"unknown layer {layer!r}; choose one of {', '.join(REGISTRY)}."
        raise InvalidInputError(msg)
    return REGISTRY[layer]


def params_for(layer: str, norms: Norms | None = None, **overrides: Any) -> Any:
    """The params of ``layer`` from a run's ``norms`` (the packaged norms when None)."""
    return spec(layer).params.from_norms(norms or packaged_norms(), **overrides)


def generate(
    layer: str, district: District, params: Any = None, norms: Norms | None = None
) -> gpd.GeoDataFrame:
    """Generate ``layer`` for ``district`` with ``params`` (else from ``norms``)."""
    return spec(layer).generate(
        district, params if params is not None else params_for(layer, norms)
    )


def site_radii(layer: str, ctx: LayerContext, sites: gpd.GeoDataFrame) -> np.ndarray:
    """Each site's service radius: its own ``service_radius_m`` where set, else the layer's rule."""
    rule = spec(layer).service_radius
    if rule is None:
        msg = f"{layer} is not a walking-distance layer and has no service radius."
        raise InvalidInputError(msg)
    lon, lat = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    default = rule(ctx, lon, lat) if len(sites) else np.empty(0)
    if "service_radius_m" not in sites.columns:
        return default
    own = sites["service_radius_m"].to_numpy(dtype=float)
    return np.where(np.isfinite(own) & (own > 0), own, default)


__all__ = [
    "LAYER_COLUMNS",
    "LAYER_NAMES",
    "REGISTRY",
    "WALKING_LAYERS",
    "LayerSpec",
    "generate",
    "params_for",
    "site_radii",
    "spec",
    "validate_layer",
]
