"""The one reach rule: nearest, within_radius and from_origin agree, on a hand-built graph too."""

import math
import os

import numpy as np
import pytest

from twin.analysis.engine import compute
from twin.context import LayerContext
from twin.network import (
    ReachRule,
    StreetNetwork,
    from_origin,
    nearest,
    nearest_each,
    within_radius,
    workers_for,
)

RULE = ReachRule(max_snap_m=50.0, detour_factor=1.3)


@pytest.fixture
def diamond():
    """A(0,0) –100– B(100,0) –100– D(200,0), A –150– C(0,150) –150– D; E(1000,0) an island."""
    xy = np.array([[0, 0], [100, 0], [0, 150], [200, 0], [1000, 0]], dtype=float)
    u, v = np.array([0, 1, 0, 2, 0]), np.array([1, 3, 2, 3, 1])
    return StreetNetwork.from_arrays(xy, u, v, np.array([100.0, 100.0, 150.0, 150.0, 400.0]))


def test_nearest_walks_snaps_and_estimates(diamond):
    # the facility at (200, 10) is 10 m from node D but 8 m from edge C–D (projection (195.2,
    # 3.6): 146.4 m from C along the edge, 3.6 m from D): it joins the network on that edge
    facilities = np.array([[200.0, 10.0]])
    origins = np.array([[0.0, 5.0], [100.0, 0.0], [0.0, 900.0], [1000.0, 20.0]])
    found = nearest(diamond, origins, facilities, RULE)
    # (0, 5) lies on edge A–C, 5 m from A: 5 to A, 200 A→B→D, 3.6 along C–D, 8 off the edge
    assert found.metres[0] == pytest.approx(5 + 200 + 3.6 + 8)
    assert found.metres[1] == pytest.approx(100 + 3.6 + 8)
    assert not found.estimated[:2].any()
    # off the network (750 m from any node): straight line × detour
    assert found.estimated[2] and found.metres[2] == pytest.approx(1.3 * math.hypot(200, 890))
    # on the island E: on the network but not connected to D, so estimated too
    assert found.estimated[3] and found.metres[3] == pytest.approx(1.3 * math.hypot(800, 10))


def test_points_join_the_nearest_edge_not_the_nearest_node():
    """A 400 m street A–B with a cell and a shop 100 m apart in its middle, 20 m off it."""
    net = StreetNetwork.from_arrays(np.array([[0.0, 0.0], [400.0, 0.0]]), np.array([0]),
                                    np.array([1]), np.array([400.0]))  # fmt: skip
    cell, shop = np.array([[150.0, 20.0]]), np.array([[250.0, 20.0]])
    snapped = net.snap(cell, 250.0)
    assert snapped.offset[0] == pytest.approx(20.0)  # the nearest node is 151 m away
    assert (snapped.a[0], snapped.b[0]) == pytest.approx((150.0, 250.0))
    # same edge: 20 off + 100 along + 20 off, not via a node (which would be 340)
    assert nearest(net, cell, shop, RULE).metres[0] == pytest.approx(140.0)
    assert from_origin(net, cell, shop, 1e9, RULE).metres[0] == pytest.approx(140.0)
    matrix = within_radius(net, shop, cell, np.array([140.0]), RULE).toarray()
    assert (
        matrix[0, 0] and not within_radius(net, shop, cell, np.array([139.0]), RULE).toarray()[0, 0]
    )
    # a longer detour for a shop beyond the far end: via node B
    far = np.array([[430.0, 0.0]])  # 30 m past B, on no edge: joins at B with a 30 m leg
    assert nearest(net, cell, far, RULE).metres[0] == pytest.approx(20 + 250 + 30)


def test_a_closer_unconnected_facility_wins_by_its_estimate(diamond):
    # origin at A; one facility at D (walk 200 m), one on the island 1,000 m away (estimate 1,300)
    # and one off the network 60 m from A (estimate 78 m): the estimate wins, flagged
    facilities = np.array([[200.0, 0.0], [1000.0, 0.0], [-60.0, 0.0]])
    found = nearest(diamond, np.array([[0.0, 0.0]]), facilities, RULE)
    assert found.metres[0] == pytest.approx(78.0) and found.estimated[0]
    found = nearest(diamond, np.array([[0.0, 0.0]]), facilities[:2], RULE)
    assert found.metres[0] == pytest.approx(200.0) and not found.estimated[0]


