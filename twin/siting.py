"""Where to add the next sites: maximal covering (MCLP) by lazy greedy, and its inverse.

The demand is the district's hexagons weighted by residents not yet served by the current layer;
the coverage rule is the engine's: street walking distance within the layer's radius (charging:
the cell's ring rule; lockers: 300 m), or for 5G an RSRP at or above the threshold from a
standard macro site (n78, 25 m, 53 dBm, 24 dBi, NLOS, no sector loss: a new site is assumed to
point a sector at its gap). The candidate × cell coverage matrix is sparse: network distances come
from one Dijkstra per chunk of candidates with ``limit`` at the largest radius; cells off the street
network use the straight line × the detour factor.

Lazy greedy (Minoux 1978): candidates sit in a max-heap keyed by their last known gain; the top is
re-evaluated and taken when it still beats the next key. Gains only shrink as cells get covered
(submodularity), so this equals plain greedy, which guarantees at least 1 − 1/e ≈ 63 % of the
optimum; :func:`exact_mclp` (PuLP/CBC) checks it on small instances, where greedy is typically
within a few percent.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin._errors import InvalidInputError
from twin.analysis import radio
from twin.analysis.engine import CoverageParams
from twin.network import StreetNetwork

SITING_LAYERS = ("base_stations", "charging", "lockers")
MAX_CANDIDATES = 6000
STANDARD_MACRO = {"height_m": 25.0, "frequency_ghz": 3.5, "tx_power_dbm": 53.0,
                  "bandwidth_mhz": 100.0, "antenna_gain_dbi": 24.0}  # fmt: skip
CHUNK = 256


@dataclass(frozen=True)
class Problem:
    """A covering instance: cells × candidates coverage, cell weights, already-served cells."""

    coverage: csc_matrix  # bool, shape (cells, candidates)
    weights: NDArray[np.float64]  # residents per cell
    served: NDArray[np.bool_]  # covered by the current layer


@dataclass(frozen=True)
class Choice:
    order: NDArray[np.int64]  # candidate indices in the order chosen
    gains: NDArray[np.float64]  # newly covered residents per pick
    covered: NDArray[np.bool_]  # cells covered after all picks (incl. already served)


def lazy_greedy(
    problem: Problem, k: int | None = None, target_share: float | None = None
) -> Choice:
    """Pick up to ``k`` candidates, or until ``target_share`` of residents is covered."""
    a = problem.coverage.tocsc()
    covered = problem.served.copy()
    total = float(problem.weights.sum())
    open_weight = np.where(covered, 0.0, problem.weights)
    gains0 = np.asarray(a.T @ open_weight).ravel()
    heap = [(-g, j) for j, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    order, gains = [], []
    limit = k if k is not None else a.shape[1]
    while heap and len(order) < limit:
        if (
            target_share is not None
            and total
            and problem.weights[covered].sum() / total >= target_share
        ):
            break
        _, j = heapq.heappop(heap)
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        gain = float(open_weight[rows].sum())
        if heap and gain < -heap[0][0] - 1e-9:
            if gain > 0:
                heapq.heappush(heap, (-gain, j))
            continue
        if gain <= 0:
            break
        order.append(j)
        gains.append(gain)
        covered[rows] = True
        open_weight[rows] = 0.0
    return Choice(np.array(order, dtype=np.int64), np.array(gains), covered)


def exact_mclp(problem: Problem, k: int, time_limit_s: int = 60) -> tuple[NDArray[np.int64], float]:
    """The optimal ``k`` candidates by MILP (PuLP/CBC): chosen indices and covered new residents."""
    import pulp

    a = problem.coverage.tocsr()
    open_cells = np.flatnonzero(~problem.served & (problem.weights > 0))
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(a.shape[1])]
    y = {i: pulp.LpVariable(f"y{i}", lowBound=0, upBound=1) for i in open_cells}
    model += pulp.lpSum(float(problem.weights[i]) * y[i] for i in open_cells)
    for i in open_cells:
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        model += y[i] <= pulp.lpSum(x[j] for j in cols)
    model += pulp.lpSum(x) == min(k, a.shape[1])
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    chosen = np.array([j for j, v in enumerate(x) if (v.value() or 0) > 0.5], dtype=np.int64)
    return chosen, float(pulp.value(model.objective) or 0.0)


def _network_reach(
    network: StreetNetwork,
    cand_xy: NDArray,
    cells_xy: NDArray,
    radius: NDArray,
    max_snap_m: float,
) -> csr_matrix:
    """Candidates × cells within ``radius`` (per cell) along the streets, snaps included."""
    c_snap, c_node = network.snap(cand_xy)
    o_snap, o_node = network.snap(cells_xy)
    on_cells = np.flatnonzero(o_snap <= max_snap_m)
    limit = float(radius.max())
    rows, cols = [], []
    usable = np.flatnonzero(c_snap <= max_snap_m)
    for start in range(0, len(usable), CHUNK):
        chunk = usable[start : start + CHUNK]
        dist = dijkstra(network.csr, directed=False, indices=c_node[chunk], limit=limit)
        total = dist[:, o_node[on_cells]] + o_snap[on_cells] + c_snap[chunk, None]
        hit_r, hit_c = np.nonzero(total <= radius[on_cells])
        rows.append(chunk[hit_r])
        cols.append(on_cells[hit_c])
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    data = np.ones(len(r), dtype=bool)
    return csr_matrix((data, (r, c)), shape=(len(cand_xy), len(cells_xy)))


def _straight_reach(cand_xy: NDArray, cells_xy: NDArray, radius: NDArray, detour: float,
                    cells: NDArray[np.int64]) -> csr_matrix:  # fmt: skip
    """Candidates × ``cells`` within ``radius / detour`` in a straight line."""
    if not len(cells) or not len(cand_xy):
        return csr_matrix((len(cand_xy), len(cells_xy)), dtype=bool)
    tree = cKDTree(cand_xy)
    rows, cols = [], []
    for r in np.unique(radius[cells]):  # one or two radius classes
        group = cells[radius[cells] == r]
        hits = tree.query_ball_point(cells_xy[group], r / detour)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        rows.append(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]))
        cols.append(np.repeat(group, lengths))
    r_ = np.concatenate(rows)
    c_ = np.concatenate(cols)
    return csr_matrix((np.ones(len(r_), dtype=bool), (r_, c_)), shape=(len(cand_xy), len(cells_xy)))


def radio_range_m(params: radio.RadioParams) -> float:
    """Distance at which the standard macro's RSRP falls to the threshold (NLOS median)."""
    d = np.geomspace(10, 20_000, 4000)
    spec = STANDARD_MACRO
    rsrp = radio.link_rsrp_dbm(
        d, spec["height_m"], spec["frequency_ghz"], spec["tx_power_dbm"], spec["bandwidth_mhz"],
        spec["antenna_gain_dbi"], False, params,
    )  # fmt: skip
    ok = rsrp >= params.covered_rsrp_dbm
    return float(d[ok].max()) if ok.any() else 0.0


