"""An OSM XML or PBF street file read into the graph ``osmnx.graph_from_xml`` builds, at C speed.

``osmnx.graph_from_xml(path, bidirectional=True, retain_all=True)`` turns the file into
Overpass-style JSON, builds the *unsimplified* graph in networkx (one edge per pair of
consecutive way nodes, both ways) and then simplifies it edge by edge: ≈ 3.5 s for the data
pack's 21,800-node extract, most of a cold district load. This module reads the file with
osmium (C++) and builds the simplified graph directly from arrays; networkx only ever holds the
simplified graph. One rule, osmnx 2's, so the two agree node for node and edge for edge
(``tests/test_osm_reader.py`` compares them on the data pack's extracts):

* every way of the file is a path (its consecutive duplicate nodes merged), both directions an
  edge: ``osmid``, the way's :data:`WAY_TAGS`, ``oneway`` False, ``reversed`` (against the way's
  order) and ``length``, the great-circle distance (radius 6,371,009 m);
* a node is an *endpoint* unless it has exactly two neighbours and one segment to each;
* from each endpoint, each chain of non-endpoints to the next endpoint becomes one edge per
  direction: ``length`` summed along it, other attributes kept when the chain agrees and listed
  (in order of first appearance: osmnx lists a set, whose order varies between runs) when it
  does not, ``geometry`` the chain's line; segments between two endpoints stay as they are;
* rings without an endpoint are dropped, as osmnx's ``remove_rings`` does, and nodes in no way
  are left out (osmnx keeps them isolated; :func:`twin.sources.osm.walkable_graph` drops them);
* an id the file gives twice keeps its last element, as osmnx's dicts do.

Coordinates are osmium's, to 1e-7° as OSM writes them: the same doubles Python reads from seven
decimals (lengths bit for bit); a file written with more decimals is rounded, by under 1 cm.

osmnx stays the reader of downloads and GraphML, and of a well-formed file osmium refuses
(:class:`OsmiumRefusedError`: ids beyond 64 bits, which real OSM never has).
"""

from __future__ import annotations

from itertools import groupby, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from twin._errors import InvalidInputError

if TYPE_CHECKING:
    import networkx as nx

# osmnx 2's settings.useful_tags_way and useful_tags_node, and the tags twin's walk filter reads
WAY_TAGS = ("access", "area", "bridge", "est_width", "highway", "junction", "landuse", "lanes",
            "maxspeed", "name", "oneway", "ref", "service", "tunnel", "width", "foot")  # fmt: skip
NODE_TAGS = ("highway", "junction", "railway", "ref")
EARTH_RADIUS_M = 6_371_009  # osmnx's great-circle radius