def test_within_radius_is_nearest_per_source(town):
    """Siting's matrix equals the engine's distance to each single site, radius by radius."""
    ctx = LayerContext(town)
    rng = np.random.default_rng(3)
    network = town.streets.network
    targets = ctx.demand_xy[rng.choice(len(ctx.demand_xy), 150, replace=False)]
    sources = np.vstack([ctx.street_xy[rng.choice(len(ctx.street_xy), 12)], [[ctx.region.bounds[2] - 100, ctx.region.bounds[3] - 300]]])  # fmt: skip
    radius = rng.uniform(200, 900, len(sources))
    rule = ReachRule.from_norms()
    matrix = within_radius(network, sources, targets, radius, rule).toarray()
    for j in range(len(sources)):
        single = nearest(network, targets, sources[[j]], rule)
        assert np.array_equal(matrix[j], single.metres <= radius[j])


def test_from_origin_matches_nearest(town):
    ctx = LayerContext(town)
    network = town.streets.network
    origin = ctx.demand_xy[:1]
    targets = ctx.pois_xy({"eating"})
    one_to_many = from_origin(network, origin, targets, 1e9)
    for k in range(len(targets)):
        assert one_to_many.metres[k] == pytest.approx(
            nearest(network, origin, targets[[k]]).metres[0]
        )


def test_each_reachable_poi_sits_in_the_first_ring_that_holds_it(town):
    from twin.analysis.isochrone import reachable_pois
    from twin.norms import packaged_norms

    lon, lat = town.pois.geometry.x.mean(), town.pois.geometry.y.mean()
    found = reachable_pois(town, town.streets.network, lon, lat, speed_kmh=4.5)
    rings = packaged_norms().walking.rings_min
    assert len(found) and (found["minutes"] <= rings[-1]).all()
    first = np.array([min(r for r in rings if m <= r) for m in found["minutes"]])
    close = np.isclose(found["minutes"], first, atol=0.05)  # rounded to 0.1 min beside a ring
    assert np.array_equal(found["ring_min"][~close], first[~close])
    slower = reachable_pois(town, town.streets.network, lon, lat, speed_kmh=3.0)
    assert len(slower) <= len(found)  # a slower walk never reaches more
    for ring in rings:  # nor more within any ring
        assert (slower["ring_min"] <= ring).sum() <= (found["ring_min"] <= ring).sum()
    one_ring = reachable_pois(town, town.streets.network, lon, lat, 4.5, rings_min=[15.0])
    assert set(one_ring["ring_min"]) == {15.0} and len(one_ring) == len(found)  # rings given


def test_removing_sites_never_brings_anyone_closer(town, town_build):
    """Monotonicity: fewer lockers never mean more coverage or shorter walks, anywhere."""
    layers = town_build.layers
    full = town_build.coverage.cells
    fewer = compute(town, {"lockers": layers["lockers"].iloc[::2]}).cells
    assert (fewer["locker_m"].to_numpy() >= full["locker_m"].to_numpy() - 1e-6).all()
    assert (~fewer["covered_lockers"] | full["covered_lockers"]).all()
    assert fewer["covered_lockers"].sum() < full["covered_lockers"].sum()


def test_categories_over_processes_equal_in_process(town, monkeypatch):
    """Forked workers sharing the CSR arrays give the in-process results to the bit."""
    ctx = LayerContext(town)
    network = town.streets.network
    origins = ctx.demand_xy
    sets = [ctx.pois_xy({c}) for c in ("eating", "moving", "shopping") if len(ctx.pois_xy({c}))]
    monkeypatch.delenv("TWIN_WORKERS", raising=False)
    assert workers_for(network, len(sets), min_nodes=1) == min(len(sets), os.cpu_count() or 1)
    serial = [nearest(network, origins, f) for f in sets]
    forked = nearest_each(network, origins, sets, min_nodes=1)
    for a, b in zip(serial, forked, strict=True):
        assert np.array_equal(a.metres, b.metres) and np.array_equal(a.estimated, b.estimated)
    assert workers_for(network, len(sets), min_nodes=1, limit=1) == 1  # Settings.workers
    assert workers_for(network, len(sets)) == 1  # a small network stays in process


