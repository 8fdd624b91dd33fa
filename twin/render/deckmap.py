"""What the map component receives: pydeck layers as compact JSON, hexagons as binary columns.

Pure functions (no streamlit); ``app_pages/_deckmap.py`` hands their output to the component.
A hexagon travels as 17 bytes, column after column, little-endian: its H3 id (u64), the metric's
value (f32, NaN when not measured), its residents (f32) and its inside share (u8, 0–255). The
component classes and colours values itself from :func:`hex_style`, so the same bytes serve
every legend. The zoom picks the resolution: :func:`resolution_for_zoom` (the same breaks travel
to the component, which asks for new hexagons only when its zoom crosses one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
from numpy.typing import NDArray
from pydeck.bindings.json_tools import default_serialize

from twin.grid import MAX_RESOLUTION, MIN_RESOLUTION
from twin.i18n import _
from twin.render.hexagons import (
    ELEVATION_PER_SQRT_RESIDENT,
    MAX_HEXAGONS,
    NOT_MEASURED,
    Metric,
    unserved_mask,
)

HEX_BYTES = 17
# zoom at which each finer resolution takes over: res 7 below 10.5, 8 to 11.75, 9 to 13.25, then 10
ZOOM_BREAKS = (10.5, 11.75, 13.25)
RESOLUTIONS = tuple(range(MIN_RESOLUTION, MAX_RESOLUTION + 1))


def resolution_for_zoom(zoom: float) -> int:
    """The H3 resolution drawn at web-map ``zoom`` (a res-9 hexagon is ~10 px at zoom 12).

    >>> [resolution_for_zoom(z) for z in (9.0, 11.0, 12.5, 15.0)]
    [7, 8, 9, 10]
    """
    return RESOLUTIONS[int(np.searchsorted(ZOOM_BREAKS, zoom, side="right"))]


@dataclass(frozen=True)
class HexColumns:
    """Hexagons as the component's binary columns, with how many and the area they cover."""

    data: bytes
    count: int
    bounds: tuple[float, float, float, float] | None  # (W, S, E, N) when cut to a view

    @property
    def bytes_per_hexagon(self) -> float:
        return len(self.data) / self.count if self.count else 0.0


def hex_columns(
    cells: pd.DataFrame,
    metric: Metric,
    unserved_only: bool = False,
    view_bounds: tuple[float, float, float, float] | None = None,
    limit: int = MAX_HEXAGONS,
) -> HexColumns:
    """The binary columns of ``cells`` for ``metric``; cut to ``view_bounds`` (grown by half a
    view each side) when there are more than ``limit``, and to the ``limit`` nearest the view's
    centre if still too many."""
    if unserved_only:
        cells = cells[unserved_mask(cells, metric)]
    bounds = None
    if len(cells) > limit and view_bounds is not None:
        west, south, east, north = view_bounds
        dx, dy = (east - west) / 2, (north - south) / 2
        bounds = (west - dx, south - dy, east + dx, north + dy)
        lon, lat = cells["lon"].to_numpy(), cells["lat"].to_numpy()
        inside = (lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3])
        cells = cells[inside]
    if len(cells) > limit:
        centre = np.array(
            [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]
            if bounds is not None
            else [cells["lon"].mean(), cells["lat"].mean()]
        )
        offset = np.hypot(cells["lon"].to_numpy() - centre[0], cells["lat"].to_numpy() - centre[1])
        cells = cells.iloc[np.argsort(offset, kind="stable")[:limit]]
        lon, lat = cells["lon"].to_numpy(), cells["lat"].to_numpy()
        bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    share = (
        cells["inside_share"].to_numpy(float) if "inside_share" in cells else np.ones(len(cells))
    )
    parts: list[NDArray] = [
        cells["cell"].to_numpy(dtype="<u8"),
        cells[metric.column].to_numpy(dtype=float).astype("<f4"),
        cells["residents"].to_numpy(dtype=float).astype("<f4"),
        np.round(np.clip(share, 0.0, 1.0) * 255).astype(np.uint8),
    ]
    return HexColumns(b"".join(p.tobytes() for p in parts), len(cells), bounds)


def hex_style(metric: Metric, extruded: bool = False) -> dict:
    """How the component classes, colours and describes a metric's values."""
    return {
        "breaks": [float(b) for b in metric.breaks],
        "colours": [list(c) for c in metric.colours],
        "classes": list(metric.classes),
        "not_measured": list(NOT_MEASURED),
        "unit": metric.unit,
        "decimals": metric.decimals,
        "extruded": extruded,
        "elevation_per_sqrt_resident": ELEVATION_PER_SQRT_RESIDENT,  # people, not the metric
        "words": {
            "residents": _("{people} residents"),
            "not_measured": _("not measured"),
            "value": _("{class} ({value} {unit})"),
        },  # a hexagon's tooltip line
    }


def layer_json(layer: pdk.Layer) -> dict:
    """A pydeck layer as the JSON dict @deck.gl/json converts (pydeck stays the way layers are
    described; the component receives them compact). pydeck's own ``to_json`` indents, which
    takes Python's slow encoder: the same document through the C encoder is ≈ 3× faster."""
    return json.loads(json.dumps(layer, sort_keys=True, default=default_serialize))


def view_json(view: pdk.ViewState, fit: tuple[float, float, float, float] | None = None) -> dict:
    """The camera as the component reads it; ``fit`` (west, south, east, north) asks it to frame
    those bounds in its canvas's real size."""
    out: dict = {
        "longitude": float(view.longitude),
        "latitude": float(view.latitude),
        "zoom": float(view.zoom),
        "pitch": float(view.pitch or 0.0),
        "bearing": float(view.bearing or 0.0),
    }
    if fit is not None:
        out["fit"] = [float(v) for v in fit]
    return out
