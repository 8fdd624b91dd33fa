"""The district model: boundary, study area, walking network, POIs by category and demand.

:func:`district_from_sources` assembles a :class:`District` from the best sources available (a
user's files, the data pack, or OpenStreetMap online, cached) and records where each piece came
from; :func:`twin.store.load_district` adds the district cache in front of it.
A district with no street data still loads; its street-based steps report themselves unavailable.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from twin._errors import (
    DataNotFoundError,
    EmptyAreaError,
    NetworkAccessError,
)
from twin.categories import CATEGORIES
from twin.crs import utm_crs
from twin.datum import warn_if_shifted
from twin.districts import DistrictPreset, resolve
from twin.i18n import N_
from twin.settings import Settings
from twin.sources import boundary as boundary_source
from twin.sources import demand as demand_source
from twin.sources import osm as osm_source
from twin.sources import pois as poi_source
from twin.sources.pack import pack_osm_files_covering
from twin.sources.record import OSM_ATTRIBUTION, SourceRecord
from twin.streets import Streets

if TYPE_CHECKING:
    import networkx as nx

Progress = Callable[[str], None]
POI_MARGIN_M = 1250.0  # load facilities this far outside the boundary: residents cross it


def _quiet(_: str) -> None:
    return None


@dataclass
class District:
    """Everything twin knows about one district, in WGS-84 (EPSG:4326); ``streets`` holds the
    walk network's edges and CSR arrays (no networkx graph is kept)."""

    preset: DistrictPreset
    boundary: BaseGeometry
    streets: Streets | None
    study_area: BaseGeometry | None
    pois: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    sources: list[SourceRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    poi_summary: dict = field(default_factory=dict)
    buildings: gpd.GeoDataFrame | None = None  # OSM footprints with height_m (3D view)

    @property
    def name(self) -> str:
        return self.preset.name_en

    @property
    def metric_crs(self) -> CRS:
        point = self.boundary.representative_point()
        return utm_crs(point.x, point.y)

    def _area_km2(self, geometry: BaseGeometry | None) -> float:
        if geometry is None or geometry.is_empty:
            return 0.0
        series = gpd.GeoSeries([geometry], crs=4326).to_crs(self.metric_crs)
        return float(series.area.iloc[0]) / 1e6

    @property
    def area_km2(self) -> float:
        return self._area_km2(self.boundary)

    @property
    def study_area_km2(self) -> float:
        return self._area_km2(self.study_area)

    @property
    def study_share(self) -> float:
        """Share of the district's area covered by the street network (0 without streets)."""
        return self.study_area_km2 / self.area_km2 if self.area_km2 else 0.0

    @property
    def has_streets(self) -> bool:
        return self.streets is not None and self.streets.n_nodes > 0

    @property
    def population(self) -> float:
        return float(self.demand["population"].sum()) if len(self.demand) else 0.0

    def pois_by_category(self) -> dict[str, int]:
        counts = self.pois.loc[self.pois["in_district"], "category"].value_counts()
        return {c: int(counts.get(c, 0)) for c in CATEGORIES}

    def missing_categories(self) -> list[str]:
        return [c for c, n in self.pois_by_category().items() if n == 0]

    def summary(self) -> dict:
        """A JSON-ready description of what is loaded (``twin info``)."""
        streets = self.streets
        return {
            "district": self.preset.slug,
            "name_zh": self.preset.name_zh,
            "name_en": self.preset.name_en,
            "adcode": self.preset.adcode,
            "boundary_area_km2": round(self.area_km2, 2),
            "street_nodes": streets.n_nodes if streets is not None else 0,
            "street_edges": streets.n_edges if streets is not None else 0,
            "study_area_km2": round(self.study_area_km2, 2),
            "study_area_share": round(self.study_share, 4),
            "pois_by_category": self.pois_by_category(),
            "pois_outside_within_margin": int((~self.pois["in_district"]).sum()),
            "poi_summary": self.poi_summary,
            "demand_points": len(self.demand),
            "buildings": 0 if self.buildings is None else len(self.buildings),
            "residents": round(self.population),
            "sources": [s.as_dict() for s in self.sources],
            "notes": list(self.notes),
            "attribution": sorted({s.attribution for s in self.sources}),
        }


def study_area_of(
    streets: Streets, boundary: BaseGeometry, crs: CRS, buffer_m: float
) -> BaseGeometry:
    """The part of ``boundary`` within ``buffer_m`` of one of the ``streets``."""
    lines = streets.lines.to_crs(crs)
    covered = shapely.union_all(shapely.buffer(lines.to_numpy(), buffer_m, quad_segs=2))
    covered_wgs = gpd.GeoSeries([covered], crs=crs).to_crs(4326).iloc[0]
    return shapely.make_valid(covered_wgs.intersection(boundary))


def street_file_coverage(
    graph: nx.MultiDiGraph, path: Path, preset: DistrictPreset, settings: Settings
) -> str:
    """Which districts a street file's nodes fall in, and how much lies outside this one."""
    xs = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, graph.number_of_nodes())
    ys = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, graph.number_of_nodes())
    districts = boundary_source.pack_district_boundaries(settings)
    if not len(xs):
        return f"{path.name} holds no street nodes."
    shares = []
    for adcode, name, geometry in zip(districts["adcode"], districts["name_en"],
                                      districts.geometry, strict=True):  # fmt: skip
        share = float(shapely.contains_xy(geometry, xs, ys).mean())
        if share > 0.005:
            shares.append((share, str(name), str(adcode) == preset.adcode))
    shares.sort(reverse=True)
    inside = next((s for s, _, own in shares if own), 0.0)
    listed = ", ".join(f"{s:.0%} in {n}" for s, n, _ in shares[:5]) or "no known district"
    return N_("{file}: {nodes} street nodes, {listed}; {outside} of the file lies outside "
              "{district} and is not used").format(file=path.name, nodes=f"{len(xs):,}",
                                                   listed=listed, outside=f"{1 - inside:.0%}",
                                                   district=preset.name_en)  # fmt: skip