def build_problem(
    layer: str,
    cells: gpd.GeoDataFrame,
    cells_xy: NDArray,
    cand_xy: NDArray,
    network: StreetNetwork | None,
    params: CoverageParams,
) -> Problem:
    """The covering instance for ``layer`` from the engine's hexagon metrics."""
    if layer not in SITING_LAYERS:
        msg = f"siting works for {', '.join(SITING_LAYERS)}, not {layer!r}."
        raise InvalidInputError(msg)
    weights = cells["residents"].to_numpy(dtype=float)
    if layer == "base_stations":
        reach = radio_range_m(params.radio)
        radius = np.full(len(cells), reach)
        a = _straight_reach(cand_xy, cells_xy, radius, 1.0, np.arange(len(cells)))
        served = cells["covered_5g"].to_numpy(dtype=bool)
        return Problem(a.T.tocsc(), weights, served)
    if layer == "charging":
        radius = cells["charging_radius_m"].to_numpy(dtype=float)
        served = cells["covered_charging"].to_numpy(dtype=bool)
    else:
        radius = np.full(len(cells), params.locker_radius_m)
        served = cells["covered_lockers"].to_numpy(dtype=bool)
    off = np.arange(len(cells))
    a = csr_matrix((len(cand_xy), len(cells)), dtype=bool)
    if network is not None and network.n_nodes:
        a = _network_reach(network, cand_xy, cells_xy, radius, params.max_snap_m)
        o_snap, _ = network.snap(cells_xy)
        off = np.flatnonzero(o_snap > params.max_snap_m)
    a = a + _straight_reach(cand_xy, cells_xy, radius, params.detour_factor, off)
    return Problem(a.T.tocsc().astype(bool), weights, served)


