"""The coverage engine: accessibility vs networkx, H3 indexing, Hongkou, whole-Shanghai scale.

All comparisons run on the same inputs in the same process run:

* accessibility: multi-source nearest-facility distances on a street-like grid, twin's CSR
  Dijkstra against ``networkx.multi_source_dijkstra_path_length`` (what osmnx users call), then
  the whole per-category function, snapping included, against networkx and igraph;
* H3 indexing: twin (h3ronpy over threads) against h3-py's integer API in a loop, h3ronpy in
  one call and polars-h3;
* Hongkou: the whole pipeline from the cached district (layers, grid, metrics, report);
* 5G model: Hongkou's plan layer at res 10, the full model against one centre-point best server;
* scale: a street-like graph of 1.5 M nodes read from its cached CSR arrays, ≈ 79 k res-9 cells,
  10 categories over the cores, results written; in a child process so its peak resident memory
  (its own and its workers') is its own; and one category against a bare scipy Dijkstra.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from benchmarks._util import high_water_mib, median_seconds, table
from twin.network import ReachRule, StreetNetwork, nearest


def street_grid(side: int, spacing_m: float = 80.0, seed: int = 0) -> StreetNetwork:
    """A jittered grid of ``side²`` nodes with 8 % of its streets missing (blocks, rivers)."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) * spacing_m
    xy += rng.normal(0, spacing_m * 0.1, xy.shape)
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.08
    u, v = u[keep], v[keep]
    length = np.hypot(*(xy[u] - xy[v]).T) * rng.uniform(1.0, 1.15, len(u))
    return StreetNetwork.from_arrays(xy, u, v, length)


def _networkx_graph(net: StreetNetwork) -> nx.Graph:
    coo = net.csr.tocoo()
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return graph