def clip_graph(graph: nx.MultiDiGraph, boundary: BaseGeometry) -> nx.MultiDiGraph | None:
    """The part of ``graph`` inside ``boundary`` (edges crossing it are kept whole)."""
    import osmnx as ox

    try:
        clipped = ox.truncate.truncate_graph_polygon(graph, boundary, truncate_by_edge=True)
    except ValueError:  # osmnx raises when nothing is left
        return None
    clipped = osm_source.walkable_graph(clipped)
    return clipped if clipped.number_of_nodes() else None


def _buffer(geometry: BaseGeometry, metres: float, crs: CRS) -> BaseGeometry:
    series = gpd.GeoSeries([geometry], crs=4326).to_crs(crs).buffer(metres)
    return series.to_crs(4326).iloc[0]


def _load_streets(
    preset: DistrictPreset,
    boundary: BaseGeometry,
    settings: Settings,
    osm_file: Path | None,
    notes: list[str],
    progress: Progress,
) -> tuple[nx.MultiDiGraph | None, list[SourceRecord]]:
    if osm_file is not None:
        progress(f"streets: reading {osm_file}")
        whole = osm_source.shared_graph_from_file(osm_file, settings)
        if whole.graph.get("twin_note"):
            notes.append(str(whole.graph["twin_note"]))
        notes.append(street_file_coverage(whole, osm_file, preset, settings))
        graph = clip_graph(whole, boundary)
        if graph is None:
            msg = (
                f"{osm_file} has no streets inside {preset.name_en}; "
                "check that the extract covers the district."
            )
            raise EmptyAreaError(msg)
        return graph, [SourceRecord("streets", str(osm_file), "WGS-84", OSM_ATTRIBUTION)]
    try:
        progress("streets: OpenStreetMap walking network (cache or download)")
        graph = osm_source.graph_from_osm(boundary, settings, preset.slug)
        record = SourceRecord("streets", "OpenStreetMap Overpass", "WGS-84", OSM_ATTRIBUTION)
        return clip_graph(graph, boundary), [record]
    except NetworkAccessError as exc:
        offline_reason = str(exc)
    pack_files = pack_osm_files_covering(boundary, settings)
    if not pack_files:
        # the reason says what to run (graph_from_osm names the district's twin fetch): once
        notes.append(N_(
            "no street data for {district}: the data pack does not cover it and {reason}"
        ).format(district=preset.name_en, reason=offline_reason))  # fmt: skip
        return None, []
    graphs, records = [], []
    for path in pack_files:
        progress(f"streets: reading data pack {path.name}")
        graphs.append(osm_source.shared_graph_from_file(path, settings))
        records.append(
            SourceRecord("streets", str(path), "WGS-84", OSM_ATTRIBUTION, N_("data pack"))
        )
    import networkx as nx

    whole = graphs[0] if len(graphs) == 1 else nx.compose_all(graphs)  # clipping copies it
    return clip_graph(whole, boundary), records


