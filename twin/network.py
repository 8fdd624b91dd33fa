"""Walking distances on a CSR street graph, and the ONE reach rule of twin.

The walk graph becomes an undirected ``scipy.sparse`` CSR matrix of edge lengths (the shortest of
parallel edges), built once per district, with a KD-tree over its nodes and its connected
components.

**The reach rule** (:class:`ReachRule`, used by the engine, siting, what-if and isochrones alike).
A point joins the network at its projection on the nearest street *edge* (the segment between
the edge's end nodes, among the edges of its three nearest nodes); it is *on the network* when
that projection lies within ``max_snap_m``. The snap leg counts as walked, and from the
projection the walk continues along the edge to either end node (the along-edge remainders), or
straight along the edge to a facility on the same edge. The distance of a pair (origin, facility) is

* the network distance, snap legs and along-edge remainders included, when both ends are on the
  network and in the same connected component;
* otherwise the straight line × ``detour_factor`` (an *estimate*, flagged as such).

The distance to a set of facilities is the minimum over the set, so adding a site never makes a
distance longer, and a facility covers a point when the pair's distance is within the facility's
radius. :func:`nearest` (every origin to its nearest facility, one multi-source Dijkstra),
:func:`within_radius` (which sources reach which targets: siting's coverage matrix) and
:func:`from_origin` (one origin to many targets: isochrones) all apply this rule, so what
``twin site`` promises is what ``twin build`` measures after the sites are added.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from twin.norms import Norms, packaged_norms
from twin.settings import usable_cores

_ZERO = 1e-6  # csgraph treats explicit zeros as missing edges
CHUNK = 256  # sources per Dijkstra batch in within_radius
NEIGHBOURS = 16  # nearest facilities examined for one in another component
FEW_COMPONENTS = 8  # up to this many origin components, one KD-tree each of the others
PARALLEL_MIN_NODES = 100_000  # below this, forking costs more than the Dijkstras it spreads


@dataclass(frozen=True)
class ReachRule:
    """How far a point may be from the streets to use them, and the detour of an estimate."""

    max_snap_m: float
    detour_factor: float

    @classmethod
    def from_norms(cls, norms: Norms | None = None) -> ReachRule:
        """The rule of a run's ``norms`` (the packaged ``data/norms.toml`` when None)."""
        reach = (norms or packaged_norms()).reach
        return cls(max_snap_m=reach.max_snap_m, detour_factor=reach.detour_factor)


@dataclass(frozen=True)
class Distances:
    """Distance (m) from each origin to its nearest facility and whether it was estimated."""

    metres: NDArray[np.float64]
    estimated: NDArray[np.bool_]


@dataclass(frozen=True)
class Snapped:
    """Where points join the network: on the edge (u, v) at ``a`` metres from u and ``b`` from v
    (u ≤ v), after a snap leg of ``offset``; on/off the network; component (-1 off)."""

    u: NDArray[np.int64]
    v: NDArray[np.int64]
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    offset: NDArray[np.float64]
    on: NDArray[np.bool_]
    component: NDArray[np.int64]

    def edge_key(self, n_nodes: int) -> NDArray[np.int64]:
        """One integer per undirected edge (u ≤ v)."""
        return self.u * np.int64(n_nodes) + self.v

    def subset(self, mask: NDArray[np.bool_] | slice) -> Snapped:
        return Snapped(self.u[mask], self.v[mask], self.a[mask], self.b[mask], self.offset[mask],
                       self.on[mask], self.component[mask])  # fmt: skip


