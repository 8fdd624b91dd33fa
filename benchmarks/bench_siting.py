"""Site recommendation and what-if: lazy greedy vs the exact MILP (PuLP/CBC), same instances.

Synthetic instances with a real-looking coverage structure (candidates covering the cells within
900 m, residents clustered around 40 centres): a half-size one (15,000 × 1,500, K = 25) that CBC
solves to a proven optimum, and one the size of Minhang at res 9 (30,000 × 3,000) where the MILP stops at its
time limit and its result is labelled "best found". Then Minhang itself at res 10: a what-if add
(target ≤ 100 ms) and the fewest new locker groups for 95 % of residents.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from benchmarks._util import median_seconds, table
from twin.siting import ExactSolution, Problem, exact_mclp, lazy_greedy

SIDE_M = 19_260.0


def instance(
    cells: int = 30_000, candidates: int = 3_000, radius: float = 900.0, seed: int = 5
) -> Problem:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, SIDE_M, (40, 2))
    cell_xy = rng.uniform(0, SIDE_M, (cells, 2))
    weights = 2000 * np.exp(-cKDTree(centres).query(cell_xy)[0] / 1500) * rng.random(cells)
    cand_xy = rng.uniform(0, SIDE_M, (candidates, 2))
    pairs = cKDTree(cand_xy).query_ball_point(cell_xy, radius)
    lengths = np.fromiter((len(p) for p in pairs), int, cells)
    rows = np.repeat(np.arange(cells), lengths)
    cols = np.concatenate([np.asarray(p, dtype=int) for p in pairs])
    a = csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(cells, candidates))
    return Problem(a.tocsc(), weights, np.zeros(cells, dtype=bool))


def _quality(greedy: float, exact: ExactSolution) -> str:
    what = "the proven optimum" if exact.proven else "the MILP's best found (not proven optimal)"
    return f"{greedy / exact.covered:.2%} of {what}" if exact.covered else "—"


def greedy_vs_milp(cells: int, candidates: int, k: int, limit_s: int) -> list[tuple[str, ...]]:
    problem = instance(cells, candidates)
    greedy_s = median_seconds(lambda: lazy_greedy(problem, k))
    greedy = float(lazy_greedy(problem, k).gains.sum())
    start = time.perf_counter()
    exact = exact_mclp(problem, k, time_limit_s=limit_s)
    exact_s = time.perf_counter() - start
    size = f"{cells:,} cells × {candidates:,} candidates, K = {k}"
    label = "proven optimal" if exact.proven else f"stopped at {limit_s} s: best found"
    return [
        (f"lazy greedy, {size}", f"{greedy_s:.3f}", f"{greedy:,.0f}", _quality(greedy, exact)),
        (f"MILP (CBC), {size}", f"{exact_s:.1f}", f"{exact.covered:,.0f}", label),
    ]


def _street_grid_over(bounds: tuple[float, float, float, float], spacing_m: float = 80.0):  # type: ignore[no-untyped-def]
    """A street-like grid (bench_engine's) laid over a district's metric bounding box."""
    from benchmarks.bench_engine import street_grid
    from twin.network import StreetNetwork

    west, south, east, north = bounds
    side = int(max(east - west, north - south) / spacing_m) + 2
    grid = street_grid(side, spacing_m)
    return StreetNetwork(grid.xy + np.array([west, south]), grid.csr)


def minhang_rows() -> list[tuple[str, ...]]:
    """A what-if add and the fewest lockers for 95 % at Minhang scale (372 km², res 10), on a
    street grid over the district (the offline pack has no Minhang streets)."""
    from twin.analysis.engine import CoverageParams, compute
    from twin.analysis.whatif import Scenario
    from twin.context import LayerContext
    from twin.layers import generate
    from twin.settings import Settings
    from twin.siting import recommend
    from twin.store.district import load_district

    settings = Settings.from_env()
    if settings.data_dir is None:
        return [("Minhang what-if and siting", "skipped: no TWIN_DATA_DIR", "—", "—")]
    minhang = load_district("minhang", settings)
    ctx = LayerContext(minhang)
    network = _street_grid_over(ctx.region.bounds)
    lockers = generate("lockers", minhang)
    params = CoverageParams(resolution=10)
    coverage = compute(minhang, {"lockers": lockers}, params, network=network)
    cells = coverage.cells
    scenario = Scenario.start(minhang, {"lockers": lockers}, coverage, "lockers", network)
    rng = np.random.default_rng(9)
    spots = cells.sample(7, weights=cells["residents"] + 1, random_state=3)[["lon", "lat"]]
    times = []
    for lon, lat in spots.to_numpy():
        start = time.perf_counter()
        scenario.add(float(lon), float(lat) + rng.normal(0, 1e-4))
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    sites, summary = recommend(minhang, "lockers", cells, target_share=0.95, params=params,
                               network=network)  # fmt: skip
    fewest_s = time.perf_counter() - start
    return [
        (f"what-if add (Minhang res 10: {len(cells):,} cells, {len(lockers):,} locker groups, "
         f"{network.n_nodes:,} street nodes), target ≤ 100 ms", f"{np.median(times) * 1000:.0f} ms",
         "—", f"median of {len(times)} adds"),
        ("fewest new locker groups for 95 % of residents (Minhang res 10)", f"{fewest_s:.1f}",
         f"{len(sites):,} sites", f"reaches {summary['covered_share_after']:.1%}"
         + ("" if summary["target_reached"] else " (95 % out of reach from these candidates)")),
    ]  # fmt: skip


def run(limit_s: int = 60) -> str:
    rows = [
        *greedy_vs_milp(15_000, 1_500, 25, limit_s=600),  # CBC proves this one in seconds
        *greedy_vs_milp(30_000, 3_000, 50, limit_s=limit_s),  # Minhang size: best found only
        *minhang_rows(),
    ]
    header = ("siting and what-if", "seconds", "residents covered", "quality / note")
    return table(rows, header)


if __name__ == "__main__":
    print(run())
