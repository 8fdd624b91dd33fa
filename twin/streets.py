"""A district's streets without networkx: the edges as lines and the CSR walk network.

An osmnx graph is converted once, when a district is assembled from its sources
(:meth:`Streets.from_graph`); the district cache then stores the edges as GeoParquet and the CSR
arrays as ``.npz`` (:meth:`Streets.save` / :meth:`Streets.read`), so no later run converts a
networkx graph again or holds one in memory. Maps, labels, layer placement and place names read
:attr:`Streets.edges`; every walking distance reads :attr:`Streets.network`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from twin.network import StreetNetwork, spatial_order
from twin.store.geoparquet import read_geoparquet

if TYPE_CHECKING:
    import networkx as nx

EDGES_FILE = "streets.parquet"
NETWORK_FILE = "network.npz"
MAX_NAME_LIST_CHARS = 4096  # a merged street's names; longer text is not parsed as a list
REFERENCE_SPACING_DEG = 0.0002  # ≈ 20 m: reference points along the streets (datum test)


def first_name(value: object) -> str:
    """The first name of an edge: osmnx merges simplified edges' names into a list, and a
    GraphML round trip turns that list into its text ("['a', 'b']")."""
    import ast

    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        if len(value) > MAX_NAME_LIST_CHARS:  # a hostile list literal: never parse it
            return value[1:].split(",")[0].strip(" '\"")[:200]
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return str(value)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v), "")
    return value if isinstance(value, str) else ""


@dataclass
class Streets:
    """Street edges (WGS-84 lines with ``name``, ``highway``, ``length`` in metres and ``u``/``v``
    node positions) and the node coordinates; ``network`` is the CSR graph in ``crs`` metres."""

    edges: gpd.GeoDataFrame
    lonlat: NDArray[np.float64]
    crs: CRS
    _network: StreetNetwork | None = None

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, crs: CRS) -> Streets:
        """From an osmnx walk graph (lon/lat nodes, ``length`` in metres on edges)."""
        import osmnx as ox

        nodes, frame = ox.graph_to_gdfs(graph, nodes=True, fill_edge_geometry=True)
        # nodes numbered along a space-filling curve, not in OSM's order (by id: spatially
        # random), so the CSR's walks read memory in order (network.spatial_order)
        nodes = nodes.iloc[spatial_order(nodes[["x", "y"]].to_numpy(float))]
        # node ids only join edges to nodes: positions, so ids beyond 64 bits do no harm
        ids = pd.Index(nodes.index)
        edges = gpd.GeoDataFrame(
            {
                "name": [first_name(n) for n in frame.get("name", [""] * len(frame))],
                "highway": [first_name(h) for h in frame.get("highway", [""] * len(frame))],
                "length": frame["length"].to_numpy(dtype=float),
                "u": ids.get_indexer(frame.index.get_level_values("u")),
                "v": ids.get_indexer(frame.index.get_level_values("v")),
            },
            geometry=frame.geometry.to_numpy(),
            crs=4326,
        )
        lonlat = np.column_stack([nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)])
        return cls(edges, lonlat, CRS.from_user_input(crs))

    @property
    def n_nodes(self) -> int:
        return len(self.lonlat)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    @property
    def lines(self) -> gpd.GeoSeries:
        """The edges as WGS-84 lines."""
        return self.edges.geometry

    @property
    def network(self) -> StreetNetwork:
        """The CSR walk graph in metres (built from the edges once, or read from the cache)."""
        if self._network is None:
            x, y = Transformer.from_crs(4326, self.crs, always_xy=True).transform(
                self.lonlat[:, 0], self.lonlat[:, 1]
            )
            edges = self.edges
            self._network = StreetNetwork.from_arrays(
                np.column_stack([x, y]), edges["u"].to_numpy(np.int64),
                edges["v"].to_numpy(np.int64), edges["length"].to_numpy(float),
            )  # fmt: skip
        return self._network

    @cached_property
    def reference_points(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Points every ~20 m along the streets (lon, lat): the datum test's reference."""
        coords = shapely.get_coordinates(
            shapely.segmentize(self.lines.to_numpy(), REFERENCE_SPACING_DEG)
        )
        return coords[:, 0], coords[:, 1]

    def save(self, folder: Path) -> list[str]:
        """Write the edges (GeoParquet) and the CSR arrays (npz) to ``folder``; the file names."""
        self.edges.to_parquet(folder / EDGES_FILE)
        with (folder / NETWORK_FILE).open("wb") as fh:
            arrays: dict[str, Any] = {"lonlat": self.lonlat, "crs": np.array(self.crs.to_wkt())}
            np.savez(fh, **(arrays | self.network.arrays()))
        return [EDGES_FILE, NETWORK_FILE]

    @classmethod
    def read(cls, folder: Path) -> Streets | None:
        """The streets saved in ``folder`` (None when it has none)."""
        if not (folder / NETWORK_FILE).exists():
            return None
        with np.load(folder / NETWORK_FILE, allow_pickle=False) as arrays:
            network = StreetNetwork.from_saved(arrays)
            lonlat, crs = arrays["lonlat"], CRS.from_wkt(str(arrays["crs"]))
        return cls(read_geoparquet(folder / EDGES_FILE), lonlat, crs, network)