def _load_pois(
    boundary: BaseGeometry,
    crs: CRS,
    settings: Settings,
    osm_file: Path | None,
    notes: list[str],
    progress: Progress,
    readable: Path | None = None,
) -> tuple[gpd.GeoDataFrame, dict, list[SourceRecord]]:
    area = _buffer(boundary, POI_MARGIN_M, crs)
    frames, summary, records = [], {}, []
    if settings.data_dir is not None:
        progress("POIs: data pack (Amap)")
        pack, summary["amap"] = poi_source.pois_from_pack(area, settings)
        frames.append(pack)
        records.append(poi_source.pack_poi_record(settings))
    if osm_file is not None and not str(osm_file).endswith(".graphml"):
        progress(f"POIs: OSM tags in {osm_file}")
        osm, summary["osm"] = poi_source.pois_from_osm_file(readable or osm_file, area)
        frames.append(osm)
        records.append(poi_source.osm_poi_record(str(osm_file)))
    elif not settings.offline:
        try:
            progress("POIs: OpenStreetMap download")
            osm, summary["osm"] = poi_source.pois_from_osm(area, settings)
            frames.append(osm)
            records.append(poi_source.osm_poi_record("OpenStreetMap Overpass"))
        except NetworkAccessError as exc:
            notes.append(f"OSM POIs unavailable ({exc}); only data-pack POIs are used.")
    frames = [f for f in frames if len(f)]
    pois = (
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
        if frames
        else poi_source.empty_pois()
    )
    pois["in_district"] = pois.geometry.intersects(boundary) if len(pois) else []
    return pois, summary, records


def _load_demand(
    preset: DistrictPreset,
    boundary: BaseGeometry,
    settings: Settings,
    demand_raster: Path | None,
    origin: str | None,
    features: gpd.GeoDataFrame | None,
    notes: list[str],
    progress: Progress,
) -> tuple[gpd.GeoDataFrame, list[SourceRecord]]:
    """Residents' points: a population raster, else residential buildings (``features`` read
    from ``origin``: a street file or Overpass), else the data pack's addresses."""
    if demand_raster is not None:
        progress(f"demand: population raster {demand_raster}")
        frame, record = demand_source.demand_from_raster(demand_raster, boundary)
        return frame, [record]
    if features is not None and origin is not None:
        progress(f"demand: residential buildings from {origin}")
        found = demand_source.demand_from_buildings(features, boundary, preset.population,
                                                    origin)  # fmt: skip
        if found is not None:
            return found[0], [found[1]]
        notes.append(f"{Path(origin).name} has no residential buildings inside "
                     f"{preset.name_en}; residents follow the data pack's addresses")  # fmt: skip
    if settings.data_dir is not None:
        progress("demand: data pack residential addresses")
        frame, record = demand_source.demand_from_pack(boundary, preset.population, settings)
        if len(frame):
            return frame, [record]
    notes.append(N_("no demand points for {district}: pass a population raster (--population "
                    "FILE).").format(district=preset.name_en))  # fmt: skip
    empty = gpd.GeoDataFrame({"population": [], "method": []}, geometry=[], crs=4326)
    return empty, []


