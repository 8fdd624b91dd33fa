"""Location models against exhaustive search on small instances: every exact model is optimal,
every heuristic stays within its bound, sites that stand are kept."""

from itertools import combinations

import numpy as np
import pytest
from scipy.sparse import csc_array

from twin import InvalidInputError
from twin.location import (
    capacitated_covering,
    capacitated_lp_bound,
    capacity_served,
    center_cost,
    covered_weight,
    greedy_capacitated,
    greedy_center,
    greedy_covering,
    greedy_median,
    greedy_set_covering,
    maximal_covering,
    median_cost,
    p_center,
    p_median,
    set_covering,
)


def instance(seed: int, n: int = 14, m: int = 8):
    """Demand and candidates on a 1 km square: costs are distances, reach within 350 m."""
    rng = np.random.default_rng(seed)
    demand_xy, sites_xy = rng.random((n, 2)) * 1000, rng.random((m, 2)) * 1000
    cost = np.hypot(*(demand_xy[:, None, :] - sites_xy[None, :, :]).transpose(2, 0, 1))
    reach = csc_array(cost <= 350)
    weights = rng.integers(1, 100, n).astype(float)
    capacity = rng.integers(40, 200, m).astype(float)
    fixed = np.zeros(m, dtype=bool)
    fixed[rng.choice(m, 2, replace=False)] = True
    return cost, reach, weights, capacity, fixed


def subsets(m: int, fixed: np.ndarray, p: int, relocate: int = 0):
    """Every choice of |fixed| + p open sites keeping at least |fixed| − relocate of the fixed."""
    k = int(fixed.sum())
    for chosen in combinations(range(m), k + p):
        open_ = np.zeros(m, dtype=bool)
        open_[list(chosen)] = True
        if (open_ & fixed).sum() >= k - relocate:
            yield open_


@pytest.mark.parametrize("seed", range(5))
def test_maximal_covering_is_optimal_and_greedy_within_its_bound(seed):
    _, reach, w, _, fixed = instance(seed)
    for p in (1, 2, 3):
        best = max(covered_weight(reach, w, o) for o in subsets(8, fixed, p))
        exact = maximal_covering(reach, w, p, fixed)
        assert exact.proven and exact.objective == pytest.approx(best)
        assert (exact.open & fixed).sum() == fixed.sum()  # what stands is kept
        greedy = greedy_covering(reach, w, p, fixed)
        assert (1 - 1 / np.e) * best - 1e-9 <= greedy.objective <= best + 1e-9
        assert greedy.bound >= best - 1e-9  # the submodular bound holds


@pytest.mark.parametrize("seed", range(5))
def test_relocation_may_move_a_site_that_stands(seed):
    _, reach, w, _, fixed = instance(seed)
    kept = maximal_covering(reach, w, 1, fixed).objective
    moved = maximal_covering(reach, w, 1, fixed, relocate=1)
    best = max(covered_weight(reach, w, o) for o in subsets(8, fixed, 1, relocate=1))
    assert moved.objective == pytest.approx(best) and moved.objective >= kept - 1e-9
    assert moved.open.sum() == fixed.sum() + 1


@pytest.mark.parametrize("seed", range(5))
def test_set_covering_needs_the_fewest_sites(seed):
    _, reach, _, _, fixed = instance(seed)
    coverable = np.asarray(reach.sum(axis=1)).ravel() > 0
    ones = np.ones(reach.shape[0])
    fewest = next(
        p
        for p in range(9)
        if any(covered_weight(reach, ones, o) == coverable.sum() for o in subsets(8, fixed, p))
    )
    exact = set_covering(reach, fixed)
    assert exact.proven and exact.objective == fewest
    assert covered_weight(reach, ones, exact.open) == coverable.sum()
    greedy = greedy_set_covering(reach, fixed)
    assert greedy.objective >= fewest
    assert covered_weight(reach, ones, greedy.open) == coverable.sum()


@pytest.mark.parametrize("seed", range(5))
def test_p_median_and_p_center_are_optimal(seed):
    cost, _, w, _, fixed = instance(seed)
    for p in (1, 2):
        options = list(subsets(8, fixed, p))
        exact = p_median(cost, w, p, fixed)
        assert exact.proven
        assert exact.objective == pytest.approx(min(median_cost(cost, w, o) for o in options))
        assert greedy_median(cost, w, p, fixed).objective >= exact.objective - 1e-6
        center = p_center(cost, w, p, fixed)
        assert center.proven
        assert center.objective == pytest.approx(min(center_cost(cost, w, o) for o in options))
        assert greedy_center(cost, w, p, fixed).objective >= center.objective - 1e-6


def test_the_capacity_served_is_the_maximum_flow():
    # two sites of capacity 10 and 5; demand 8 reaches both, demand 6 only the second
    reach = csc_array(np.array([[1, 1], [0, 1]], dtype=bool))
    served = capacity_served(reach, np.array([8.0, 6.0]), np.array([10.0, 5.0]), np.ones(2, bool))
    assert served.tolist() == pytest.approx([8.0, 5.0])  # the second site keeps its 5 for demand 2
    served = capacity_served(
        reach, np.array([8.0, 6.0]), np.array([10.0, 5.0]), np.array([False, True])
    )
    assert served.sum() == pytest.approx(5.0)


@pytest.mark.parametrize("seed", range(5))
def test_capacitated_covering_is_optimal_and_capacity_binds(seed):
    _, reach, w, cap, fixed = instance(seed)
    for p in (1, 2):
        value = {tuple(o): capacity_served(reach, w, cap, o).sum() for o in subsets(8, fixed, p)}
        best = max(value.values())
        exact = capacitated_covering(reach, w, cap, p, fixed)
        assert exact.proven and exact.objective == pytest.approx(best, abs=0.02)
        bound = capacitated_lp_bound(reach, w, cap, p, fixed)
        greedy = greedy_capacitated(reach, w, cap, p, fixed)
        assert greedy.objective <= best + 0.02 <= bound + 0.04
        assert greedy.bound == pytest.approx(bound)
    # halving every capacity never serves more, and somewhere serves less
    half = capacity_served(reach, w, cap / 2, np.ones(8, bool)).sum()
    assert half <= capacity_served(reach, w, cap, np.ones(8, bool)).sum() + 1e-9


def test_bad_requests_say_what_is_wrong():
    _, reach, w, _, fixed = instance(0)
    with pytest.raises(InvalidInputError, match="cannot relocate 3"):
        maximal_covering(reach, w, 1, fixed, relocate=3)
    with pytest.raises(InvalidInputError, match="marks 3 candidates"):
        maximal_covering(reach, w, 1, np.zeros(3, bool))
    with pytest.raises(InvalidInputError, match="negative"):
        greedy_covering(reach, w, -1, fixed)
