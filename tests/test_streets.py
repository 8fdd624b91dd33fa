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
