"""The map's camera in a URL: where it rests (``cam``) and the 3D view (``3d``), read strictly.

``cam=lon,lat,zoom,pitch,bearing`` (5, 5, 2, 0 and 0 decimals: about a metre, a hundredth of a
zoom level, a degree); ``3d=<camera>,<pitch>,<bearing>`` with a camera's short name
(:data:`CAMERA_NAMES`). A value that does not parse, or lies outside what a map can show, is
ignored (the district's own view is drawn), never an error: a shared link is a hint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pydeck as pdk

from twin.render.basemap import CAMERAS

CAMERA_NAMES = dict(zip(("district", "north-bund", "street"), CAMERAS, strict=True))
_LIMITS = ((-180.0, 180.0), (-85.0, 85.0), (0.0, 22.0), (0.0, 85.0), (-360.0, 360.0))


def camera_text(view: Mapping[str, float]) -> str:
    """``lon,lat,zoom,pitch,bearing`` of a view reported by the map."""
    return (f"{view['longitude']:.5f},{view['latitude']:.5f},{view['zoom']:.2f},"
            f"{view.get('pitch', 0):.0f},{view.get('bearing', 0):.0f}")  # fmt: skip


def _numbers(text: str | None, count: int) -> list[float] | None:
    parts = (text or "").split(",")
    if len(parts) != count:
        return None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None


def camera_from_text(text: str | None) -> pdk.ViewState | None:
    """The view a ``cam`` value names, or None when it is not one."""
    values = _numbers(text, 5)
    if values is None or any(
        not lo <= v <= hi for v, (lo, hi) in zip(values, _LIMITS, strict=True)
    ):
        return None
    lon, lat, zoom, pitch, bearing = values
    return pdk.ViewState(longitude=lon, latitude=lat, zoom=zoom, pitch=pitch, bearing=bearing)


def three_d_text(camera: str, pitch: float, bearing: float) -> str:
    """``<camera>,<pitch>,<bearing>`` of the 3D view (a camera by its short name)."""
    short = next((k for k, v in CAMERA_NAMES.items() if v == camera), "district")
    return f"{short},{pitch:.0f},{bearing:.0f}"


def three_d_from_text(text: str | None) -> tuple[str, int, int] | None:
    """(camera, pitch, bearing) of a ``3d`` value within the page's sliders, or None."""
    parts = (text or "").split(",")
    if len(parts) != 3 or parts[0] not in CAMERA_NAMES:
        return None
    values = _numbers(",".join(parts[1:]), 2)
    if values is None or not (0 <= values[0] <= 60 and -180 <= values[1] <= 180):
        return None
    return CAMERA_NAMES[parts[0]], round(values[0]), round(values[1])
