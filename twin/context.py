"""A district in metres: what layers, the engine, siting and what-if all need, built once.

:class:`LayerContext` projects the boundary, demand, POIs and streets of a :class:`District` to
its UTM zone as numpy arrays (each computed on first use) and classifies points by the Outer Ring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from twin.inside import contains_xy
from twin.model import District
from twin.norms import PROJECT_ROOT, Norms, packaged_norms

OUTER_RING_FILE = PROJECT_ROOT / "data" / "outer_ring.geojson"
MAIN_ROADS = ("motorway", "trunk", "primary", "secondary")  # OSM highway classes of main roads
STREET_POINT_SPACING_M = 25.0


@dataclass
class LayerContext:
    """A district projected to its UTM zone for placement, with the run's norms (the service
    radius of a site without its own follows them)."""

    district: District
    norms: Norms = field(default_factory=packaged_norms)

    @cached_property
    def crs(self) -> CRS:
        return self.district.metric_crs

    @cached_property
    def to_metric(self) -> Transformer:
        return Transformer.from_crs(4326, self.crs, always_xy=True)

    @cached_property
    def to_wgs84(self) -> Transformer:
        return Transformer.from_crs(self.crs, 4326, always_xy=True)

    def project(self, geometry):
        """A WGS-84 geometry, or an array of them, in the district's metric CRS."""
        return shapely.transform(
            geometry, lambda c: np.column_stack(self.to_metric.transform(*c.T))
        )

    @cached_property
    def region(self) -> BaseGeometry:
        """The district boundary in metres."""
        return self.project(self.district.boundary)

    def xy(self, frame: gpd.GeoDataFrame) -> NDArray[np.float64]:
        if len(frame) == 0:
            return np.empty((0, 2))
        return np.column_stack(self.to_metric.transform(frame.geometry.x, frame.geometry.y))

    def xy_of(self, lon: NDArray, lat: NDArray) -> NDArray[np.float64]:
        """Metric coordinates of WGS-84 longitude/latitude arrays."""
        if not len(lon):
            return np.empty((0, 2))
        return np.column_stack(self.to_metric.transform(np.asarray(lon), np.asarray(lat)))

    @cached_property
    def demand_xy(self) -> NDArray[np.float64]:
        return self.xy(self.district.demand)

    @cached_property
    def demand_population(self) -> NDArray[np.float64]:
        return self.district.demand["population"].to_numpy(dtype=float)

    @cached_property
    def street_xy(self) -> NDArray[np.float64]:
        """Points every ~25 m along the streets (empty without a street network)."""
        streets = self.district.streets
        if streets is None or not self.district.has_streets:
            return np.empty((0, 2))
        lines = self.project(streets.lines.to_numpy())
        coords = shapely.get_coordinates(shapely.segmentize(lines, STREET_POINT_SPACING_M))
        return np.unique(np.round(coords, 1), axis=0)

    @cached_property
    def study_region(self) -> BaseGeometry | None:
        """The street network's study area in metres (None without a street network)."""
        study = self.district.study_area
        return None if study is None or study.is_empty else self.project(study)

    @cached_property
    def main_street_xy(self) -> NDArray[np.float64]:
        """Points every ~25 m along the main roads (trunk, primary, secondary and their links)."""
        streets = self.district.streets
        if streets is None or not self.district.has_streets:
            return np.empty((0, 2))
        main = streets.edges["highway"].astype(str).str.removesuffix("_link").isin(MAIN_ROADS)
        if not main.any():
            return np.empty((0, 2))
        lines = self.project(streets.lines.to_numpy()[main.to_numpy()])
        coords = shapely.get_coordinates(shapely.segmentize(lines, STREET_POINT_SPACING_M))
        return np.unique(np.round(coords, 1), axis=0)

    def pois_xy(self, categories: set[str], subtypes: set[str] | None = None) -> NDArray:
        pois = self.district.pois
        mask = pois["category"].isin(categories)
        if subtypes is not None:
            mask &= pois["subtype"].isin(subtypes)
        return self.xy(pois[mask])

    def lonlat(self, xy: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        lon, lat = self.to_wgs84.transform(xy[:, 0], xy[:, 1])
        return np.asarray(lon), np.asarray(lat)

    @cached_property
    def outer_ring(self) -> BaseGeometry:
        return gpd.read_file(OUTER_RING_FILE).geometry.union_all()

    def inside_outer_ring(self, lon: NDArray, lat: NDArray) -> NDArray[np.bool_]:
        """Ring class per point: the preset's class, or the S20 polygon where the district straddles."""
        ring = self.district.preset.ring
        if ring != "straddling":
            return np.full(len(lon), ring == "inside")
        return contains_xy(self.outer_ring, lon, lat)
