"""Layer generation at Minhang scale (5,000 sites, 371 km²) on a synthetic district.

Baseline: sequential dart throwing (the common Poisson-disc approach: draw a weighted candidate,
accept it when no accepted site is closer than the spacing, one Python iteration per draw).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from benchmarks._util import median_seconds, peak_rss_mib, table
from twin import layers
from twin.districts import resolve
from twin.layers.placement import mean_spacing
from twin.model import District

SIDE_M = 19_260.0  # a square of Minhang's 371 km²
N_SITES = 5000
N_DEMAND = 40_000


def synthetic_minhang(seed: int = 1) -> District:
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs(4326, 32651, always_xy=True)
    x0, y0 = to_m.transform(121.38, 31.11)
    square = shapely.box(x0, y0, x0 + SIDE_M, y0 + SIDE_M)
    centres = rng.uniform([x0, y0], [x0 + SIDE_M, y0 + SIDE_M], (40, 2))
    pts = centres[rng.integers(0, 40, N_DEMAND)] + rng.normal(0, 900, (N_DEMAND, 2))
    pts = pts[shapely.contains_xy(square, pts[:, 0], pts[:, 1])]
    back = Transformer.from_crs(32651, 4326, always_xy=True)
    boundary = shapely.transform(square, lambda c: np.column_stack(back.transform(*c.T)))
    lon, lat = back.transform(pts[:, 0], pts[:, 1])
    demand = gpd.GeoDataFrame(
        {"population": np.full(len(pts), 2_653_489 / len(pts)), "method": "synthetic"},
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    pois = gpd.GeoDataFrame(
        {"name": [], "category": [], "subtype": [], "source": [], "in_district": []},
        geometry=[], crs=4326,
    )  # fmt: skip
    return District(resolve("minhang"), boundary, None, None, pois, demand)


def dart_throwing(district: District, n: int, seed: int = 0) -> np.ndarray:
    """The baseline: sequential weighted dart throwing with a KD-tree rebuilt in batches."""
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs(4326, 32651, always_xy=True)
    demand = np.column_stack(to_m.transform(district.demand.geometry.x, district.demand.geometry.y))
    spacing = 0.5 * mean_spacing(SIDE_M**2, n)
    accepted: list[np.ndarray] = []
    tree = None
    pending: list[np.ndarray] = []
    while len(accepted) < n:
        candidate = demand[rng.integers(len(demand))] + rng.normal(0, spacing / 2, 2)
        near_tree = tree is not None and tree.query(candidate)[0] < spacing
        near_pending = any(np.hypot(*(candidate - p)) < spacing for p in pending)
        if near_tree or near_pending:
            continue
        accepted.append(candidate)
        pending.append(candidate)
        if len(pending) >= 200:
            tree, pending = cKDTree(np.array(accepted)), []
    return np.array(accepted)


def poisson_disk(n: int, seed: int = 0) -> np.ndarray:
    """The library baseline: scipy's Poisson-disk sampler over the square at the same spacing
    (it cannot weight by demand), the first ``n`` points."""
    from scipy.stats import qmc

    radius = 0.5 * mean_spacing(SIDE_M**2, n) / SIDE_M
    engine = qmc.PoissonDisk(d=2, radius=radius, seed=seed)
    return engine.random(n) * SIDE_M


def run() -> str:
    district = synthetic_minhang()
    rows = []
    for name in layers.REGISTRY:
        seconds = median_seconds(lambda name=name: layers.generate(name, district))
        memory = peak_rss_mib(lambda name=name: layers.generate(name, district))
        count = len(layers.generate(name, district))
        rows.append((f"twin {name}", f"{count:,}", f"{seconds:.3f}", f"{memory:.0f}"))
    base = median_seconds(lambda: dart_throwing(district, N_SITES), repeat=1)
    ours = median_seconds(lambda: layers.generate("base_stations", district))
    rows.append(("baseline dart throwing (one draw per iteration)", f"{N_SITES:,}", f"{base:.3f}",
                 f"{peak_rss_mib(lambda: dart_throwing(district, N_SITES)):.0f}"))  # fmt: skip
    disk = median_seconds(lambda: poisson_disk(N_SITES))
    rows.append(("baseline scipy.stats.qmc.PoissonDisk (unweighted, same spacing)",
                 f"{len(poisson_disk(N_SITES)):,}", f"{disk:.3f}",
                 f"{peak_rss_mib(lambda: poisson_disk(N_SITES)):.0f}"))  # fmt: skip
    header = ("layer generation, synthetic Minhang (371 km²)", "sites", "median s", "peak RSS MiB")
    return table(rows, header) + (f"\n\nbase stations: twin is {base / ours:.1f}× dart throwing, "
                                  f"{disk / ours:.1f}× scipy's Poisson disk (which ignores demand)")  # fmt: skip


if __name__ == "__main__":
    print(run())
