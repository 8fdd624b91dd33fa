"""Streets: one conversion from the osmnx graph, cached as edges + CSR arrays, same distances."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from pyproj import CRS

from twin.network import ReachRule, nearest
from twin.streets import Streets, first_name


def test_cached_streets_give_the_same_distances_to_the_metre(tmp_path):
    from synthetic import street_graph

    built = Streets.from_graph(street_graph(), CRS.from_epsg(32651))
    files = built.save(tmp_path)
    read = Streets.read(tmp_path)
    assert files == ["streets.parquet", "network.npz"] and read is not None
    a, b = built.network, read.network
    assert np.array_equal(a.xy, b.xy) and (a.csr != b.csr).nnz == 0
    assert read.n_edges == built.n_edges and read.lines.geom_equals(built.lines).all()
    rng = np.random.default_rng(0)
    low, high = a.xy.min(axis=0), a.xy.max(axis=0)
    origins = rng.uniform(low - 200, high + 200, (300, 2))
    facilities = rng.uniform(low, high, (20, 2))
    rule = ReachRule.from_norms()
    assert np.array_equal(nearest(a, origins, facilities, rule).metres,
                          nearest(b, origins, facilities, rule).metres)  # fmt: skip


def test_no_streets_folder_reads_as_none(tmp_path):
    assert Streets.read(tmp_path) is None


def test_edge_names_are_plain_text():
    assert first_name(["淮海中路", "Huaihai Road"]) == "淮海中路"
    assert first_name("['四平路', '大连路']") == "四平路"
    assert first_name(float("nan")) == ""


def test_a_cached_district_builds_without_networkx_or_osmnx(settings):
    """Loading from the cache and measuring coverage never imports networkx or osmnx."""
    from twin.store.district import load_district

    load_district("hongkou", settings)  # writes the entry (this process may import osmnx)
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from twin.settings import Settings\n"
        "from twin.store.district import load_district\n"
        "from twin.analysis.build import build\n"
        f"s = Settings(data_dir=Path({str(settings.data_dir)!r}), "
        f"cache_dir=Path({str(settings.cache_dir)!r}), offline=True)\n"
        "d = load_district('hongkou', s)\n"
        "result = build(d, s)\n"
        "print(json.dumps({'nx': 'networkx' in sys.modules, 'ox': 'osmnx' in sys.modules,\n"
        "                  'nodes': d.streets.n_nodes, 'cells': len(result.coverage.cells)}))\n"
    )
    env = {**os.environ, "TWIN_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, check=True)  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["nodes"] > 400 and seen["cells"] > 100
    assert not seen["nx"] and not seen["ox"]


def test_nodes_are_numbered_along_a_space_filling_curve_and_walks_do_not_change():
    """Streets renumber OSM's nodes along a Z-order curve: consecutive nodes lie close, every
    edge still joins its own end points, and the walks are those of the graph in OSM's order."""
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra
    from synthetic import street_graph

    from twin.network import spatial_order

    graph = street_graph()
    shuffled = nx.relabel_nodes(
        graph,
        dict(
            zip(
                graph.nodes,
                np.random.default_rng(1).permutation(
                    np.arange(10**6, 10**6 + graph.number_of_nodes())
                ),
                strict=True,
            )
        ),
    )  # ids in random order
    streets = Streets.from_graph(shuffled, CRS.from_epsg(32651))
    lonlat = streets.lonlat
    step = np.hypot(*np.diff(lonlat, axis=0).T).mean()
    jump = np.hypot(*(lonlat - lonlat[np.random.default_rng(2).permutation(len(lonlat))]).T).mean()
    assert step < jump / 3  # neighbours in memory are neighbours on the ground
    ends = np.array([[line.coords[0], line.coords[-1]] for line in streets.lines])
    assert np.allclose(ends[:, 0], lonlat[streets.edges["u"]]) and np.allclose(
        ends[:, 1], lonlat[streets.edges["v"]]
    )
    # the same walks as without renumbering: node by node, by each node's position
    plain = Streets(streets.edges, lonlat, streets.crs)  # already ordered: compare with OSM order
    order = np.random.default_rng(3).permutation(len(lonlat))
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    edges = streets.edges.assign(u=back[streets.edges["u"]], v=back[streets.edges["v"]])
    unordered = Streets(edges, lonlat[order], streets.crs)
    a = dijkstra(plain.network.csr, directed=False, indices=[0])[0]
    b = dijkstra(unordered.network.csr, directed=False, indices=[back[0]])[0]
    assert np.allclose(a, b[back])
    perm = spatial_order(np.random.default_rng(4).uniform(0, 1, (1000, 2)))
    assert np.array_equal(np.sort(perm), np.arange(1000))  # a permutation
