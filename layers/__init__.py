"""Infrastructure layers: one generator module per layer and a registry.

Each generator has a frozen params dataclass and ``generate(district, params) -> GeoDataFrame``;
every output obeys :func:`layers._contract.validate_layer` (EPSG:4326 points with ``layer``,
``feature_id``, ``source``, ``geometry`` and the layer's own attributes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from layers import base_stations, charging, lockers
from layers._contract import LAYER_COLUMNS, validate_layer
from twin._errors import InvalidInputError
from twin.model import District


@dataclass(frozen=True)
class LayerSpec:
    name: str
    title: str
    params: type
    generate: Callable[..., gpd.GeoDataFrame]
    candidates: Callable[..., tuple[Any, Any]]


REGISTRY: dict[str, LayerSpec] = {
    "base_stations": LayerSpec(
        "base_stations",
        "5G base stations",
        base_stations.BaseStationParams,
        base_stations.generate,
        base_stations.candidates,
    ),
    "charging": LayerSpec(
        "charging",
        "EV charging stations",
        charging.ChargingParams,
        charging.generate,
        charging.candidates,
    ),
    "lockers": LayerSpec(
        "lockers", "Smart locker groups", lockers.LockerParams, lockers.generate, lockers.candidates
    ),
}


def generate(layer: str, district: District, params: Any = None) -> gpd.GeoDataFrame:
    """Generate ``layer`` for ``district`` with ``params`` (defaults when None)."""
    if layer not in REGISTRY:
        msg = f"unknown layer {layer!r}; choose one of {', '.join(REGISTRY)}."
        raise InvalidInputError(msg)
    return REGISTRY[layer].generate(district, params)


__all__ = ["LAYER_COLUMNS", "REGISTRY", "LayerSpec", "generate", "validate_layer"]