class StreetNetwork:
    """A walk graph as CSR arrays in a metric CRS, with a KD-tree over its nodes."""

    def __init__(self, xy: NDArray[np.float64], csr: csr_matrix) -> None:
        self.xy = xy
        self.csr = csr
        # unbalanced, uncompacted trees build ~2.5× faster and query as fast on street nodes
        self.tree = cKDTree(xy, balanced_tree=False, compact_nodes=False) if len(xy) else None

    @cached_property
    def components(self) -> NDArray[np.int64]:
        """Connected-component label of every node."""
        if not self.n_nodes:
            return np.empty(0, dtype=np.int64)
        _, labels = connected_components(self.csr, directed=False)
        return labels.astype(np.int64)

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
        # one integer key per directed edge: sort once, keep the shortest of parallel edges
        key = rows[keep].astype(np.int64) * np.int64(n) + cols[keep]
        order = np.argsort(key, kind="stable")
        key, d = key[order], data[keep][order]
        if not len(key):
            return cls(np.asarray(xy, dtype=float), csr_matrix((n, n)))
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        shortest = np.minimum.reduceat(d, starts)
        unique = key[starts]
        r, c = unique // n, unique % n
        indptr = np.searchsorted(r, np.arange(n + 1))
        csr = csr_matrix((shortest, c.astype(np.int32), indptr), shape=(n, n))
        return cls(np.asarray(xy, dtype=float), csr)

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    def arrays(self) -> dict[str, NDArray]:
        """The arrays that make the network (``xy`` and the CSR parts), for an ``.npz`` file."""
        csr = self.csr
        return {"xy": self.xy, "indptr": csr.indptr, "indices": csr.indices, "data": csr.data}

    @classmethod
    def from_saved(cls, arrays: dict[str, NDArray] | np.lib.npyio.NpzFile) -> StreetNetwork:
        """The network from :meth:`arrays` (read back from an ``.npz``): no conversion."""
        n = len(arrays["xy"])
        csr = csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n))
        return cls(arrays["xy"], csr)

    def snap(self, xy: NDArray[np.float64], max_snap_m: float) -> Snapped:
        """Join each point to the nearest edge among those of its 3 nearest nodes (vectorised);
        points whose projection lies beyond ``max_snap_m`` are off the network."""
        n = len(xy)
        if self.tree is None or not n:
            zero, none = np.zeros(n, np.int64), np.full(n, np.inf)
            return Snapped(zero, zero, none, none, none.copy(), np.zeros(n, bool), np.full(n, -1))
        k = min(3, self.n_nodes)
        _, near = self.tree.query(xy, k=k)
        near = near.reshape(n, k).astype(np.int64)
        indptr, indices, data = self.csr.indptr, self.csr.indices, self.csr.data
        degree = indptr[near + 1] - indptr[near]  # incident edges of each candidate node
        point = np.repeat(np.repeat(np.arange(n), k), degree.ravel())
        start = np.repeat(near.ravel(), degree.ravel())
        offsets = np.arange(degree.sum()) - np.repeat(np.cumsum(degree.ravel()) - degree.ravel(),
                                                      degree.ravel())  # fmt: skip
        slot = indptr[start] + offsets
        end, length = indices[slot].astype(np.int64), data[slot]
        p0, p1, p = self.xy[start], self.xy[end], xy[point]
        seg = p1 - p0
        seg2 = np.einsum("ij,ij->i", seg, seg)
        t = np.clip(np.einsum("ij,ij->i", p - p0, seg) / np.where(seg2 > 0, seg2, 1.0), 0.0, 1.0)
        dist = np.hypot(*(p - (p0 + t[:, None] * seg)).T)
        # nearest candidate edge per point: candidates come grouped by point, so the first
        # minimum of each group is found in one pass (no sort)
        counts = np.bincount(point, minlength=n)
        has = counts > 0
        group_start = (np.cumsum(counts) - counts)[has]
        group_min = np.minimum.reduceat(dist, group_start) if len(dist) else dist
        at_min = np.flatnonzero(dist == np.repeat(group_min, counts[has]))
        first = (
            at_min[np.r_[True, point[at_min][1:] != point[at_min][:-1]]] if len(at_min) else at_min
        )
        u_, v_, t_, d_, len_ = start[first], end[first], t[first], dist[first], length[first]
        lone = np.flatnonzero(~has)  # nearest nodes without edges (rare)
        u, v = np.zeros(n, np.int64), np.zeros(n, np.int64)
        a, b, offset = np.zeros(n), np.zeros(n), np.zeros(n)
        who = point[first]
        flip = u_ > v_  # orient every edge u ≤ v, a measured from u
        u[who], v[who] = np.where(flip, v_, u_), np.where(flip, u_, v_)
        along = t_ * len_
        a[who], b[who] = np.where(flip, len_ - along, along), np.where(flip, along, len_ - along)
        offset[who] = d_
        if len(lone):
            u[lone] = v[lone] = near[lone, 0]
            offset[lone] = np.hypot(*(xy[lone] - self.xy[near[lone, 0]]).T)
        on = offset <= max_snap_m
        component = np.where(on, self.components[u], -1)
        return Snapped(u, v, a, b, offset, on, component)

    def node_distances(
        self,
        source_nodes: NDArray[np.int64],
        source_offsets: NDArray[np.float64],
        limit: float = np.inf,
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
        # min_only: one distance row from the virtual source (≈ 15 % faster than a full row)
        result = dijkstra(graph, directed=True, indices=[n], min_only=True, limit=limit + 1.0)
        return np.asarray(result[:n]) - 1.0


def spatial_order(xy: NDArray[np.float64], bits: int = 16) -> NDArray[np.int64]:
    """A permutation that lays points along a Z-order (Morton) curve: points near in space come
    near in memory. OSM's node order (by id, i.e. by edit time) is spatially random, so a
    Dijkstra over a CSR in that order jumps across memory; renumbered, it runs ≈ 1.4× faster
    per node at city scale (``benchmarks/bench_engine.py``). ``order[new] = old``."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return np.arange(len(xy), dtype=np.int64)
    low, high = xy.min(axis=0), xy.max(axis=0)
    scale = (2**bits - 1) / np.maximum(high - low, 1e-12)
    cell = ((xy - low) * scale).astype(np.uint64)

    def spread(v: NDArray[np.uint64]) -> NDArray[np.uint64]:  # 16 bits → every other of 32
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v

    key = spread(cell[:, 0]) | (spread(cell[:, 1]) << np.uint64(1))
    return np.argsort(key, kind="stable").astype(np.int64)


def straight_line(origins_xy: NDArray, facilities_xy: NDArray) -> NDArray[np.float64]:
    """Crow-fly distance from each origin to its nearest facility (inf without facilities)."""
    if not len(facilities_xy):
        return np.full(len(origins_xy), np.inf)
    distance, _ = cKDTree(facilities_xy).query(origins_xy)
    return np.asarray(distance, dtype=float)


def _nearest_unconnected(
    origins_xy: NDArray,
    origin_component: NDArray[np.int64],
    facilities_xy: NDArray,
    facility: Snapped,
    tree: cKDTree,
) -> NDArray[np.float64]:
    """Straight line from each on-network origin to its nearest facility it is not connected
    to: one off the network, or on it in another component.

    Where the origins lie in a few components (a district's network), one KD-tree per
    component over the facilities "other" to it, queried once; otherwise one query of the
    facilities' own tree for the ``NEIGHBOURS`` nearest, the first "other" winning, and a
    search of the rest only for origins whose neighbours are all connected to them.
    """
    n, n_f = len(origins_xy), len(facilities_xy)
    result = np.full(n, np.inf)
    if not n or not n_f:
        return result
    comps = np.unique(origin_component)
    if len(comps) <= FEW_COMPONENTS:
        for comp in comps:
            rows = np.flatnonzero(origin_component == comp)
            result[rows] = straight_line(
                origins_xy[rows], facilities_xy[~facility.on | (facility.component != comp)]
            )
        return result
    k = min(NEIGHBOURS, n_f)
    distance, index = tree.query(origins_xy, k=k)
    distance, index = distance.reshape(n, k), index.reshape(n, k)
    other = ~facility.on[index] | (facility.component[index] != origin_component[:, None])
    found = other.any(axis=1)
    result[found] = distance[found, other[found].argmax(axis=1)]
    unresolved = np.flatnonzero(~found & (k < n_f))
    for comp in np.unique(origin_component[unresolved]):  # rare: all k neighbours share it
        rows = unresolved[origin_component[unresolved] == comp]
        rest = facilities_xy[~facility.on | (facility.component != comp)]
        result[rows] = straight_line(origins_xy[rows], rest)
    return result


def _same_edge(origin: Snapped, facility: Snapped, n_nodes: int) -> NDArray[np.float64]:
    """Per origin, the walk straight along its own edge to a facility on the same edge (inf if
    none): ``offset_o + |a_o − a_f| + offset_f``. Vectorised by sorting facilities by edge."""
    result = np.full(len(origin.u), np.inf)
    f_key, o_key = facility.edge_key(n_nodes), origin.edge_key(n_nodes)
    order = np.argsort(f_key, kind="stable")
    keys = f_key[order]
    lo, hi = np.searchsorted(keys, o_key, "left"), np.searchsorted(keys, o_key, "right")
    count = hi - lo
    rows = np.flatnonzero(origin.on & (count > 0))
    if not len(rows):
        return result
    pair_o = np.repeat(rows, count[rows])
    step = np.arange(count[rows].sum()) - np.repeat(
        np.cumsum(count[rows]) - count[rows], count[rows]
    )
    pair_f = order[np.repeat(lo[rows], count[rows]) + step]
    walk = (
        origin.offset[pair_o]
        + np.abs(origin.a[pair_o] - facility.a[pair_f])
        + facility.offset[pair_f]
    )
    np.minimum.at(result, pair_o, walk)
    return result


def _via_nodes(origin: Snapped, at_nodes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Walk from each origin's projection to either end node, then on to the nearest source."""
    return origin.offset + np.minimum(origin.a + at_nodes[origin.u], origin.b + at_nodes[origin.v])


def _sources(snapped: Snapped) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Both end nodes of each on-network point, with the walk to reach them."""
    on = snapped.subset(snapped.on)
    return (np.concatenate([on.u, on.v]),
            np.concatenate([on.offset + on.a, on.offset + on.b]))  # fmt: skip


def nearest(
    network: StreetNetwork | None,
    origins_xy: NDArray[np.float64],
    facilities_xy: NDArray[np.float64],
    rule: ReachRule | None = None,
    origin: Snapped | None = None,
    facility: Snapped | None = None,
) -> Distances:
    """Each origin's distance to its nearest facility under the reach rule (module docstring).

    ``origin`` is the origins' :meth:`StreetNetwork.snap` under ``rule``, when the caller
    measures the same origins against several facility sets (snapped once, not per set);
    ``facility`` likewise the facilities' snap (:func:`nearest_each` snaps every set at once).
    """
    rule = rule or ReachRule.from_norms()
    n = len(origins_xy)
    if not len(facilities_xy):
        return Distances(np.full(n, np.inf), np.ones(n, dtype=bool))
    tree = cKDTree(facilities_xy)  # one tree for both straight-line fallbacks
    estimate_all = rule.detour_factor * tree.query(origins_xy)[0]
    if network is None or network.n_nodes == 0:
        return Distances(estimate_all, np.ones(n, dtype=bool))
    if facility is None:
        facility = network.snap(facilities_xy, rule.max_snap_m)
    if origin is None:
        origin = network.snap(origins_xy, rule.max_snap_m)
    at_nodes = network.node_distances(*_sources(facility))
    walked = np.where(origin.on, _via_nodes(origin, at_nodes), np.inf)
    walked = np.minimum(walked, _same_edge(origin, facility.subset(facility.on), network.n_nodes))
    # an on-network origin's estimate is the straight line to a facility it is not connected
    # to, never shorter than to the nearest of all: only where the walk is longer than that
    # bound can the estimate win, so only those origins are searched (same result, exactly)
    estimate = np.where(origin.on, np.inf, estimate_all)
    need = np.flatnonzero(origin.on & (walked > estimate_all))
    if len(need):
        estimate[need] = rule.detour_factor * _nearest_unconnected(
            origins_xy[need], origin.component[need], facilities_xy, facility, tree)  # fmt: skip
    metres = np.minimum(walked, estimate)
    return Distances(metres, ~(walked <= estimate))


def workers_for(
    network: StreetNetwork | None,
    tasks: int,
    min_nodes: int = PARALLEL_MIN_NODES,
    limit: int | None = None,
) -> int:
    """Processes for ``tasks`` walking measures: one per core (``limit`` caps it) on a
    network of at least ``min_nodes`` where ``fork`` exists and this process may have children
    (not a daemon such as a Dask worker); otherwise 1 (in process)."""
    if network is None or network.n_nodes < min_nodes or tasks < 2:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if multiprocessing.current_process().daemon:  # a Dask worker, say: it may not have children
        return 1
    return max(1, min(limit or usable_cores(), tasks))


def _snap_each(
    network: StreetNetwork | None, facility_sets: Sequence[NDArray[np.float64]], rule: ReachRule
) -> list[Snapped | None]:
    """Every facility set snapped in one call (one KD-tree query for all), split by set."""
    if network is None or network.n_nodes == 0 or not facility_sets:
        return [None] * len(facility_sets)
    sizes = [len(f) for f in facility_sets]
    everything = network.snap(np.concatenate([np.reshape(f, (-1, 2)) for f in facility_sets]),
                              rule.max_snap_m)  # fmt: skip
    bounds = np.cumsum([0, *sizes])
    return [everything.subset(slice(lo, hi)) for lo, hi in pairwise(bounds)]


_SHARED: tuple | None = None  # (network, origins_xy, rule, origin) inherited by forked workers


def _nearest_shared(facilities_xy: NDArray[np.float64]) -> Distances:
    network, origins_xy, rule, origin = _SHARED  # type: ignore[misc]
    return nearest(network, origins_xy, facilities_xy, rule, origin)


def nearest_each(
    network: StreetNetwork | None,
    origins_xy: NDArray[np.float64],
    facility_sets: Sequence[NDArray[np.float64]],
    rule: ReachRule | None = None,
    origin: Snapped | None = None,
    min_nodes: int = PARALLEL_MIN_NODES,
    workers: int | None = None,
) -> list[Distances]:
    """:func:`nearest` for each facility set (a category, a facility type), the same origins.

    On a large network the sets are spread over forked processes that share the CSR arrays,
    the KD-tree and the origins' snap copy-on-write (scipy's Dijkstra holds the GIL, so threads
    would not help); the results are the same as in process, to the bit.
    """
    global _SHARED
    rule = rule or ReachRule.from_norms()
    if network is not None and network.n_nodes and origin is None:
        origin = network.snap(origins_xy, rule.max_snap_m)
    workers = workers_for(network, len(facility_sets), min_nodes, workers)
    if workers == 1:
        snapped = _snap_each(network, facility_sets, rule)
        return [nearest(network, origins_xy, f, rule, origin, s)
                for f, s in zip(facility_sets, snapped, strict=True)]  # fmt: skip
    _ = network.components  # type: ignore[union-attr]  # computed once, before the fork
    _SHARED = (network, origins_xy, rule, origin)
    try:
        with warnings.catch_warnings():  # the workers only run numpy/scipy on inherited arrays
            warnings.simplefilter("ignore", DeprecationWarning)
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_nearest_shared, list(facility_sets), chunksize=1)
    finally:
        _SHARED = None


def within_radius(
    network: StreetNetwork | None,
    sources_xy: NDArray[np.float64],
    targets_xy: NDArray[np.float64],
    radius: NDArray[np.float64],
    rule: ReachRule | None = None,
) -> csr_matrix:
    """Boolean sources × targets: target within the source's ``radius`` under the reach rule."""
    rule = rule or ReachRule.from_norms()
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(sources_xy),))
    shape = (len(sources_xy), len(targets_xy))
    if not len(sources_xy) or not len(targets_xy):
        return csr_matrix(shape, dtype=bool)
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    if network is not None and network.n_nodes > 0:
        source = network.snap(sources_xy, rule.max_snap_m)
        target = network.snap(targets_xy, rule.max_snap_m)
        on_t = np.flatnonzero(target.on)
        t = target.subset(target.on)
        usable = np.flatnonzero(source.on)
        for start in range(0, len(usable), CHUNK):
            chunk = usable[start : start + CHUNK]
            reach = radius[chunk] - source.offset[chunk]
            limit = max(float((reach - np.minimum(source.a[chunk], source.b[chunk])).max()), 0.0)
            m = len(chunk)
            dist = dijkstra(network.csr, directed=False, limit=limit,
                            indices=np.concatenate([source.u[chunk], source.v[chunk]]))  # fmt: skip
            from_u = dist[:m] + source.a[chunk, None]  # the source's walk to u, then on
            from_v = dist[m:] + source.b[chunk, None]
            at = np.minimum(from_u, from_v)  # to every node, from the source's projection
            total = source.offset[chunk, None] + t.offset + np.minimum(
                t.a + at[:, t.u], t.b + at[:, t.v])  # fmt: skip
            same = (source.u[chunk, None] == t.u) & (source.v[chunk, None] == t.v)
            along = source.offset[chunk, None] + t.offset + np.abs(source.a[chunk, None] - t.a)
            total = np.where(same, np.minimum(total, along), total)
            hit_r, hit_c = np.nonzero(total <= radius[chunk, None])
            rows.append(chunk[hit_r])
            cols.append(on_t[hit_c])
    # estimated pairs: not connected through the network, straight line x detour within radius
    hits = cKDTree(targets_xy).query_ball_point(sources_xy, radius / rule.detour_factor)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    est_r = np.repeat(np.arange(len(sources_xy)), lengths)
    est_c = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]) if len(est_r) else est_r
    if network is not None and network.n_nodes > 0:
        linked = source.on[est_r] & target.on[est_c]
        keep = ~(linked & (source.component[est_r] == target.component[est_c]))
        est_r, est_c = est_r[keep], est_c[keep]
    rows.append(est_r)
    cols.append(est_c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    matrix = csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=shape)
    matrix.sum_duplicates()
    return matrix


