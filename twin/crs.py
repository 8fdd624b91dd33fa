"""Coordinate systems: WGS-84 / GCJ-02 / BD-09 conversions and the local metric CRS.

GCJ-02 ("Mars coordinates") is the obfuscated datum required on Chinese web maps (Amap,
Tencent); BD-09 is Baidu's further offset. All functions take and return numpy arrays of
longitude and latitude in degrees and are fully vectorised. Outside mainland China the GCJ-02
offset is not applied (as the official implementations do).

>>> import numpy as np
>>> lon, lat = wgs84_to_gcj02(np.array([116.404]), np.array([39.915]))
>>> round(float(lon[0]), 8), round(float(lat[0]), 8)
(116.4102445, 39.91640428)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS

from twin._errors import InvalidInputError
from twin.keys import DATUMS

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-9  # ≈ 0.1 mm; the inverses iterate until below this
_MAX_ITERATIONS = 30

CrsName = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[CrsName, ...] = DATUMS  # type: ignore[assignment]

Array = NDArray[np.float64]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        msg = f"lon and lat differ in shape ({lon_a.shape} vs {lat_a.shape})"
        raise InvalidInputError(msg)
    return lon_a, lat_a


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Rough mainland-China bounding box inside which GCJ-02 applies."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return (lon_a >= 72.004) & (lon_a <= 137.8347) & (lat_a >= 0.8293) & (lat_a <= 55.8271)


def _gcj_offset(lon: Array, lat: Array) -> tuple[Array, Array]:
    """The GCJ-02 offset (degrees) at WGS-84 position ``lon, lat``."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    d_lon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → GCJ-02 (the forward formula, exact by definition)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    d_lon, d_lat = _gcj_offset(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def _invert(forward, lon: Array, lat: Array) -> tuple[Array, Array]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration (converges in a few steps)."""
    x_lon, x_lat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon, e_lat = f_lon - lon, f_lat - lat
        x_lon -= e_lon
        x_lat -= e_lat
        if lon.size == 0 or max(np.nanmax(np.abs(e_lon)), np.nanmax(np.abs(e_lat))) < (
            _INVERSE_TOLERANCE_DEG
        ):
            break
    return x_lon, x_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → WGS-84, iterated to well below 0.5 m (≈ 0.1 mm) error."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (Baidu)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02, iterated so that the round trip is exact to ≈ 0.1 mm."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon_a, lat_a)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: CrsName) -> tuple[Array, Array]:
    """Convert from ``source`` (``wgs84``, ``gcj02`` or ``bd09``) to WGS-84."""
    if source == "wgs84":
        return _as_arrays(lon, lat)
    if source == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if source == "bd09":
        return bd09_to_wgs84(lon, lat)
    msg = f"unknown coordinate system {source!r}; use one of {', '.join(CRS_NAMES)}."
    raise InvalidInputError(msg)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, target: CrsName) -> tuple[Array, Array]:
    """Convert from WGS-84 to ``target`` (``wgs84``, ``gcj02`` or ``bd09``)."""
    if target == "wgs84":
        return _as_arrays(lon, lat)
    if target == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if target == "bd09":
        return wgs84_to_bd09(lon, lat)
    msg = f"unknown coordinate system {target!r}; use one of {', '.join(CRS_NAMES)}."
    raise InvalidInputError(msg)


def utm_crs(lon: float, lat: float) -> CRS:
    """The UTM zone CRS (WGS-84 datum) containing ``lon, lat``; UTM 51N (EPSG:32651) in Shanghai.

    >>> utm_crs(121.47, 31.23).to_epsg()
    32651
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def geometry_to_wgs84(geometry, source: CrsName):
    """Apply a datum conversion to every coordinate of a shapely geometry (vectorised)."""
    import shapely

    if source == "wgs84":
        return geometry

    def convert(coords: Array) -> Array:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], source)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, convert)
