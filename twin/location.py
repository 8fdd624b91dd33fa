"""Location models on arrays: the spopt family, with sites that stand kept and capacities.

Pure numpy / scipy, no geometry (the geo adapter is :mod:`twin.programme`). Every model takes
``m`` candidate sites of which ``fixed`` marks those that already stand: they stay open unless
``relocate`` allows that many of them to close (a moved site is one closed and one opened).
``p`` counts the sites to *add*. Demand is ``w`` (n) and either a coverage matrix ``a`` (n × m,
sparse bool: site j reaches demand i) or a cost matrix ``c`` (n × m, dense, ``inf`` where j
cannot serve i).

=====================  ================================================  =====================
model                  objective                                         solvers
=====================  ================================================  =====================
maximal_covering       max Σ w_i · [i within reach of an open site]      MILP · lazy greedy
set_covering           min new sites so every coverable i is covered     MILP · greedy
p_median               min Σ w_i · c(i, nearest open site)               MILP · greedy + swaps
p_center               min max_i c(i, nearest open site), w_i > 0        MILP · greedy
capacitated_covering   max demand served within reach *and* capacity     MILP · greedy (+ bound)
=====================  ================================================  =====================

The exact solver is HiGHS through :func:`scipy.optimize.milp`; every :class:`Solution` says
whether it is ``proven`` optimal and, for the heuristics, the ``bound`` it is measured against
(covering: the submodular bound of Nemhauser et al., the value plus the ``p`` largest marginal
gains left; capacitated: the LP relaxation where it solves in seconds, else the capacity bound,
:func:`capacitated_bound`). The capacitated value of a set of open sites
is a maximum flow (source → sites at their capacity → demand within reach → sink at its demand),
exact for any set (:func:`capacity_served`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array, csc_array, csr_array, hstack, vstack
from scipy.sparse.csgraph import maximum_flow

from twin._errors import InvalidInputError
from twin.i18n import N_

MILP_TIME_LIMIT_S = 60.0
LP_BOUND_MAX_PAIRS = 300_000  # beyond this the LP relaxation takes minutes: the capacity bound
FLOW_UNITS = 100.0  # demand and capacity are scaled to integers of 1/100 for the max flow


@dataclass(frozen=True)
class Solution:
    """Which candidates are open, the objective's value, and how sure it is."""

    open: NDArray[np.bool_]
    objective: float
    proven: bool  # optimal (exact solver finished), False for heuristics and time-outs
    method: str  # "milp" | "greedy" | ...
    bound: float | None = None  # an upper (max) or lower (min) bound on the optimum
    order: NDArray[np.int64] | None = None  # candidates opened, in the order chosen (greedy)

    @property
    def gap(self) -> float | None:
        """Relative gap to the bound (0 when proven), None without a bound."""
        if self.proven:
            return 0.0
        if self.bound is None:
            return None
        scale = max(abs(self.bound), 1e-12)
        return abs(self.bound - self.objective) / scale


