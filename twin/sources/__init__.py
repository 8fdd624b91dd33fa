"""Data sources: the only code in twin that reads files or the network.

Each source has an offline path (the data pack or a user file) and an online path (OpenStreetMap
through osmnx), and both end in the same objects.
"""

from twin.sources.boundary import boundary_from_file, boundary_from_osm, boundary_from_pack
from twin.sources.demand import demand_from_pack, demand_from_raster
from twin.sources.osm import graph_from_file, graph_from_osm, walkable_graph
from twin.sources.pois import pois_from_osm, pois_from_osm_file, pois_from_pack
from twin.sources.record import SourceRecord

__all__ = [
    "CATEGORIES",
    "SourceRecord",
    "boundary_from_file",
    "boundary_from_osm",
    "boundary_from_pack",
    "demand_from_pack",
    "demand_from_raster",
    "graph_from_file",
    "graph_from_osm",
    "pois_from_osm",
    "pois_from_osm_file",
    "pois_from_pack",
    "walkable_graph",
]
