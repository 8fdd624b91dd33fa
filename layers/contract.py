"""The output contract every layer obeys, checked by one validator."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import InvalidInputError

BASE_COLUMNS = ("layer", "feature_id", "source", "geometry")
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "base_stations": (
        "site_id", "height_m", "cell_type", "azimuth_1", "azimuth_2", "azimuth_3", "operator",
        "band", "frequency_ghz", "bandwidth_mhz", "tx_power_dbm", "antenna_gain_dbi", "downtilt_deg",
    ),
    "charging": ("station_id", "site_type", "piles", "fast_piles", "service_radius_m"),
    "lockers": ("locker_id", "site_type", "compartments", "status", "service_radius_m"),
}  # fmt: skip


def validate_layer(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Raise :class:`InvalidInputError` listing every way ``frame`` breaks the layer contract."""
    problems: list[str] = []
    if layer not in LAYER_COLUMNS:
        msg = f"unknown layer {layer!r}; known layers are {', '.join(LAYER_COLUMNS)}."
        raise InvalidInputError(msg)
    missing = [c for c in (*BASE_COLUMNS, *LAYER_COLUMNS[layer]) if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        problems.append(f"CRS is {frame.crs}, not EPSG:4326")
    if len(frame) and not (frame.geometry.geom_type == "Point").all():
        problems.append("geometries are not all points")
    if "layer" in frame.columns and not (frame["layer"] == layer).all():
        problems.append(f"'layer' column is not {layer!r} everywhere")
    if "feature_id" in frame.columns:
        duplicated = frame["feature_id"].duplicated()
        if duplicated.any():
            problems.append(f"{int(duplicated.sum())} duplicate feature_id values")
    if len(frame):
        x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        bad = ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
        if bad.any():
            problems.append(f"{int(bad.sum())} points with invalid coordinates")
    if problems:
        msg = f"the {layer} layer breaks the contract: " + "; ".join(problems) + "."
        raise InvalidInputError(msg)
    return frame


def make_layer(
    layer: str, ids: list[str], lon: np.ndarray, lat: np.ndarray, attributes: dict, source: str
) -> gpd.GeoDataFrame:
    """Assemble a contract-conforming frame in the standard column order."""
    frame = gpd.GeoDataFrame(
        {"layer": layer, "feature_id": ids, "source": source, **attributes},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return validate_layer(gpd.GeoDataFrame(pd.DataFrame(frame), crs=4326), layer)