def thin(xy: NDArray, kind: NDArray, max_count: int = MAX_CANDIDATES) -> tuple[NDArray, NDArray]:
    """At most ``max_count`` candidates, evenly strided (deterministic), duplicates removed."""
    _, unique = np.unique(np.round(xy, 0), axis=0, return_index=True)
    unique.sort()
    xy, kind = xy[unique], kind[unique]
    if len(xy) > max_count:
        pick = np.linspace(0, len(xy) - 1, max_count).astype(int)
        xy, kind = xy[pick], kind[pick]
    return xy, kind


def recommend(
    district,  # type: ignore[no-untyped-def]
    layer: str,
    cells: gpd.GeoDataFrame,
    add: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    params: CoverageParams | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Ranked new sites for ``layer`` and a summary (see the module docstring)."""
    import layers as layer_registry
    from layers._context import LayerContext

    if layer not in SITING_LAYERS:
        msg = f"siting works for {', '.join(SITING_LAYERS)}, not {layer!r}."
        raise InvalidInputError(msg)
    if (add is None) == (target_share is None):
        raise InvalidInputError("give either a number of sites to add or a target share, not both.")
    if add is not None and add < 1:
        raise InvalidInputError(f"--add must be at least 1, not {add}.")
    if target_share is not None and not 0 < target_share <= 1:
        raise InvalidInputError(f"the target share must be in (0, 1], not {target_share}.")
    params = params or CoverageParams()
    ctx = LayerContext(district)
    if candidates is not None:
        cand_xy = ctx.xy(candidates)
        cand_kind = np.full(len(cand_xy), "user file", dtype=object)
    else:
        cand_xy, cand_kind = layer_registry.REGISTRY[layer].candidates(ctx)
    inside = np.asarray(
        gpd.GeoSeries(gpd.points_from_xy(*ctx.lonlat(cand_xy)), crs=4326).within(district.boundary)
    ) if len(cand_xy) else np.zeros(0, dtype=bool)  # fmt: skip
    cand_xy, cand_kind = thin(cand_xy[inside], cand_kind[inside])
    if not len(cand_xy):
        raise InvalidInputError(f"no candidate locations for {layer} inside {district.name}.")
    progress(f"coverage matrix: {len(cand_xy):,} candidates × {len(cells):,} cells")
    cells_xy = np.column_stack(ctx.to_metric.transform(cells["lon"], cells["lat"]))
    network = (
        StreetNetwork.from_graph(district.graph, district.metric_crs)
        if district.has_streets
        else None
    )
    problem = build_problem(layer, cells, cells_xy, cand_xy, network, params)
    progress("lazy greedy")
    choice = lazy_greedy(problem, add, target_share)
    total = float(problem.weights.sum()) or 1.0
    before = float(problem.weights[problem.served].sum()) / total
    cumulative = before + np.cumsum(choice.gains) / total
    lon, lat = (
        ctx.lonlat(cand_xy[choice.order]) if len(choice.order) else (np.empty(0), np.empty(0))
    )
    sites = gpd.GeoDataFrame(
        {"rank": np.arange(1, len(choice.order) + 1), "candidate_kind": cand_kind[choice.order].astype(str),
         "new_residents": np.round(choice.gains, 1), "covered_share": np.round(cumulative, 4)},
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    reached = cumulative[-1] if len(cumulative) else before
    summary = {
        "layer": layer, "candidates": len(cand_xy), "cells": len(cells),
        "covered_share_before": round(before, 4), "covered_share_after": round(float(reached), 4),
        "sites": len(choice.order), "target_share": target_share,
        "target_reached": None if target_share is None else bool(reached >= target_share - 1e-9),
    }  # fmt: skip
    if add is not None and len(choice.order) < add:
        summary["note"] = (f"only {len(choice.order)} of {add} sites add residents: every resident "
                           "the candidates can reach is covered")  # fmt: skip
    elif target_share is not None and not summary["target_reached"]:
        summary["note"] = (f"{target_share:.0%} is out of reach with these candidates; all of them "
                           f"together cover {reached:.1%}")  # fmt: skip
    return sites, summary
