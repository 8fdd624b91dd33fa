"""The coverage engine: accessibility vs networkx, H3 indexing, Hongkou, whole-Shanghai scale.

All comparisons run on the same inputs in the same process run:

* accessibility: multi-source nearest-facility distances on a street-like grid, twin's CSR
  Dijkstra against ``networkx.multi_source_dijkstra_path_length`` (what osmnx users call);
* H3 indexing: twin's vectorised path (h3ronpy) against a loop over h3-py's ``latlng_to_cell``;
* Hongkou: the whole pipeline from the cached district (layers, grid, metrics, report);
* 5G model: Hongkou's plan layer at res 10, the full model against one centre-point best server;
* scale: a street-like graph of 1.5 M nodes, ≈ 79 k res-9 cells, 10 categories, in a child
  process so its peak resident memory is its own.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time

import networkx as nx
import numpy as np

from benchmarks._util import median_seconds, table
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


def accessibility(side: int = 150, facilities: int = 300) -> tuple[str, ...]:
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
    return (
        f"accessibility, {net.n_nodes:,} nodes, {facilities} facilities",
        f"{ours:.3f}",
        f"{theirs:.3f}",
        f"{theirs / ours:.0f}×",
    )


def h3_indexing(n: int = 2_000_000, baseline_n: int = 200_000) -> tuple[str, ...]:
    import h3

    from twin.grid import index_points

    rng = np.random.default_rng(2)
    lon = 120.9 + rng.random(n) * 1.0
    lat = 30.7 + rng.random(n) * 1.0
    ours = median_seconds(lambda: index_points(lon, lat, 9), repeat=5)
    sub_lon, sub_lat = lon[:baseline_n].tolist(), lat[:baseline_n].tolist()
    theirs = median_seconds(
        lambda: [h3.latlng_to_cell(y, x, 9) for x, y in zip(sub_lon, sub_lat, strict=True)],
        repeat=1,
    )
    ours_rate, theirs_rate = n / ours, baseline_n / theirs
    return (
        "H3 indexing (points/s)",
        f"{ours_rate / 1e6:.1f} M/s",
        f"{theirs_rate / 1e6:.1f} M/s",
        f"{ours_rate / theirs_rate:.1f}×",
    )


def hongkou_pipeline() -> tuple[str, ...]:
    from twin.analysis.build import build
    from twin.settings import Settings
    from twin.store import load_district as district

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
    from twin.store import load_district

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


def _scale_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from shapely.geometry import box

    from twin.grid import cell_centres, cover_cells

    start = time.perf_counter()
    net = street_grid(1225)  # 1.5 M nodes, 80 m blocks: ≈ 98 × 98 km
    build_s = time.perf_counter() - start
    # ≈ 79 k res-9 cells over a box of the same size in Shanghai's UTM zone (51N)
    from pyproj import Transformer

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
    start = time.perf_counter()
    snapped = net.snap(origins, ReachRule.from_norms().max_snap_m)  # once, as the engine does
    for category in range(10):
        facilities = rng.uniform(0, 96_000, (2_000 + 2_000 * category, 2))
        nearest(net, origins, facilities, origin=snapped)
    engine_s = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((net.n_nodes, len(cells), build_s, engine_s, peak_mib))


def whole_shanghai() -> tuple[str, ...]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_scale_child, args=(queue,))
    child.start()
    nodes, cells, build_s, engine_s, peak = queue.get()
    child.join()
    return (
        f"scale: {nodes / 1e6:.2f} M nodes, {cells:,} cells, 10 categories (target ≤ 30 s, ≤ 6 GB)",
        f"{engine_s:.1f} (+{build_s:.1f} CSR build)",
        "—",
        f"peak {peak / 1024:.2f} GB",
    )


def run() -> str:
    rows = [accessibility(), h3_indexing(), hongkou_pipeline(), fiveg_model()]
    if os.environ.get("TWIN_BENCH_SCALE", "1") != "0":
        rows.append(whole_shanghai())
    header = ("coverage engine", "twin s", "baseline s", "ratio / note")
    return table(rows, header)


if __name__ == "__main__":
    print(run())