def _check(m: int, fixed: NDArray | None, p: int, relocate: int) -> NDArray[np.bool_]:
    fixed = np.zeros(m, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    if fixed.shape != (m,):
        msg = f"fixed marks {fixed.shape[0]} candidates, the matrix has {m}."
        raise InvalidInputError(msg)
    if p < 0 or relocate < 0:
        msg = f"the sites to add ({p}) and to relocate ({relocate}) cannot be negative."
        raise InvalidInputError(msg)
    if relocate > fixed.sum():
        msg = f"cannot relocate {relocate} sites: only {int(fixed.sum())} stand."
        raise InvalidInputError(msg)
    return fixed


def _count_constraints(m: int, n_other: int, fixed: NDArray, p: int, relocate: int):
    """Rows over [x (m), other vars]: open = |fixed| + p; at most ``relocate`` fixed closed."""
    total = np.concatenate([np.ones(m), np.zeros(n_other)])
    kept = np.concatenate([fixed.astype(float), np.zeros(n_other)])
    k = int(fixed.sum())
    rows = [LinearConstraint(total[None, :], k + p, k + p)]
    if k:
        rows.append(LinearConstraint(kept[None, :], k - relocate, k))
    return rows


def _solve(c, constraints, integrality, bounds, time_limit: float):
    result = milp(
        c=c,
        constraints=constraints,
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": time_limit, "presolve": True},
    )
    if result.x is None:
        msg = f"the location model has no solution ({result.message})."
        raise InvalidInputError(msg)
    return result, result.status == 0


def _solve_sites(
    obj: NDArray,
    constraints: list[LinearConstraint],
    m: int,
    fixed: NDArray[np.bool_],
    p: int,
    relocate: int,
    upper_rest: NDArray,
    time_limit: float,
) -> tuple[NDArray[np.bool_], Any, bool]:
    """Solve a model whose first ``m`` variables open sites (binary; the rest continuous with
    upper bounds ``upper_rest``): |fixed| + ``p`` open, what stands kept unless ``relocate``."""
    rest = len(upper_rest)
    lower = np.concatenate([np.where(fixed & (relocate == 0), 1.0, 0.0), np.zeros(rest)])
    result, proven = _solve(
        obj,
        [*constraints, *_count_constraints(m, rest, fixed, p, relocate)],
        np.concatenate([np.ones(m), np.zeros(rest)]),
        Bounds(lower, np.concatenate([np.ones(m), upper_rest])),
        time_limit,
    )
    return result.x[:m] > 0.5, result, proven


# ------------------------------------------------------------------ maximal covering


def maximal_covering(
    a: csc_array,
    w: NDArray,
    p: int,
    fixed: NDArray | None = None,
    relocate: int = 0,
    time_limit: float = MILP_TIME_LIMIT_S,
) -> Solution:
    """Exact MCLP by MILP: open |fixed| + ``p`` sites maximising the covered weight."""
    a = csr_array(a, dtype=float)
    n, m = a.shape
    fixed = _check(m, fixed, p, relocate)
    w = np.asarray(w, dtype=float)
    # variables: x (m), y (n); y_i <= sum_j a_ij x_j
    c = np.concatenate([np.zeros(m), -w])
    cover = hstack([-a, _identity(n)]).tocsr()
    constraints = [LinearConstraint(cover, -np.inf, 0.0)]
    chosen, _, proven = _solve_sites(c, constraints, m, fixed, p, relocate, np.ones(n), time_limit)
    return Solution(chosen, covered_weight(a, w, chosen), proven, "milp")


def _identity(n: int) -> csr_array:
    return csr_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n))


def covered_weight(a, w: NDArray, open_: NDArray[np.bool_]) -> float:
    """The weight within reach of an open site."""
    a = csr_array(a, dtype=float)
    reached = (a @ open_.astype(float)) > 0
    return float(np.asarray(w, dtype=float)[reached].sum())


@dataclass(frozen=True)
class Problem:
    """A covering instance: cells × candidates coverage, cell weights, what is served today.

    ``coverage`` is boolean (a candidate serves a cell or not) or holds levels in [0, 1] (the
    share of a cell a candidate alone would serve, e.g. a coverage probability); ``served`` is
    likewise boolean or today's level. A cell's level after a choice is the largest of today's
    and its chosen candidates' levels (weighted maximum coverage; boolean: plain MCLP).
    """

    coverage: csc_array  # shape (cells, candidates)
    weights: NDArray[np.float64]  # residents (or area) per cell
    served: NDArray  # bool or float in [0, 1]: today's level per cell


@dataclass(frozen=True)
class Choice:
    order: NDArray[np.int64]  # candidate indices in the order chosen
    gains: NDArray[np.float64]  # newly served weight per pick
    covered: NDArray[np.bool_]  # cells fully served after all picks (incl. today's)
    levels: NDArray[np.float64] | None = None  # each cell's level after all picks


