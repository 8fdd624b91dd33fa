"""Walking distances on a CSR street graph: built once per district, queried per facility set.

The walk graph becomes an undirected ``scipy.sparse`` CSR matrix of edge lengths (the shortest of
parallel edges). A query snaps facilities and origins to their nearest node with a KD-tree and
runs one multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra``): a virtual source node is
joined to every facility node by an edge as long as the facility's walk to its node, so one run
gives every node its distance to the nearest facility, snap walks included, with the search cut
at ``limit``.

Where a point lies farther than ``max_snap_m`` from the network (outside the study area) or no
facility is reachable, the distance is the straight line times a detour factor (default 1.3, the
typical ratio of walking to crow-fly distance in Chinese urban grids) and flagged as estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_MAX_SNAP_M = 250.0
_ZERO = 1e-6  # csgraph treats explicit zeros as missing edges


@dataclass(frozen=True)
class Distances:
    """Distance (m) from each origin to its nearest facility and whether it was estimated."""

    metres: NDArray[np.float64]
    estimated: NDArray[np.bool_]


class StreetNetwork:
    """A walk graph as CSR arrays in a metric CRS, with a KD-tree over its nodes."""

    def __init__(self, xy: NDArray[np.float64], csr: csr_matrix) -> None:
        self.xy = xy
        self.csr = csr
        self.tree = cKDTree(xy) if len(xy) else None

    @classmethod
    def from_arrays(
        cls, xy: NDArray[np.float64], u: NDArray[np.int64], v: NDArray[np.int64], length: NDArray
    ) -> StreetNetwork:
        """From node coordinates (metres) and edges as index arrays with lengths (metres)."""
        n = len(xy)
        length = np.maximum(np.asarray(length, dtype=float), _ZERO)
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u])
        data = np.concatenate([length, length])
        keep = rows != cols
        order = np.lexsort((data[keep], cols[keep], rows[keep]))
        r, c, d = rows[keep][order], cols[keep][order], data[keep][order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])  # shortest of parallel edges
        csr = coo_matrix((d[first], (r[first], c[first])), shape=(n, n)).tocsr()
        return cls(np.asarray(xy, dtype=float), csr)

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, crs: CRS) -> StreetNetwork:
        """From an osmnx walk graph (lon/lat nodes, ``length`` in metres on edges)."""
        nodes = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        lon = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, len(nodes))
        lat = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, len(nodes))
        x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
        m = graph.number_of_edges()
        flat = np.fromiter(
            (value for edge in graph.edges(data="length", default=0.0) for value in edge),
            dtype=float,
            count=3 * m,
        ).reshape(m, 3)
        edges, length = flat[:, :2].astype(np.int64), flat[:, 2]
        order = np.argsort(nodes)
        u = order[np.searchsorted(nodes, edges[:, 0], sorter=order)]
        v = order[np.searchsorted(nodes, edges[:, 1], sorter=order)]
        return cls.from_arrays(np.column_stack([x, y]), u, v, length)

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    def snap(self, xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Distance to and index of the nearest node of each point."""
        if self.tree is None or not len(xy):
            return np.full(len(xy), np.inf), np.zeros(len(xy), dtype=np.int64)
        distance, index = self.tree.query(xy)
        return distance, index.astype(np.int64)

    def node_distances(
        self, source_nodes: NDArray[np.int64], source_offsets: NDArray[np.float64], limit: float
    ) -> NDArray[np.float64]:
        """Distance from every node to the nearest source (offset included), inf beyond ``limit``."""
        n = self.n_nodes
        if not len(source_nodes):
            return np.full(n, np.inf)
        # the virtual source is node n, joined to each source node
        best = np.full(n, np.inf)
        # every virtual edge carries +1 m, taken off again below: zero offsets stay edges
        np.minimum.at(best, source_nodes, np.asarray(source_offsets, dtype=float) + 1.0)
        targets = np.flatnonzero(np.isfinite(best))
        base = self.csr
        graph = csr_matrix(
            (
                np.concatenate([base.data, best[targets]]),
                np.concatenate([base.indices, targets]),
                np.append(base.indptr, base.indptr[-1] + len(targets)),
            ),
            shape=(n + 1, n + 1),
        )
        result = dijkstra(graph, directed=True, indices=n, limit=limit + 1.0)
        return np.asarray(result[:n]) - 1.0


def straight_line(origins_xy: NDArray, facilities_xy: NDArray) -> NDArray[np.float64]:
    """Crow-fly distance from each origin to its nearest facility (inf without facilities)."""
    if not len(facilities_xy):
        return np.full(len(origins_xy), np.inf)
    distance, _ = cKDTree(facilities_xy).query(origins_xy)
    return np.asarray(distance, dtype=float)


def nearest_facility(
    network: StreetNetwork | None,
    origins_xy: NDArray[np.float64],
    facilities_xy: NDArray[np.float64],
    limit_m: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> Distances:
    """Network distance where both ends are on the network, else the detour estimate.

    Facilities off the network reach on-network origins by their estimate when that is shorter;
    origins off the network, or with no facility within ``limit_m`` along it, get the estimate
    to the nearest facility of all. Estimated distances are flagged.
    """
    estimate_all = detour_factor * straight_line(origins_xy, facilities_xy)
    if network is None or network.n_nodes == 0 or not len(facilities_xy):
        return Distances(estimate_all, np.ones(len(origins_xy), dtype=bool))
    f_snap, f_node = network.snap(facilities_xy)
    on = f_snap <= max_snap_m
    at_nodes = network.node_distances(f_node[on], f_snap[on], limit_m)
    o_snap, o_node = network.snap(origins_xy)
    origin_on = o_snap <= max_snap_m
    walked = np.where(origin_on, o_snap + at_nodes[o_node], np.inf)
    estimate_off = detour_factor * straight_line(origins_xy, facilities_xy[~on])
    metres = np.where(origin_on, np.minimum(walked, estimate_off), estimate_all)
    estimated = ~origin_on | (estimate_off < walked)
    unreached = ~np.isfinite(metres)
    metres[unreached] = estimate_all[unreached]
    estimated |= unreached
    return Distances(metres, estimated)
