"""What lies within 5, 10 and 15 minutes' walk of one point: POIs with their walking times."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from twin.analysis.life_circle import RINGS_MIN, minutes
from twin.model import District
from twin.network import DEFAULT_DETOUR_FACTOR, DEFAULT_MAX_SNAP_M, StreetNetwork


def reachable_pois(
    district: District,
    network: StreetNetwork | None,
    lon: float,
    lat: float,
    speed_kmh: float = 4.5,
    limit_min: float = 15.0,
) -> pd.DataFrame:
    """POIs within ``limit_min`` of (lon, lat): name, category, minutes, ring, estimated."""
    to_m = Transformer.from_crs(4326, district.metric_crs, always_xy=True)
    pois: gpd.GeoDataFrame = district.pois
    xy = np.column_stack(to_m.transform(pois.geometry.x, pois.geometry.y))
    origin = np.array([to_m.transform(lon, lat)])
    limit_m = limit_min * speed_kmh * 1000 / 60
    straight = np.hypot(*(xy - origin).T) * DEFAULT_DETOUR_FACTOR
    metres, estimated = straight, np.ones(len(xy), dtype=bool)
    if network is not None and network.n_nodes:
        o_snap, o_node = network.snap(origin)
        if o_snap[0] <= DEFAULT_MAX_SNAP_M:
            at_nodes = network.node_distances(o_node, o_snap, limit_m)
            p_snap, p_node = network.snap(xy)
            walked = np.where(p_snap <= DEFAULT_MAX_SNAP_M, at_nodes[p_node] + p_snap, np.inf)
            on = np.isfinite(walked)
            metres = np.where(on, walked, straight)
            estimated = ~on
    times = minutes(metres, speed_kmh)
    keep = times <= limit_min
    rings = np.select([times <= r for r in RINGS_MIN], [f"≤ {r} min" for r in RINGS_MIN], "")
    return pd.DataFrame({
        "name": pois["name"].to_numpy()[keep], "category": pois["category"].to_numpy()[keep],
        "minutes": np.round(times[keep], 1), "ring": rings[keep], "estimated": estimated[keep],
    }).sort_values("minutes", ignore_index=True)  # fmt: skip