def great_circle_m(
    lat1: NDArray[np.float64], lon1: NDArray[np.float64],
    lat2: NDArray[np.float64], lon2: NDArray[np.float64],
) -> NDArray[np.float64]:  # fmt: skip
    """Haversine distance in metres, written as osmnx writes it (the same floating-point steps).

    >>> round(float(great_circle_m(np.array([31.0]), np.array([121.0]),
    ...                            np.array([31.0]), np.array([121.001]))[0]), 2)
    95.31
    """
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    delta_y, delta_x = y2 - y1, np.deg2rad(lon2) - np.deg2rad(lon1)
    h = np.sin(delta_y / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(delta_x / 2) ** 2
    arc = 2 * np.arcsin(np.sqrt(np.minimum(1, h)))
    out = arc * EARTH_RADIUS_M
    out[np.isnan(out)] = 0
    return np.asarray(out, dtype=float)


class OsmiumRefusedError(InvalidInputError):
    """osmium cannot read the file (an id beyond 64 bits, say): a file osmnx's own XML parser
    may still read."""


class _File:
    """The nodes and ways of an OSM file: node ids (sorted) with lon/lat and useful tags; each
    way's id, node positions (consecutive repeats merged) and useful tags. An id the file gives
    twice (overlapping extracts joined) keeps its last element, as osmnx's dicts do."""

    def __init__(self, path: Path) -> None:
        import osmium

        ids: list[int] = []
        lon: list[float] = []
        lat: list[float] = []
        self.node_tags: dict[int, dict[str, str]] = {}
        ways: dict[int, tuple[list[int], dict[str, str]]] = {}
        lower = path.name.lower()
        kind = "pbf" if lower.endswith(".pbf") else "osm.bz2" if lower.endswith(".bz2") else "osm"
        try:  # the format named, not guessed from the suffix (".OSM", ".xml")
            for obj in osmium.FileProcessor(osmium.io.File(str(path), kind),
                                            osmium.osm.NODE | osmium.osm.WAY):  # fmt: skip
                if isinstance(obj, osmium.osm.Node):
                    if not obj.location.valid():
                        continue  # the file's checks have left such nodes out already
                    ids.append(obj.id)
                    lon.append(obj.location.lon)
                    lat.append(obj.location.lat)
                    tags = {k: obj.tags[k] for k in NODE_TAGS if k in obj.tags}
                    if tags or obj.id in self.node_tags:
                        self.node_tags[obj.id] = tags
                elif isinstance(obj, osmium.osm.Way):
                    refs = [ref for ref, _ in groupby(n.ref for n in obj.nodes)]
                    ways[obj.id] = (refs, {k: obj.tags[k] for k in WAY_TAGS if k in obj.tags})
        except Exception as exc:  # osmium refuses what the file's checks let through ("+31.0")
            msg = f"{path.name} is not a file osmium reads ({type(exc).__name__}: {exc})."
            raise OsmiumRefusedError(msg) from None
        self.way_ids = list(ways)
        self.way_refs = [refs for refs, _ in ways.values()]
        self.way_tags = [tags for _, tags in ways.values()]
        last = len(ids) - 1 - np.unique(np.asarray(ids[::-1], dtype=np.int64), return_index=True)[1]
        self.ids = np.asarray(ids, dtype=np.int64)[last]  # sorted, each id's last element
        self.lon = np.asarray(lon, dtype=float)[last]
        self.lat = np.asarray(lat, dtype=float)[last]


def _segments(
    osm: _File, name: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every way's consecutive node pairs as node positions (u, v) and the way of each."""
    refs = [np.asarray(r, dtype=np.int64) for r in osm.way_refs]
    lengths = np.array([max(len(r) - 1, 0) for r in refs], dtype=np.int64)
    if not lengths.sum():
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    u_ids = np.concatenate([r[:-1] for r in refs if len(r) > 1])
    v_ids = np.concatenate([r[1:] for r in refs if len(r) > 1])
    way = np.repeat(np.arange(len(refs)), lengths)
    u = np.searchsorted(osm.ids, u_ids)
    v = np.searchsorted(osm.ids, v_ids)
    held = (u < len(osm.ids)) & (v < len(osm.ids))
    held[held] = (osm.ids[u[held]] == u_ids[held]) & (osm.ids[v[held]] == v_ids[held])
    if not held.all():  # the file's checks cut such ways first: a reader's last guard
        msg = f"{name}: a way refers to a node the file does not hold."
        raise InvalidInputError(msg)
    return u, v, way


def _neighbours(u: NDArray[np.int64], v: NDArray[np.int64], n: int) -> tuple[NDArray, NDArray]:
    """Each node's distinct neighbours as CSR (offsets, targets), from the undirected segments."""
    pairs = np.unique(np.column_stack([np.minimum(u, v), np.maximum(u, v)]), axis=0)
    source = np.concatenate([pairs[:, 0], pairs[:, 1]])
    target = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((target, source))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(source, minlength=n), out=offsets[1:])
    return offsets, target[order]


def _merged(values: list[Any]) -> Any:
    """A chain's attribute: its one value, or its values in order of first appearance."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else distinct


def _endpoints(
    u: NDArray[np.int64], v: NDArray[np.int64], n: int
) -> tuple[NDArray, NDArray, NDArray]:
    """Which of ``n`` nodes are endpoints (osmnx's rule: in a way, and not exactly two
    neighbours with one segment to each, nor on a self-loop), and the nodes' neighbours (CSR)."""
    incidences = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    offsets, targets = _neighbours(u, v, n)
    self_loop = np.zeros(n, dtype=bool)
    self_loop[u[u == v]] = True
    interstitial = (np.diff(offsets) == 2) & (incidences == 2) & ~self_loop
    return (incidences > 0) & ~interstitial, offsets, targets


def _chains(endpoint: NDArray[np.bool_], offsets: NDArray, targets: NDArray) -> list[list[int]]:
    """From each endpoint, each run of non-endpoints to the next endpoint (both directions, a
    loop back to its own start included), as node positions from endpoint to endpoint."""
    is_end = endpoint.tolist()
    chains = []
    for start in np.flatnonzero(endpoint).tolist():
        for first in targets[offsets[start] : offsets[start + 1]].tolist():
            if is_end[first]:
                continue
            chain, previous, current = [start, first], start, first
            while not is_end[current]:  # two neighbours: on to the one not just left
                a, b = targets[offsets[current] : offsets[current] + 2].tolist()
                previous, current = current, (b if a == previous else a)
                chain.append(current)
            chains.append(chain)
    return chains


def graph_from_osm_file(path: Path) -> nx.MultiDiGraph:
    """The simplified street graph of the OSM XML/PBF file at ``path`` (module docstring)."""
    import networkx as nx
    import shapely

    osm = _File(Path(path))
    u, v, way = _segments(osm, Path(path).name)
    lengths = great_circle_m(osm.lat[u], osm.lon[u], osm.lat[v], osm.lon[v])
    endpoint, offsets, targets = _endpoints(u, v, len(osm.ids))
    # the segment of each (node, neighbour) pair: a non-endpoint has exactly one to each
    segment_of: dict[tuple[int, int], tuple[int, bool]] = {}
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        segment_of.setdefault((a, b), (i, False))
        segment_of.setdefault((b, a), (i, True))

    def edge_data(i: int, backwards: bool) -> dict[str, Any]:
        w = int(way[i])
        return {"osmid": osm.way_ids[w], **osm.way_tags[w], "oneway": False,
                "reversed": backwards, "length": float(lengths[i])}  # fmt: skip

    graph = nx.MultiDiGraph(crs="epsg:4326", simplified=True, created_with="twin osm_reader")
    graph.add_nodes_from(
        (int(osm.ids[i]), {"y": float(osm.lat[i]), "x": float(osm.lon[i]),
                           **osm.node_tags.get(int(osm.ids[i]), {})})
        for i in np.flatnonzero(endpoint).tolist()
    )  # fmt: skip
    edges: list[tuple[int, int, dict[str, Any]]] = []
    for i in np.flatnonzero(endpoint[u] & endpoint[v]).tolist():  # between endpoints: as it is
        a, b = int(osm.ids[u[i]]), int(osm.ids[v[i]])
        edges += [(a, b, edge_data(i, False)), (b, a, edge_data(i, True))]
    for chain in _chains(endpoint, offsets, targets):  # merged: length summed, values listed
        values: dict[str, list[Any]] = {}
        for a, b in pairwise(chain):
            for key, value in edge_data(*segment_of[(a, b)]).items():
                values.setdefault(key, []).append(value)
        data = {key: sum(vals) if key == "length" else _merged(vals)
                for key, vals in values.items()}  # fmt: skip
        data["geometry"] = shapely.LineString(np.column_stack([osm.lon[chain], osm.lat[chain]]))
        edges.append((int(osm.ids[chain[0]]), int(osm.ids[chain[-1]]), data))
    graph.add_edges_from(edges)
    return graph
