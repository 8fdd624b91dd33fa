"""pydeck layers that draw a district without web tiles: boundary, streets and points.

Pure functions (no streamlit): they turn frames into small, rounded payloads.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import osmnx as ox
import pydeck as pdk
import shapely
from shapely.geometry.base import BaseGeometry

OSM_CREDIT = "© OpenStreetMap contributors"
COORD_DECIMALS = 5  # ≈ 1 m


def _rounded_paths(geometries: np.ndarray) -> list[list[list[float]]]:
    parts = shapely.get_parts(geometries)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    coords = np.round(coords, COORD_DECIMALS)
    splits = np.flatnonzero(np.diff(index)) + 1
    return [c.tolist() for c in np.split(coords, splits)]


def boundary_layer(boundary: BaseGeometry) -> pdk.Layer:
    rings = [
        {"path": path}
        for path in _rounded_paths(np.asarray(shapely.boundary(shapely.get_parts(boundary))))
    ]
    return pdk.Layer(
        "PathLayer", rings, id="boundary", get_path="path", get_color=[30, 30, 30],
        width_min_pixels=2, get_width=3, pickable=False,
    )  # fmt: skip


def streets_layer(graph) -> pdk.Layer:  # type: ignore[no-untyped-def]
    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True)
    data = [{"path": p} for p in _rounded_paths(edges.geometry.to_numpy())]
    return pdk.Layer(
        "PathLayer", data, id="streets", get_path="path", get_color=[150, 150, 150, 160],
        width_min_pixels=1, get_width=1, pickable=False,
    )  # fmt: skip


def points_layer(
    frame: gpd.GeoDataFrame, layer_id: str, color: list[int], columns: list[str], radius_m: float
) -> pdk.Layer:
    data = frame[columns].copy()
    data["lon"] = np.round(frame.geometry.x.to_numpy(), COORD_DECIMALS)
    data["lat"] = np.round(frame.geometry.y.to_numpy(), COORD_DECIMALS)
    return pdk.Layer(
        "ScatterplotLayer", data, id=layer_id, get_position=["lon", "lat"], get_fill_color=color,
        get_radius=radius_m, radius_min_pixels=2, pickable=True,
    )  # fmt: skip


def view_of(boundary: BaseGeometry, pitch: float = 0.0) -> pdk.ViewState:
    point = boundary.centroid
    west, _, east, _ = boundary.bounds
    zoom = float(np.clip(np.log2(360 / max(east - west, 1e-4)) - 0.8, 9, 16))
    return pdk.ViewState(latitude=point.y, longitude=point.x, zoom=zoom, pitch=pitch)