def lazy_greedy(
    problem: Problem, k: int | None = None, target_share: float | None = None
) -> Choice:
    """Pick up to ``k`` candidates, or until ``target_share`` of the weight is served."""
    a = problem.coverage.tocsc().astype(float)
    level = problem.served.astype(float).copy()
    weights = problem.weights
    total = float(weights.sum())
    column = np.repeat(np.arange(a.shape[1]), np.diff(a.indptr))
    lift = np.maximum(a.data - level[a.indices], 0.0) * weights[a.indices]
    gains0 = np.bincount(column, weights=lift, minlength=a.shape[1])
    heap = [(-g, j) for j, g in enumerate(gains0) if g > 0]
    heapq.heapify(heap)
    order: list[int] = []
    gains: list[float] = []
    limit = k if k is not None else a.shape[1]
    while heap and len(order) < limit:
        if target_share is not None and total and (weights * level).sum() / total >= target_share:
            break
        _, j = heapq.heappop(heap)
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        values = a.data[a.indptr[j] : a.indptr[j + 1]]
        gain = float((weights[rows] * np.maximum(values - level[rows], 0.0)).sum())
        if heap and gain < -heap[0][0] - 1e-9:
            if gain > 0:
                heapq.heappush(heap, (-gain, j))
            continue
        if gain <= 0:
            break
        order.append(j)
        gains.append(gain)
        level[rows] = np.maximum(level[rows], values)
    return Choice(np.array(order, dtype=np.int64), np.array(gains), level >= 1.0 - 1e-12, level)


def greedy_covering(a: csc_array, w: NDArray, p: int, fixed: NDArray | None = None) -> Solution:
    """Lazy greedy MCLP (Minoux, :func:`lazy_greedy`): ≥ 1 − 1/e of the optimum, with the
    submodular bound (the value plus the ``p`` largest marginal gains left)."""
    a = csc_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, p, 0)
    w = np.asarray(w, dtype=float)
    choice = lazy_greedy(Problem(a, w, (a @ fixed.astype(float)) > 0), p)
    open_ = fixed.copy()
    open_[choice.order] = True
    value = float(w[choice.covered].sum())
    left = np.sort(_column_sums(a, np.where(choice.covered, 0.0, w))[~open_])[::-1][:p]
    return Solution(open_, value, False, "greedy", value + float(left.sum()), choice.order)


def _column_sums(a: csc_array, values: NDArray) -> NDArray[np.float64]:
    return np.asarray(a.T @ values, dtype=float).ravel()


# ------------------------------------------------------------------ set covering


def set_covering(
    a: csc_array, fixed: NDArray | None = None, time_limit: float = MILP_TIME_LIMIT_S
) -> Solution:
    """Exact LSCP by MILP: the fewest new sites so that every demand some candidate can reach is
    covered (demand no candidate reaches is left out and stays uncovered)."""
    a = csr_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, 0, 0)
    reachable = np.asarray(a.sum(axis=1)).ravel() > 0
    need = reachable & ~((a @ fixed.astype(float)) > 0)
    c = np.where(fixed, 0.0, 1.0)
    rows = a[np.flatnonzero(need)]
    constraints = [LinearConstraint(rows, 1.0, np.inf)] if rows.shape[0] else []
    result, proven = _solve(
        c, constraints, np.ones(m), Bounds(fixed.astype(float), np.ones(m)), time_limit
    )
    chosen = result.x > 0.5
    return Solution(chosen, float((chosen & ~fixed).sum()), proven, "milp")


def greedy_set_covering(a: csc_array, fixed: NDArray | None = None) -> Solution:
    """Greedy LSCP (Chvátal): within a factor ln(n) + 1 of the fewest sites."""
    a = csc_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, 0, 0)
    reachable = np.asarray(a.sum(axis=1)).ravel() > 0
    w = np.where(reachable, 1.0, 0.0)
    solution = greedy_covering(a, w, m, fixed)
    return Solution(
        solution.open, float((solution.open & ~fixed).sum()), False, "greedy", order=solution.order
    )


# ------------------------------------------------------------------ p-median and p-center