def district_from_sources(
    name: str,
    settings: Settings,
    *,
    osm_file: Path | None = None,
    boundary_file: Path | None = None,
    boundary_crs: str = "wgs84",
    demand_raster: Path | None = None,
    progress: Progress = _quiet,
) -> District:
    """Load a district from the best available sources.

    Order of preference: the user's files; then (streets) the cached or downloaded OSM network,
    then the data pack's OSM extracts when they overlap the district. A partial extract is clipped
    and its coverage reported as the study-area share; it never stands in for the whole district.
    """
    preset = resolve(name)
    notes: list[str] = []
    progress(f"boundary: {preset.label}")
    if boundary_file is not None:
        boundary, b_record = boundary_source.boundary_from_file(
            boundary_file,
            boundary_crs,  # type: ignore[arg-type]
        )
    else:
        try:
            boundary, b_record = boundary_source.boundary_from_pack(preset, settings)
        except DataNotFoundError:
            boundary, b_record = boundary_source.boundary_from_osm(preset, settings)
    point = boundary.representative_point()
    crs = utm_crs(point.x, point.y)
    graph, street_records = _load_streets(preset, boundary, settings, osm_file, notes, progress)
    streets = study_area = None
    if graph is not None:
        progress("streets: edges and CSR walk network")
        streets = Streets.from_graph(graph, crs)
        del graph  # from here on twin needs no networkx graph
        progress("study area: land within a short walk of the streets")
        study_area = study_area_of(streets, boundary, crs, settings.norms.reach.study_area_buffer_m)
    readable = None  # the street file as OSM XML osmnx reads (a PBF converted, a clipped file kept)
    if osm_file is not None and not str(osm_file).lower().endswith(".graphml"):
        readable = osm_source.readable_xml(osm_file, settings)[0]
    pois, poi_summary, poi_records = _load_pois(boundary, crs, settings, osm_file, notes, progress,
                                                readable)  # fmt: skip
    features, buildings, origin = None, None, None
    building_records: list[SourceRecord] = []
    if osm_file is not None and not str(osm_file).endswith(".graphml"):
        progress(f"buildings: footprints and heights in {osm_file}")
        features = demand_source.buildings_from_osm_file(readable or osm_file, boundary)
        origin = str(osm_file)
    elif not settings.offline:
        try:
            progress("buildings: OpenStreetMap download")
            features = demand_source.buildings_from_osm(boundary, settings)
            origin = "OpenStreetMap Overpass"
        except NetworkAccessError as exc:
            notes.append(f"OSM buildings unavailable ({exc}); residents follow the data pack.")
    if features is not None:
        buildings = demand_source.building_footprints(features, boundary)
        if buildings.empty:
            notes.append(f"{Path(str(origin)).name} has no buildings inside {preset.name_en}: "
                         "the 3D view shows hexagons and masts only.")  # fmt: skip
            buildings = None
        else:
            tagged = int((buildings["height_from"] != "assumed").sum())
            building_records = [SourceRecord(
                "buildings", str(origin), "WGS-84", OSM_ATTRIBUTION,
                N_("{buildings} building footprints, {tagged} with a height or levels tag (the others "
                   "at their type's usual floors × 3 m)").format(
                    buildings=f"{len(buildings):,}", tagged=f"{tagged:,}"))]  # fmt: skip
    demand, demand_records = _load_demand(
        preset, boundary, settings, demand_raster, origin, features, notes, progress
    )
    if streets is not None and len(demand) and demand_raster is None:
        xs, ys = streets.reference_points
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_if_shifted(demand.geometry.x, demand.geometry.y, xs, ys, "demand points")
        notes.extend(str(w.message) for w in caught)
    district = District(
        preset=preset,
        boundary=boundary,
        streets=streets,
        study_area=study_area,
        pois=pois,
        demand=demand,
        sources=[b_record, *street_records, *poi_records, *demand_records, *building_records],
        notes=notes,
        poi_summary=poi_summary,
        buildings=buildings,
    )
    if streets is not None and district.study_share < 0.999:
        notes.append(N_(
            "the street network covers {share} of {district}; walks from outside it are "
            "straight-line estimates, and each figure says what share of residents rests on them."
        ).format(share=f"{district.study_share:.0%}", district=preset.name_en))  # fmt: skip
    missing = district.missing_categories()
    if missing:
        notes.append(N_("no POIs in categories {categories}; their access is not measured.").format(
            categories=", ".join(CATEGORIES.get(c, c) for c in missing)))  # fmt: skip
    return district
