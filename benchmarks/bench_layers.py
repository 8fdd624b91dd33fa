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


def star(vertices: int = 2000, radius_m: float = 15_000.0) -> shapely.Polygon:
    """A district-like boundary without the data pack: a wavy ring of ``vertices`` points."""
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radii = radius_m * (0.75 + 0.15 * np.sin(5 * angles) + 0.1 * np.sin(23 * angles))
    return shapely.Polygon(np.column_stack([radii * np.cos(angles), radii * np.sin(angles)]))


def points_inside(points: int = 1_400_000) -> str:
    """Which of ``points`` rooftop candidates (uniform over the bounding box, as the 5G layer
    draws them) lie inside a district: ``twin.inside.contains_xy`` (a cached grid, shapely near
    the edge) against ``shapely.contains_xy`` (prepared), on Songjiang's region when the data
    pack is there, else on a wavy ring; the answers must agree point for point."""
    import os

    from twin.inside import _grid_of, contains_xy

    region, name = star(), "a wavy 2,000-vertex ring"
    if os.environ.get("TWIN_DATA_DIR"):
        from twin.context import LayerContext
        from twin.settings import Settings
        from twin.store.district import load_district

        region = LayerContext(load_district("songjiang", Settings.from_env())).region
        name = "Songjiang's region"
    west, south, east, north = region.bounds
    rng = np.random.default_rng(0)
    x, y = rng.uniform(west, east, points), rng.uniform(south, north, points)
    shapely.prepare(region)
    base = median_seconds(lambda: shapely.contains_xy(region, x, y))
    _grid_of.cache_clear()
    cold = median_seconds(lambda: (_grid_of.cache_clear(), contains_xy(region, x, y)))
    warm = median_seconds(lambda: contains_xy(region, x, y))
    agree = bool(np.array_equal(contains_xy(region, x, y), shapely.contains_xy(region, x, y)))
    rows = [
        ("shapely.contains_xy, prepared (baseline)", f"{base:.3f}", "1.0×"),
        ("twin.inside.contains_xy, its grid built", f"{cold:.3f}", f"{cold / base:.2f}×"),
        ("twin.inside.contains_xy, its grid cached", f"{warm:.3f}", f"{warm / base:.2f}×"),
    ]
    header = (f"{points:,} points inside {name}", "median s", "vs baseline")
    return table(rows, header) + f"\nthe same answer for every point: {agree}"


if __name__ == "__main__":
    print(run())
    print(points_inside())