def from_origin(
    network: StreetNetwork | None,
    origin_xy: NDArray[np.float64],
    targets_xy: NDArray[np.float64],
    limit_m: float,
    rule: ReachRule | None = None,
) -> Distances:
    """Distance from one origin to each target under the reach rule; beyond ``limit_m`` on the
    network the distance is reported as infinite (it is longer than the limit)."""
    rule = rule or ReachRule.from_norms()
    origin_xy = np.asarray(origin_xy, dtype=float).reshape(1, 2)
    straight = np.hypot(*(targets_xy - origin_xy).T) * rule.detour_factor
    if network is None or network.n_nodes == 0 or not len(targets_xy):
        return Distances(straight, np.ones(len(targets_xy), dtype=bool))
    origin = network.snap(origin_xy, rule.max_snap_m)
    if not origin.on[0]:
        return Distances(straight, np.ones(len(targets_xy), dtype=bool))
    target = network.snap(targets_xy, rule.max_snap_m)
    linked = target.on & (target.component == origin.component[0])
    at_nodes = network.node_distances(*_sources(origin), limit_m)
    walked = _via_nodes(target, at_nodes)
    walked = np.minimum(walked, _same_edge(target, origin, network.n_nodes))
    return Distances(np.where(linked, walked, straight), ~linked)
