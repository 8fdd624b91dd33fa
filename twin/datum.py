"""Detect coordinates in the wrong datum: GCJ-02 (Amap) data declared as WGS-84.

In Shanghai GCJ-02 is offset about 450 m east and 200 m south of where the same place lies in
WGS-84, so Amap points read as WGS-84 sit half a kilometre off their streets. The test is
empirical: compare how close the points lie to the street network as given and after a
GCJ-02 → WGS-84 conversion. Real WGS-84 data gets no better from the conversion. In a dense
grid a 500 m shift often lands next to another street, so the reference must be the streets
themselves (densified edges, see :func:`street_reference_points`), and the test is a ratio.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from pyproj import Transformer
from scipy.spatial import cKDTree

from twin._errors import TwinWarning
from twin.crs import gcj02_to_wgs84, utm_crs

MIN_POINTS = 5
IMPROVEMENT_RATIO = 1.5  # median distance must shrink by this factor after conversion
IMPROVEMENT_M = 10.0  # ... and by at least this many metres


class DatumShiftWarning(TwinWarning):
    """Points look like GCJ-02 coordinates declared as WGS-84."""


@dataclass(frozen=True)
class DatumCheck:
    """Median distance (m) from the points to the nearest reference point, as given and converted."""

    median_as_given_m: float
    median_if_gcj02_m: float
    n_points: int

    @property
    def likely_gcj02(self) -> bool:
        if self.n_points < MIN_POINTS:
            return False
        gain = self.median_as_given_m - self.median_if_gcj02_m
        return (
            self.median_as_given_m > IMPROVEMENT_RATIO * self.median_if_gcj02_m
            and gain > IMPROVEMENT_M
        )

    def message(self, what: str) -> str:
        return (
            f"{what} lie a median {self.median_as_given_m:.0f} m from the streets, but "
            f"{self.median_if_gcj02_m:.0f} m once read as GCJ-02: they are probably Amap (GCJ-02) "
            "coordinates declared as WGS-84; load them with crs='gcj02' (--crs gcj02)."
        )


def street_reference_points(graph) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Points every ~20 m along the edges of a street graph, as reference for :func:`check_datum`."""
    import osmnx as ox
    import shapely

    lines = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).geometry.to_numpy()
    coords = shapely.get_coordinates(shapely.segmentize(lines, 0.0002))
    return coords[:, 0], coords[:, 1]


def check_datum(
    lon: ArrayLike, lat: ArrayLike, ref_lon: ArrayLike, ref_lat: ArrayLike
) -> DatumCheck:
    """Compare the points' fit to reference points (street nodes) as given and as GCJ-02."""
    lon_a, lat_a = np.asarray(lon, float), np.asarray(lat, float)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    lon_a, lat_a = lon_a[ok], lat_a[ok]
    ref_lon_a, ref_lat_a = np.asarray(ref_lon, float), np.asarray(ref_lat, float)
    if lon_a.size == 0 or ref_lon_a.size == 0:
        return DatumCheck(float("nan"), float("nan"), int(lon_a.size))
    to_m = Transformer.from_crs(
        4326, utm_crs(float(np.median(ref_lon_a)), float(np.median(ref_lat_a))), always_xy=True
    )
    tree = cKDTree(np.column_stack(to_m.transform(ref_lon_a, ref_lat_a)))
    as_given, _ = tree.query(np.column_stack(to_m.transform(lon_a, lat_a)))
    conv_lon, conv_lat = gcj02_to_wgs84(lon_a, lat_a)
    converted, _ = tree.query(np.column_stack(to_m.transform(conv_lon, conv_lat)))
    return DatumCheck(float(np.median(as_given)), float(np.median(converted)), int(lon_a.size))


def warn_if_gcj02(
    lon: ArrayLike, lat: ArrayLike, ref_lon: ArrayLike, ref_lat: ArrayLike, what: str
) -> DatumCheck:
    """Run :func:`check_datum` and emit a :class:`DatumShiftWarning` when the points look shifted."""
    result = check_datum(lon, lat, ref_lon, ref_lat)
    if result.likely_gcj02:
        warnings.warn(result.message(what), DatumShiftWarning, stacklevel=2)
    return result