def _snap_nodes(net: StreetNetwork, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node and its distance: how a networkx / igraph user joins points to the graph."""
    distance, node = net.tree.query(xy)  # type: ignore[union-attr]
    return np.asarray(node, dtype=np.int64), np.asarray(distance)


def _networkx_category(graph: nx.Graph, net: StreetNetwork, origins, facilities) -> np.ndarray:
    o_node, o_off = _snap_nodes(net, origins)
    f_node, _ = _snap_nodes(net, facilities)
    lengths = nx.multi_source_dijkstra_path_length(graph, set(f_node.tolist()))
    at = np.fromiter((lengths.get(n, np.inf) for n in o_node.tolist()), float, len(o_node))
    return at + o_off


def _igraph_category(graph, net: StreetNetwork, origins, facilities) -> np.ndarray:  # type: ignore[no-untyped-def]
    o_node, o_off = _snap_nodes(net, origins)
    f_node, _ = _snap_nodes(net, facilities)
    with_source = graph.copy()  # a virtual source joined to every facility node
    with_source.add_vertices(1)
    virtual = with_source.vcount() - 1
    with_source.add_edges([(virtual, int(f)) for f in np.unique(f_node)],
                          attributes={"weight": [0.0] * len(np.unique(f_node))})  # fmt: skip
    row = with_source.distances(source=[virtual], weights="weight")[0]
    return np.asarray(row)[o_node] + o_off


def accessibility(
    side: int = 150, facilities: int = 300, origins: int = 3_000
) -> list[tuple[str, ...]]:
    """The Dijkstra alone, then the whole per-category function (snapping included)."""
    net = street_grid(side)
    rng = np.random.default_rng(1)
    sources = rng.choice(net.n_nodes, facilities, replace=False)
    zeros = np.zeros(facilities)
    ours = median_seconds(lambda: net.node_distances(sources, zeros, np.inf))
    graph = _networkx_graph(net)
    theirs = median_seconds(
        lambda: nx.multi_source_dijkstra_path_length(graph, set(sources.tolist())), repeat=3
    )
    reference = nx.multi_source_dijkstra_path_length(graph, set(sources.tolist()))
    got = net.node_distances(sources, zeros, np.inf)
    nodes = np.fromiter(reference, dtype=np.int64)
    values = np.fromiter(reference.values(), dtype=float)
    assert np.allclose(got[nodes], values), "twin and networkx disagree"
    rows = [(f"Dijkstra only, {net.n_nodes:,} nodes, {facilities} facilities (vs networkx)",
             f"{ours:.3f}", f"{theirs:.3f}", f"{theirs / ours:.0f}×")]  # fmt: skip
    low, high = net.xy.min(axis=0), net.xy.max(axis=0)
    o_xy = rng.uniform(low, high, (origins, 2))
    f_xy = rng.uniform(low, high, (facilities, 2))
    rule = ReachRule.from_norms()
    whole = median_seconds(lambda: nearest(net, o_xy, f_xy, rule), repeat=5)
    nx_whole = median_seconds(lambda: _networkx_category(graph, net, o_xy, f_xy), repeat=3)
    label = f"one category, snapping included ({origins:,} origins, {net.n_nodes:,} nodes)"
    rows.append((f"{label} vs networkx", f"{whole:.3f}", f"{nx_whole:.3f}",
                 f"{nx_whole / whole:.0f}×"))  # fmt: skip
    try:
        import igraph
    except ImportError:
        rows.append((f"{label} vs igraph", f"{whole:.3f}", "igraph not installed", "—"))
        return rows
    coo = net.csr.tocoo()
    upper = coo.row < coo.col
    ig = igraph.Graph(n=net.n_nodes, edges=np.column_stack([coo.row[upper], coo.col[upper]]).tolist(),
                      edge_attrs={"weight": coo.data[upper].tolist()})  # fmt: skip
    ig_whole = median_seconds(lambda: _igraph_category(ig, net, o_xy, f_xy), repeat=3)
    rows.append((f"{label} vs igraph", f"{whole:.3f}", f"{ig_whole:.3f}",
                 f"{ig_whole / whole:.1f}×"))  # fmt: skip
    return rows


def h3_indexing(n: int = 4_000_000, baseline_n: int = 200_000) -> list[tuple[str, ...]]:
    """twin's indexing against the baselines a user would pick: h3-py's integer API (a loop),
    h3ronpy called directly (one call) and polars-h3 (when installed)."""
    from h3.api import basic_int
    from h3ronpy.vector import coordinates_to_cells

    from twin.grid import index_points

    rng = np.random.default_rng(2)
    lon = 120.9 + rng.random(n) * 1.0
    lat = 30.7 + rng.random(n) * 1.0
    ours = n / median_seconds(lambda: index_points(lon, lat, 9), repeat=5)
    sub_lon, sub_lat = lon[:baseline_n].tolist(), lat[:baseline_n].tolist()
    loop = baseline_n / median_seconds(
        lambda: [basic_int.latlng_to_cell(y, x, 9) for x, y in zip(sub_lon, sub_lat, strict=True)],
        repeat=1,
    )
    direct = n / median_seconds(lambda: coordinates_to_cells(lat, lon, 9), repeat=5)
    rate = lambda r: f"{r / 1e6:.1f} M/s"  # noqa: E731
    rows = [("H3 indexing vs h3-py integer API (loop)", rate(ours), rate(loop), f"{ours / loop:.1f}×"),
            ("H3 indexing vs h3ronpy, one call", rate(ours), rate(direct), f"{ours / direct:.1f}×")]  # fmt: skip
    try:
        import polars as pl
        import polars_h3 as plh3
    except ImportError:
        rows.append(("H3 indexing vs polars-h3", rate(ours), "not installed", "—"))
        return rows
    frame = pl.DataFrame({"lat": lat, "lng": lon})
    polars = n / median_seconds(
        lambda: frame.select(plh3.latlng_to_cell("lat", "lng", 9, return_dtype=pl.UInt64)),
        repeat=5,
    )
    rows.append(("H3 indexing vs polars-h3 (target ≥ 4 M/s)", rate(ours), rate(polars),
                 f"{ours / polars:.1f}×"))  # fmt: skip
    return rows


def hongkou_pipeline() -> tuple[str, ...]:
    from twin.analysis.build import build
    from twin.settings import Settings
    from twin.store.district import load_district as district

    settings = Settings.from_env()
    if settings.data_dir is None:
        return ("Hongkou pipeline", "skipped: no TWIN_DATA_DIR", "—", "—")
    district("hongkou", settings)  # make sure the cache exists

    def pipeline() -> None:
        build(district("hongkou", settings), settings)

    seconds = median_seconds(pipeline)
    return ("Hongkou pipeline from the cached district (target ≤ 10 s)", f"{seconds:.2f}", "—", "—")


def fiveg_model() -> tuple[str, ...]:
    """The 5G model at Hongkou res 10 (plan layer) against a bare centre-point best server."""
    from twin.analysis import radio
    from twin.analysis.engine import CoverageParams, write_fiveg
    from twin.context import LayerContext
    from twin.grid import hex_grid
    from twin.layers import generate
    from twin.settings import Settings
    from twin.store.district import load_district

    settings = Settings.from_env()
    if settings.data_dir is None:
        return ("5G model", "skipped: no TWIN_DATA_DIR", "—", "—")
    hongkou = load_district("hongkou", settings)
    sites = generate("base_stations", hongkou)
    ctx = LayerContext(hongkou)
    cells = hex_grid(hongkou.boundary, 10, hongkou.metric_crs)
    params = CoverageParams(resolution=10)
    centres = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    sites_xy = ctx.xy(sites)
    full = median_seconds(lambda: write_fiveg(cells.copy(), None, ctx, sites, params))
    bare = median_seconds(lambda: radio.best_server(centres, sites_xy, sites, params.radio))
    return (
        f"5G model, Hongkou res 10 ({len(cells):,} cells × 7 points, 3 networks, shadowing, "
        "SINR) vs one best server per centre (target ≤ 1 s)",
        f"{full:.2f}", f"{bare:.2f}", f"{full / bare:.1f}× the bare model's cost",
    )  # fmt: skip


def hongkou_life_circle() -> list[tuple[str, ...]]:
    """Hongkou's life circle, per category, against a bare scipy Dijkstra on twin's own CSR (one
    multi-source run from the category's POIs' nearest nodes): what the reach rule costs."""
    from scipy.sparse.csgraph import dijkstra

    from twin.analysis.engine import CoverageParams
    from twin.categories import CATEGORIES
    from twin.context import LayerContext
    from twin.grid import hex_grid
    from twin.network import nearest_each
    from twin.settings import Settings
    from twin.store.district import load_district

    settings = Settings.from_env()
    if settings.data_dir is None:
        return [("Hongkou life circle", "skipped: no TWIN_DATA_DIR", "—", "—")]
    hongkou = load_district("hongkou", settings)
    network = hongkou.streets.network
    ctx = LayerContext(hongkou)
    cells = hex_grid(hongkou.boundary, 10, hongkou.metric_crs)
    origins = ctx.xy_of(cells["lon"].to_numpy(), cells["lat"].to_numpy())
    sets = [ctx.pois_xy({c}) for c in CATEGORIES if (hongkou.pois["category"] == c).any()]
    rule = CoverageParams().reach
    ours = median_seconds(lambda: nearest_each(network, origins, sets, rule, workers=1)) / len(sets)
    nodes = [np.unique(network.tree.query(xy)[1]) for xy in sets]
    bare = median_seconds(
        lambda: [dijkstra(network.csr, directed=False, indices=n, min_only=True) for n in nodes]
    ) / len(sets)
    return [(
        f"Hongkou life circle, per category ({len(cells):,} res-10 cells, {network.n_nodes:,} "
        f"nodes, {len(sets)} categories; target ≤ 1.5×)",
        f"{1000 * ours:.1f} ms", f"{1000 * bare:.1f} ms", f"{ours / bare:.1f}× bare scipy",
    )]  # fmt: skip


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished (forked) workers, user + system."""
    own, workers = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _peak_rss_mib() -> float:
    """Peak resident set size of this process and of its (forked) workers, MiB."""
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(high_water_mib(), workers)


def _scale_child(queue: multiprocessing.Queue, folder: str) -> None:  # type: ignore[type-arg]
    import pandas as pd
    from pyproj import Transformer
    from scipy.sparse.csgraph import dijkstra
    from shapely.geometry import box

    from twin.grid import cell_centres, cover_cells
    from twin.network import nearest_each, spatial_order

    path = Path(folder) / "network.npz"
    grid = street_grid(1225)
    grid = renumbered(grid, spatial_order(grid.xy))[0]  # numbered as twin numbers OSM's nodes
    np.savez(path, **grid.arrays())  # the district cache's CSR (untimed set-up)
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    with np.load(path) as arrays:
        net = StreetNetwork.from_saved(arrays)  # 1.5 M nodes, 80 m blocks: ≈ 98 × 98 km
    load_s = time.perf_counter() - start
    # ≈ 79 k res-9 cells over a box of the same size in Shanghai's UTM zone (51N)
    to_wgs = Transformer.from_crs(32651, 4326, always_xy=True)
    x0, y0 = 300_000.0, 3_400_000.0
    west, south = to_wgs.transform(x0, y0)
    east, north = to_wgs.transform(x0 + 78_000, y0 + 84_000)
    cells = cover_cells(box(west, south, east, north), 9)
    lon, lat = cell_centres(cells)
    to_m = Transformer.from_crs(4326, 32651, always_xy=True)
    cx, cy = to_m.transform(lon, lat)
    origins = np.column_stack([np.asarray(cx) - x0, np.asarray(cy) - y0])
    rng = np.random.default_rng(3)
    sets = [rng.uniform(0, 96_000, (2_000 + 2_000 * k, 2)) for k in range(10)]
    rule = ReachRule.from_norms()
    snapped = net.snap(origins, rule.max_snap_m)  # once, as the engine does
    found = nearest_each(net, origins, sets, rule, snapped)  # over the cores
    out = pd.DataFrame({"cell": cells, **{f"d_{k}": f.metres for k, f in enumerate(found)}})
    out.to_parquet(Path(folder) / "results.parquet")
    total_s, cpu_s = time.perf_counter() - start, _cpu_seconds() - cpu_start
    # per category: the whole function against a bare scipy Dijkstra on the same CSR graph
    one = sets[4]
    ours = median_seconds(lambda: nearest(net, origins, one, rule, snapped))
    nodes = np.unique(net.snap(one, rule.max_snap_m).u)
    bare = median_seconds(lambda: dijkstra(net.csr, directed=True, indices=nodes, min_only=True))
    queue.put((net.n_nodes, len(cells), load_s, total_s, cpu_s, ours, bare, _peak_rss_mib()))


def renumbered(net: StreetNetwork, order: np.ndarray) -> tuple[StreetNetwork, np.ndarray]:
    """``net`` with node ``order[i]`` as node i; and each old node's new number."""
    from scipy.sparse import csr_matrix

    new = np.empty_like(order)
    new[order] = np.arange(len(order))
    coo = net.csr.tocoo()
    csr = csr_matrix((coo.data, (new[coo.row], new[coo.col])), shape=net.csr.shape).tocsr()
    return StreetNetwork(net.xy[order], csr), new


def node_order(side: int = 1225, sources: int = 3000) -> tuple[str, ...]:
    """A multi-source Dijkstra's ns per node on the 1.5 M-node grid with its nodes in random
    order (as OSM numbers them: by id, spatially random) against the same graph renumbered
    along twin's space-filling curve (:func:`twin.network.spatial_order`, what
    :meth:`twin.streets.Streets.from_graph` does)."""
    from scipy.sparse.csgraph import dijkstra

    from twin.network import spatial_order

    grid = street_grid(side)
    rng = np.random.default_rng(0)

    shuffled, to_shuffled = renumbered(grid, rng.permutation(grid.n_nodes))
    ordered, to_ordered = renumbered(shuffled, spatial_order(shuffled.xy))
    picks = rng.choice(grid.n_nodes, sources, replace=False)
    random_ids, curve_ids = to_shuffled[picks], to_ordered[to_shuffled[picks]]
    slow = median_seconds(lambda: dijkstra(shuffled.csr, directed=False, indices=random_ids,
                                           min_only=True))  # fmt: skip
    fast = median_seconds(lambda: dijkstra(ordered.csr, directed=False, indices=curve_ids,
                                           min_only=True))  # fmt: skip
    per = 1e9 / grid.n_nodes
    return (f"node order: multi-source Dijkstra on {grid.n_nodes / 1e6:.2f} M nodes, renumbered "
            "along a Z-order curve vs OSM-like random order (ns per node)",
            f"{fast * per:.0f}", f"{slow * per:.0f}", f"{slow / fast:.2f}× faster")  # fmt: skip


def whole_shanghai() -> list[tuple[str, ...]]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with tempfile.TemporaryDirectory() as folder:
        child = ctx.Process(target=_scale_child, args=(queue, folder))
        child.start()
        nodes, cells, load_s, total_s, cpu_s, ours, bare, peak = queue.get()
        child.join()
    return [
        (f"scale: {nodes / 1e6:.2f} M nodes, {cells:,} cells, 10 categories, from the cached CSR "
         "to written results (target ≤ 6 s wall)",
         f"{total_s:.1f} wall, {cpu_s:.1f} CPU (CSR read + KD-tree {load_s:.1f})", "—",
         f"peak RSS {peak / 1024:.2f} GB"),
        ("scale: one category (snap, Dijkstra, along-edge, estimates) vs a bare "
         "scipy.sparse.csgraph.dijkstra (target ≤ 1.5×)", f"{ours:.2f}", f"{bare:.2f}",
         f"{ours / bare:.2f}×"),
    ]  # fmt: skip


def run() -> str:
    rows = [*accessibility(), *h3_indexing(), *hongkou_life_circle(), hongkou_pipeline(),
            fiveg_model()]  # fmt: skip
    if os.environ.get("TWIN_BENCH_SCALE", "1") != "0":
        rows.extend(whole_shanghai())
        rows.append(node_order())
    header = ("coverage engine", "twin s", "baseline s", "ratio / note")
    return table(rows, header)


if __name__ == "__main__":
    print(run())