def _assignment(c: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Sparse assignment variables z_ij for the finite costs: (rows, cols, costs)."""
    finite = np.isfinite(c)
    rows, cols = np.nonzero(finite)
    return rows, cols, c[rows, cols]


def p_median(
    c: NDArray,
    w: NDArray,
    p: int,
    fixed: NDArray | None = None,
    relocate: int = 0,
    time_limit: float = MILP_TIME_LIMIT_S,
) -> Solution:
    """Exact p-median by MILP: minimise the weighted cost of each demand to its nearest open
    site (demand no candidate can serve is left out)."""
    c = np.asarray(c, dtype=float)
    _n, m = c.shape
    fixed = _check(m, fixed, p, relocate)
    w = np.asarray(w, dtype=float)
    served = np.isfinite(c).any(axis=1)
    rows, cols, cost = _assignment(c[served])
    k = len(rows)
    weights = w[served][rows]
    obj = np.concatenate([np.zeros(m), weights * cost])
    assign = coo_array((np.ones(k), (rows, m + np.arange(k))), shape=(int(served.sum()), m + k))
    link = hstack([-coo_array((np.ones(k), (np.arange(k), cols)), shape=(k, m)), _identity(k)])
    constraints = [
        LinearConstraint(assign.tocsr(), 1.0, 1.0),
        LinearConstraint(link.tocsr(), -np.inf, 0.0),
    ]
    chosen, _, proven = _solve_sites(
        obj, constraints, m, fixed, p, relocate, np.ones(k), time_limit
    )
    return Solution(chosen, median_cost(c, w, chosen), proven, "milp")


def median_cost(c: NDArray, w: NDArray, open_: NDArray[np.bool_]) -> float:
    """Σ w_i · cost to the nearest open site, over demand some open site can serve."""
    if not open_.any():
        return float("inf")
    nearest = np.asarray(c, dtype=float)[:, open_].min(axis=1)
    finite = np.isfinite(nearest)
    return float((np.asarray(w, dtype=float)[finite] * nearest[finite]).sum())


def greedy_median(
    c: NDArray, w: NDArray, p: int, fixed: NDArray | None = None, swaps: bool = True
) -> Solution:
    """Greedy p-median (each step the site lowering the cost most), then vertex substitution
    (Teitz & Bart) among the added sites until no swap improves."""
    c = np.asarray(c, dtype=float)
    n, m = c.shape
    fixed = _check(m, fixed, p, 0)
    w = np.asarray(w, dtype=float)
    big = np.where(np.isfinite(c), c, np.nan)
    ceiling = np.nanmax(big) * 10 + 1 if np.isfinite(big).any() else 1.0
    cost = np.where(np.isfinite(c), c, ceiling)  # unserved counts as far beyond any site
    open_ = fixed.copy()
    current = cost[:, open_].min(axis=1) if open_.any() else np.full(n, ceiling * 10)
    order: list[int] = []
    for _ in range(p):
        gain = (w[:, None] * np.maximum(current[:, None] - cost, 0.0)).sum(axis=0)
        gain[open_] = -1.0
        j = int(np.argmax(gain))
        if gain[j] < 0:
            break
        open_[j] = True
        order.append(j)
        current = np.minimum(current, cost[:, j])
    if swaps and order:
        improved = True
        while improved:
            improved = False
            for position, j in enumerate(list(order)):
                base = open_.copy()
                base[j] = False
                rest = cost[:, base].min(axis=1) if base.any() else np.full(n, ceiling * 10)
                gains = (w[:, None] * np.maximum(rest[:, None] - cost, 0.0)).sum(axis=0)
                gains[base] = -1.0
                best = int(np.argmax(gains))
                now = (w * np.maximum(rest - cost[:, j], 0.0)).sum()
                if best != j and gains[best] > now + 1e-9:
                    open_[j], open_[best] = False, True
                    order[position] = best
                    improved = True
    return Solution(
        open_,
        median_cost(c, w, open_),
        False,
        "greedy + swaps",
        order=np.array(order, dtype=np.int64),
    )


def p_center(
    c: NDArray,
    w: NDArray,
    p: int,
    fixed: NDArray | None = None,
    relocate: int = 0,
    time_limit: float = MILP_TIME_LIMIT_S,
) -> Solution:
    """Exact p-center by MILP: minimise the largest cost of any demand (``w`` > 0) to its
    nearest open site (demand no candidate can serve is left out)."""
    c = np.asarray(c, dtype=float)
    _n, m = c.shape
    fixed = _check(m, fixed, p, relocate)
    keep = (np.asarray(w, dtype=float) > 0) & np.isfinite(c).any(axis=1)
    rows, cols, cost = _assignment(c[keep])
    k, n_keep = len(rows), int(keep.sum())
    # variables: x (m), z (k), D; min D; sum_j z_ij = 1; z_ij <= x_j; sum_j c_ij z_ij <= D
    obj = np.concatenate([np.zeros(m + k), [1.0]])
    assign = coo_array((np.ones(k), (rows, m + np.arange(k))), shape=(n_keep, m + k + 1))
    link = hstack(
        [
            -coo_array((np.ones(k), (np.arange(k), cols)), shape=(k, m)),
            _identity(k),
            csr_array((k, 1)),
        ]
    )
    radius = hstack(
        [
            csr_array((n_keep, m)),
            coo_array((cost, (rows, np.arange(k))), shape=(n_keep, k)),
            csr_array(-np.ones((n_keep, 1))),
        ]
    )
    constraints = [
        LinearConstraint(assign.tocsr(), 1.0, 1.0),
        LinearConstraint(link.tocsr(), -np.inf, 0.0),
        LinearConstraint(radius.tocsr(), -np.inf, 0.0),
    ]
    upper = np.concatenate([np.ones(k), [np.inf]])
    chosen, _, proven = _solve_sites(obj, constraints, m, fixed, p, relocate, upper, time_limit)
    return Solution(chosen, center_cost(c, w, chosen), proven, "milp")


def center_cost(c: NDArray, w: NDArray, open_: NDArray[np.bool_]) -> float:
    """The largest cost from a demand (``w`` > 0) some open site can serve to its nearest."""
    if not open_.any():
        return float("inf")
    nearest = np.asarray(c, dtype=float)[:, open_].min(axis=1)
    keep = (np.asarray(w, dtype=float) > 0) & np.isfinite(nearest)
    return float(nearest[keep].max()) if keep.any() else 0.0


def greedy_center(c: NDArray, w: NDArray, p: int, fixed: NDArray | None = None) -> Solution:
    """Greedy p-center: each step opens the site nearest the demand that is farthest now."""
    c = np.asarray(c, dtype=float)
    n, m = c.shape
    fixed = _check(m, fixed, p, 0)
    keep = (np.asarray(w, dtype=float) > 0) & np.isfinite(c).any(axis=1)
    open_ = fixed.copy()
    order: list[int] = []
    for _ in range(p):
        nearest = c[:, open_].min(axis=1) if open_.any() else np.full(n, np.inf)
        worst = np.where(keep, np.where(np.isfinite(nearest), nearest, np.inf), -1.0)
        i = int(np.argmax(worst))
        if worst[i] <= 0:
            break
        row = np.where(open_, np.inf, c[i])
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            break
        open_[j] = True
        order.append(j)
    return Solution(
        open_, center_cost(c, w, open_), False, "greedy", order=np.array(order, dtype=np.int64)
    )


# ------------------------------------------------------------------ capacitated covering


def capacity_served(
    a: csc_array, demand: NDArray, capacity: NDArray, open_: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Each demand's amount served within reach of an open site *and* within the sites'
    capacities: the maximum flow source → open sites (capacity) → demand in reach → sink."""
    return capacity_flows(a, demand, capacity, open_)[0]


def capacity_flows(
    a: csc_array, demand: NDArray, capacity: NDArray, open_: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`capacity_served` and each site's load in that maximum flow (what it serves)."""
    a = csr_array(a, dtype=float)
    n, m = a.shape
    d = np.round(np.asarray(demand, dtype=float) * FLOW_UNITS).astype(np.int64)
    cap = np.round(np.asarray(capacity, dtype=float) * FLOW_UNITS).astype(np.int64)
    cap = np.where(open_, cap, 0)
    if d.sum() == 0 or cap.sum() == 0:
        return np.zeros(n), np.zeros(m)
    limit = np.iinfo(np.int32).max // 4
    if d.sum() > limit or cap.sum() > limit:  # keep int32 flow: coarser units
        scale = max(d.sum(), cap.sum()) / limit
        d, cap = np.floor(d / scale).astype(np.int64), np.floor(cap / scale).astype(np.int64)
    else:
        scale = 1.0
    pairs = a.tocoo()
    source, sink = 0, 1 + m + n
    site = 1 + np.arange(m)
    cell = 1 + m + np.arange(n)
    tails = np.concatenate([np.full(m, source), site[pairs.col], cell])
    heads = np.concatenate([site, cell[pairs.row], np.full(n, sink)])
    caps = np.concatenate([cap, d[pairs.row], d]).astype(np.int32)
    graph = csr_array((caps, (tails, heads)), shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, source, sink).flow
    into_sink = np.asarray(flow[cell, np.full(n, sink)]).ravel()
    load = np.asarray(flow[np.zeros(m, dtype=np.int64), site]).ravel()
    unit = scale / FLOW_UNITS
    return np.clip(into_sink, 0, None) * unit, np.clip(load, 0, None) * unit


def _flow_rows(a: csr_array, cap: NDArray) -> tuple[Any, coo_array, Any]:
    """The capacitated model's rows over [x (m), f (pairs)]: each demand's flows (≤ d_i) and
    each site's flows less its capacity when open (≤ 0); the reachable pairs they run on."""
    n, m = a.shape
    pairs = a.tocoo()
    k = len(pairs.row)
    per_demand = coo_array((np.ones(k), (pairs.row, m + np.arange(k))), shape=(n, m + k))
    per_site = hstack([-coo_array((cap, (np.arange(m), np.arange(m))), shape=(m, m)),
                       coo_array((np.ones(k), (pairs.col, np.arange(k))), shape=(m, k))])  # fmt: skip
    return pairs, per_demand, per_site


def capacity_gains(a: csc_array, capacity: NDArray, residual: NDArray) -> NDArray[np.float64]:
    """What each site would serve of the demand left unserved within its reach, up to its
    capacity (an upper bound on its gain is its capacity; this is the greedy's estimate)."""
    within = np.asarray(a.T @ residual, dtype=float).ravel()
    return np.minimum(np.asarray(capacity, dtype=float), within)


def give_capacity(a: csc_array, j: int, capacity: float, residual: NDArray) -> None:
    """Give site ``j``'s ``capacity`` to the unserved demand within its reach (largest first),
    lowering ``residual`` in place: the greedy's allocation (the exact one is a maximum flow)."""
    rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
    left = capacity
    for i in rows[np.argsort(-residual[rows], kind="stable")]:
        amount = min(left, residual[i])
        residual[i] -= amount
        left -= amount
        if left <= 0:
            break


def capacitated_covering(
    a: csc_array,
    demand: NDArray,
    capacity: NDArray,
    p: int,
    fixed: NDArray | None = None,
    relocate: int = 0,
    time_limit: float = MILP_TIME_LIMIT_S,
) -> Solution:
    """Exact capacitated MCLP by MILP: open |fixed| + ``p`` sites maximising the demand served
    within reach and capacity (flows f_ij ≥ 0 on reachable pairs, Σ_j f_ij ≤ d_i,
    Σ_i f_ij ≤ cap_j x_j)."""
    a = csr_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, p, relocate)
    d = np.asarray(demand, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    pairs, per_demand, per_site = _flow_rows(a, cap)
    k = len(pairs.row)
    obj = np.concatenate([np.zeros(m), -np.ones(k)])
    constraints = [
        LinearConstraint(per_demand.tocsr(), -np.inf, d),
        LinearConstraint(per_site.tocsr(), -np.inf, 0.0),
    ]
    chosen, result, proven = _solve_sites(obj, constraints, m, fixed, p, relocate, d[pairs.row],
                                          time_limit)  # fmt: skip
    value = float(capacity_served(a, d, cap, chosen).sum())
    return Solution(
        chosen,
        value,
        proven,
        "milp",
        bound=-float(result.mip_dual_bound) if result.mip_dual_bound is not None else None,
    )


def capacitated_bound(
    a: csc_array, demand: NDArray, capacity: NDArray, p: int, fixed: NDArray | None = None
) -> tuple[float, str]:
    """An upper bound on what any |fixed| + ``p`` sites serve within reach and capacity, and
    its kind: the LP relaxation (sites may open fractionally) where the instance has at most
    :data:`LP_BOUND_MAX_PAIRS` reachable pairs, else the *capacity* bound (the sites that stand
    serve what their maximum flow serves, and each added site at most its capacity, all of it
    at most the demand any candidate reaches)."""
    upper = capacitated_lp_bound(a, demand, capacity, p, fixed)
    if upper is not None:
        return upper, N_("LP relaxation")
    a = csr_array(a, dtype=float)
    m = a.shape[1]
    fixed = _check(m, fixed, p, 0)
    d, cap = np.asarray(demand, dtype=float), np.asarray(capacity, dtype=float)
    standing = float(capacity_served(a, d, cap, fixed).sum())
    best = float(np.sort(cap[~fixed])[::-1][:p].sum())
    reachable = float(d[np.asarray(a.sum(axis=1)).ravel() > 0].sum())
    return min(reachable, standing + best), N_("capacity")


def capacitated_lp_bound(
    a: csc_array, demand: NDArray, capacity: NDArray, p: int, fixed: NDArray | None = None
) -> float | None:
    """The LP relaxation of :func:`capacitated_covering` (sites may open fractionally): an upper
    bound on what any |fixed| + ``p`` sites serve; None when the instance is too large."""
    a = csr_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, p, 0)
    if a.nnz > LP_BOUND_MAX_PAIRS:
        return None
    d, cap = np.asarray(demand, dtype=float), np.asarray(capacity, dtype=float)
    pairs, per_demand, per_site = _flow_rows(a, cap)
    k = len(pairs.row)
    obj = np.concatenate([np.zeros(m), -np.ones(k)])
    count = csr_array(np.concatenate([np.ones(m), np.zeros(k)])[None, :])
    a_ub = vstack([per_demand, per_site]).tocsr()
    b_ub = np.concatenate([d, np.zeros(m)])
    lower = np.concatenate([fixed.astype(float), np.zeros(k)])
    upper = np.concatenate([np.ones(m), d[pairs.row]])
    result = linprog(
        obj,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=count,
        b_eq=[fixed.sum() + p],
        bounds=np.column_stack([lower, upper]),
        method="highs",
    )
    return -float(result.fun) if result.status == 0 else None


def greedy_capacitated(
    a: csc_array,
    demand: NDArray,
    capacity: NDArray,
    p: int,
    fixed: NDArray | None = None,
    target: float | None = None,
    bound: bool = True,
) -> Solution:
    """Greedy capacitated MCLP: each step opens the site serving the most demand still unserved
    within its reach, up to its capacity (lazy evaluation: gains only shrink); the value is the
    exact maximum flow of the chosen set. Stops at ``p`` sites or when ``target`` (a share of all
    demand) is served. ``bound``: :func:`capacitated_bound` (the LP relaxation where it fits,
    else the capacity bound)."""
    a = csc_array(a, dtype=float)
    _n, m = a.shape
    fixed = _check(m, fixed, p, 0)
    d = np.asarray(demand, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    total = float(d.sum()) or 1.0
    open_ = fixed.copy()
    residual = d - capacity_served(a, d, cap, open_)
    gains = np.where(open_, 0.0, capacity_gains(a, cap, residual))
    heap = [(-g, j) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap and len(order) < p:
        if target is not None and 1.0 - residual.sum() / total >= target - 1e-12:
            break
        _, j = heapq.heappop(heap)
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        g = float(min(cap[j], residual[rows].sum()))
        if heap and g < -heap[0][0] - 1e-9:
            if g > 0:
                heapq.heappush(heap, (-g, j))
            continue
        if g <= 0:
            break
        open_[j] = True
        order.append(j)
        give_capacity(a, j, cap[j], residual)
    value = float(capacity_served(a, d, cap, open_).sum())
    upper = capacitated_bound(a, d, cap, len(order), fixed)[0] if bound else None
    return Solution(open_, value, False, "greedy", upper, np.array(order, dtype=np.int64))