def _workers_in_a_daemon(network, queue):  # type: ignore[no-untyped-def]
    queue.put(workers_for(network, 5, min_nodes=1))


def test_a_daemon_process_measures_in_process(town, monkeypatch):
    """Dask's worker processes are daemons, which may not fork: they stay in process."""
    import multiprocessing

    monkeypatch.delenv("TWIN_WORKERS", raising=False)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_workers_in_a_daemon, args=(town.streets.network, queue),
                            daemon=True)  # fmt: skip
    child.start()
    assert queue.get(timeout=60) == 1
    child.join()


def _islands(n_islands: int, seed: int = 0) -> StreetNetwork:
    """``n_islands`` 3 × 3 street grids of 100 m blocks, 400 m apart: as many components."""
    xy, u, v = [], [], []
    for k in range(n_islands):
        ox, oy = 600.0 * (k % 4), 600.0 * (k // 4)
        base = len(xy)
        xy += [(ox + 100 * i, oy + 100 * j) for i in range(3) for j in range(3)]
        for i in range(3):
            for j in range(3):
                if i < 2:
                    u.append(base + 3 * i + j), v.append(base + 3 * (i + 1) + j)
                if j < 2:
                    u.append(base + 3 * i + j), v.append(base + 3 * i + j + 1)
    xy_a, u_a, v_a = np.array(xy), np.array(u), np.array(v)
    length = np.hypot(*(xy_a[u_a] - xy_a[v_a]).T)
    return StreetNetwork.from_arrays(xy_a, u_a, v_a, length)


def _by_every_pair(net, origins, facilities, rule):
    """The rule of the module docstring, pair by pair: an all-pairs Dijkstra, no shortcuts."""
    from scipy.sparse.csgraph import dijkstra

    nodes = dijkstra(net.csr, directed=False)
    o, f = net.snap(origins, rule.max_snap_m), net.snap(facilities, rule.max_snap_m)
    best = np.full(len(origins), np.inf)
    for i in range(len(origins)):
        for j in range(len(facilities)):
            pair = rule.detour_factor * math.dist(origins[i], facilities[j])
            if o.on[i] and f.on[j] and o.component[i] == f.component[j]:
                walk = min(o.offset[i] + oe + nodes[on, fn] + fe + f.offset[j]
                           for on, oe in ((o.u[i], o.a[i]), (o.v[i], o.b[i]))
                           for fn, fe in ((f.u[j], f.a[j]), (f.v[j], f.b[j])))  # fmt: skip
                if (o.u[i], o.v[i]) == (f.u[j], f.v[j]):
                    walk = min(walk, o.offset[i] + abs(o.a[i] - f.a[j]) + f.offset[j])
                pair = walk
            best[i] = min(best[i], pair)
    return best


@pytest.mark.parametrize(("islands", "few", "neighbours"), [(3, 8, 16), (12, 8, 2), (12, 0, 2)])
def test_nearest_equals_the_rule_pair_by_pair(monkeypatch, islands, few, neighbours):
    """Per-component trees (few components), the k-nearest search and its fallback (many) all
    give the pair-by-pair minimum, with facilities on, off and between the islands."""
    import twin.network as network

    monkeypatch.setattr(network, "FEW_COMPONENTS", few)
    monkeypatch.setattr(network, "NEIGHBOURS", neighbours)
    net = _islands(islands)
    rng = np.random.default_rng(islands)
    span = net.xy.max(axis=0) + 200
    origins = rng.uniform(-100, span, (60, 2))
    on_streets = net.xy[rng.choice(net.n_nodes, 22)] + rng.uniform(-20, 20, (22, 2))
    facilities = np.vstack([on_streets, rng.uniform(-100, span, (3, 2))])
    got = nearest(net, origins, facilities, RULE).metres
    np.testing.assert_allclose(got, _by_every_pair(net, origins, facilities, RULE), rtol=1e-9)
    each = nearest_each(net, origins, [facilities, facilities[:5]], RULE, workers=1)
    np.testing.assert_array_equal(each[0].metres, got)
    np.testing.assert_allclose(each[1].metres, _by_every_pair(net, origins, facilities[:5], RULE))
