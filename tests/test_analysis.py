"""The coverage engine: exact distances, hand-computed path loss, H3 checks, a Hongkou run."""

import json
import math

import h3
import networkx as nx
import numpy as np
import pytest
import shapely

from twin import grid as grid_module
from twin.analysis import life_circle, radio
from twin.analysis.build import build, write
from twin.analysis.engine import CoverageParams
from twin.cli import main
from twin.grid import cells_to_strings, hex_grid, index_points
from twin.network import StreetNetwork
from twin.residents import distribute_residents
from twin.streets import Streets


@pytest.fixture
def diamond():
    """A(0,0) –100– B(100,0) –100– D(200,0), and A –150– C(0,150) –150– D: a known detour.

    A parallel A–B edge of 400 m must lose to the 100 m one; E(1000,0) is an island.
    """
    xy = np.array([[0, 0], [100, 0], [0, 150], [200, 0], [1000, 0]], dtype=float)
    u = np.array([0, 1, 0, 2, 0])
    v = np.array([1, 3, 2, 3, 1])
    length = np.array([100.0, 100.0, 150.0, 150.0, 400.0])
    return StreetNetwork.from_arrays(xy, u, v, length)


def test_node_distances_are_exact(diamond):
    d = diamond.node_distances(np.array([3]), np.array([0.0]), limit=np.inf)
    assert d[:4] == pytest.approx([200.0, 100.0, 150.0, 0.0])
    assert math.isinf(d[4])  # the island is unreachable
    # two sources with offsets: each node takes the nearer, offset included
    d = diamond.node_distances(np.array([0, 3]), np.array([30.0, 0.0]), limit=np.inf)
    assert d[:4] == pytest.approx([30.0, 100.0, 150.0, 0.0])
    limited = diamond.node_distances(np.array([3]), np.array([0.0]), limit=120.0)
    assert limited[1] == pytest.approx(100.0) and math.isinf(limited[0])


def test_csr_from_an_osmnx_style_graph_matches_networkx():
    rng = np.random.default_rng(1)
    graph = nx.MultiDiGraph(crs="epsg:4326")
    n = 60
    lon = 121.45 + rng.random(n) * 0.02
    lat = 31.25 + rng.random(n) * 0.02
    for i in range(n):
        graph.add_node(10_000 + i, x=lon[i], y=lat[i])
    for _ in range(150):
        a, b = rng.integers(0, n, 2)
        if a != b:
            w = float(rng.uniform(50, 500))
            graph.add_edge(10_000 + a, 10_000 + b, length=w)
            graph.add_edge(10_000 + b, 10_000 + a, length=w)
    streets = Streets.from_graph(graph, 32651)  # nodes renumbered along a space-filling curve
    index = {(x, y): k for k, (x, y) in enumerate(streets.lonlat)}

    def node(osm_id: int) -> int:  # twin's number of an OSM node, found by its position
        return index[(graph.nodes[osm_id]["x"], graph.nodes[osm_id]["y"])]

    ours = streets.network.node_distances(np.array([node(10_000)]), np.array([0.0]), np.inf)
    theirs = nx.single_source_dijkstra_path_length(graph, 10_000, weight="length")
    for i in range(n):
        expected = theirs.get(10_000 + i, np.inf)
        assert ours[node(10_000 + i)] == pytest.approx(expected)


def test_path_loss_against_hand_computed_values():
    # UMa at d3D = 500 m, 3.5 GHz: LOS 28 + 22·2.69897 + 20·0.544068 = 98.258 dB
    # NLOS 13.54 + 39.08·2.69897 + 10.8814 = 129.897 dB
    assert radio.path_loss_db(500.0, 3.5, los_model="los") == pytest.approx(98.258, abs=1e-3)
    assert radio.path_loss_db(500.0, 3.5, los_model="nlos") == pytest.approx(129.897, abs=1e-3)
    # UMi NLOS: 22.4 + 35.3·2.69897 + 21.3·0.544068 = 129.262 dB
    assert radio.path_loss_db(500.0, 3.5, micro=True) == pytest.approx(129.262, abs=1e-3)
    # the NLOS formula never undercuts LOS (very close in)
    assert radio.path_loss_db(2.0, 3.5) == pytest.approx(
        radio.path_loss_db(2.0, 3.5, los_model="los")
    )
    # expected = Pr_LOS-weighted: at 100 m, Pr = 0.18 + e^(-100/63)·0.82
    p = 0.18 + math.exp(-100 / 63) * 0.82
    los, nlos = (radio.path_loss_db(100.0, 3.5, los_model=m) for m in ("los", "nlos"))
    assert radio.path_loss_db(100.0, 3.5, los_model="expected") == pytest.approx(
        p * los + (1 - p) * nlos
    )
    with pytest.raises(ValueError, match="los_model"):
        radio.path_loss_db(100.0, 3.5, los_model="free-space")


def test_gini_and_life_circle_figures():
    assert life_circle.weighted_gini(np.array([5.0, 5.0, 5.0]), np.ones(3)) == 0.0
    assert life_circle.weighted_gini(np.array([1.0, 3.0]), np.ones(2)) == pytest.approx(0.25)
    # weights are people: [1, 3] with weights [1, 1] equals [1, 3, 3, 1] unweighted
    assert life_circle.weighted_gini(np.array([1.0, 3.0]), np.array([2.0, 2.0])) == pytest.approx(
        0.25
    )
    times = np.array([[4.0, 12.0], [20.0, 3.0]])
    figures = life_circle.district_figures(times, np.array([300.0, 100.0]))
    assert figures["f15"] == pytest.approx(0.75)
    assert figures["mean_time_min"] == pytest.approx((8 * 300 + 11.5 * 100) / 400)
    assert life_circle.counts_within(times, 10).tolist() == [1, 1]
    assert life_circle.minutes(np.array([75.0]), 4.5)[0] == pytest.approx(1.0)


def test_h3_indexing_matches_h3_py():
    rng = np.random.default_rng(3)
    lon = 121.3 + rng.random(500) * 0.4
    lat = 31.1 + rng.random(500) * 0.3
    ours = cells_to_strings(index_points(lon, lat, 9))
    reference = [h3.latlng_to_cell(y, x, 9) for x, y in zip(lon, lat, strict=True)]
    assert ours.tolist() == reference


def test_grid_covers_the_district_and_keeps_every_resident(hongkou):
    grid = hex_grid(hongkou.boundary, 9, hongkou.metric_crs, hongkou.study_area)
    assert grid["area_km2"].sum() == pytest.approx(hongkou.area_km2, rel=1e-3)
    assert grid["inside_share"].between(0, 1).all() and grid["h3"].is_unique
    assert 0.3 < grid["in_study"].mean() < 0.7  # the pack covers about half of Hongkou
    residents = distribute_residents(grid, hongkou.demand, hongkou.boundary, hongkou.metric_crs, 9)
    assert residents.counts.sum() == round(hongkou.population)
    assert residents.counts.dtype.kind == "i"
    # each cell's centre indexes to itself
    assert (index_points(grid["lon"].to_numpy(), grid["lat"].to_numpy(), 9) == grid["cell"]).all()
    coarse = hex_grid(hongkou.boundary, 7, hongkou.metric_crs)
    assert len(coarse) < len(grid) / 20


@pytest.fixture(scope="module")
def hongkou_build(hongkou, settings):
    return build(hongkou, settings)


def test_hongkou_figures_are_plausible(hongkou_build):
    cov = hongkou_build.coverage
    cells = cov.cells
    assert cells["rsrp_dbm"].between(-140, -20).all()
    assert cov.share("covered_5g") > 0.9  # 1,500 sites in 23 km²
    assert 0.5 < cov.share("covered_charging") <= 1.0
    assert 0.5 < cov.share("covered_lockers") <= 1.0
    # street distances are never shorter than the straight line
    assert (cells["charging_m"] >= cells["charging_line_m"] - 0.5).all()
    # cells outside the street study area are the estimated ones
    off = ~cells["in_study"] & (cells["study_share"] == 0)
    assert cells.loc[off, "charging_estimated"].all()
    assert not cells.loc[cells["study_share"] > 0.99, "lockers_estimated"].all()
    figures = cov.life_circle_figures()
    assert 0.3 < figures["f15"] <= 1.0
    assert 1.0 < figures["mean_time_min"] < 15.0
    assert 0.0 < figures["gini"] < 0.6
    assert cov.measured_categories == ["learning", "eating", "moving", "cultural", "healthcare"]
    assert cells["t_outdoor"].isna().all()  # no outdoor POIs offline: unmeasured, not infinite
    assert cells["service_index"].between(0, 100).all()
    assert (cells["lc_5"] <= cells["lc_10"]).all() and (cells["lc_10"] <= cells["lc_15"]).all()


def test_report_rows_and_gaps(hongkou_build):
    report = hongkou_build.report
    rows = {row["key"]: row for row in report["rows"]}
    # a generated layer restates the plan: never "met"
    assert rows["base_stations_5g"]["status"] == "calibrated, not measured"
    assert rows["base_stations_5g"]["layer_source"] == "generated"
    assert rows["base_stations_5g"]["basis"] == "calibrated"
    assert rows["iot_nodes"]["status"] == "not measured"
    assert rows["life_circle_f15"]["status"] == "no target"  # Hongkou's plan sets none
    for cells in report["gaps"].values():
        unserved = [c["unserved"] for c in cells]  # ranked by residents not served
        assert unserved == sorted(unserved, reverse=True)
    json.dumps(report, allow_nan=False)


def test_elderly_profile_walks_slower(hongkou, settings, hongkou_build):
    slow = build(hongkou, settings, CoverageParams(elderly=True), layers=hongkou_build.layers)
    fast_t = hongkou_build.coverage.cells["t_eating"].to_numpy()
    slow_t = slow.coverage.cells["t_eating"].to_numpy()
    assert np.allclose(slow_t, fast_t * 4.5 / 3.6, atol=0.02)
    assert (
        slow.coverage.life_circle_figures()["f15"]
        <= hongkou_build.coverage.life_circle_figures()["f15"]
    )


def test_build_writes_readable_files(hongkou_build, tmp_path):
    import geopandas as gpd

    written = write(hongkou_build, tmp_path)
    cells = gpd.read_parquet(written["hexagons"])
    assert len(cells) == len(hongkou_build.coverage.cells) and cells.crs.to_epsg() == 4326
    assert shapely.get_num_coordinates(cells.geometry.iloc[0]) == 7  # a closed hexagon
    assert len(gpd.read_parquet(written["charging"])) == len(hongkou_build.layers["charging"])
    report = json.loads(written["report"].read_text(encoding="utf-8"))
    assert report["parameters"]["resolution"] == 10  # the base every figure is measured at
    assert any("OpenStreetMap" in a for a in report["attribution"])


def test_cli_report_and_bad_resolution(settings, capsys, monkeypatch):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    assert main(["report", "hongkou", "--json", "--res", "8"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["base_resolution"] == 10 and report["gap_resolution"] == 8
    assert all(int(gap["h3"][1], 16) == 8 for gap in report["gaps"]["lockers"])
    assert main(["report", "hongkou", "--res", "12"]) == 2
    assert "outside 7–10" in capsys.readouterr().err
    monkeypatch.setenv("TWIN_H3_RES", "9")
    assert main(["report", "hongkou", "--res", "10"]) == 2  # finer than measured: one sentence
    assert "finer than the base resolution 9" in capsys.readouterr().err


def test_engine_benchmark_runs_small():
    """The benchmark's comparison (twin vs networkx, asserted equal inside) on a small grid."""
    from benchmarks.bench_engine import accessibility

    rows = accessibility(side=20, facilities=5, origins=50)
    assert rows[0][0].startswith("Dijkstra only, 400 nodes")
    assert [r[0].split(" vs ")[-1] for r in rows[1:]] == ["networkx", "igraph"]


def test_threaded_indexing_equals_one_call():
    """Large inputs are split over threads; the cells are those of a single call, in order."""
    from h3ronpy.vector import coordinates_to_cells

    rng = np.random.default_rng(5)
    n = 4 * grid_module.THREAD_MIN_POINTS + 17
    lon, lat = 121.0 + rng.random(n), 31.0 + rng.random(n)
    assert np.array_equal(index_points(lon, lat, 9), np.asarray(coordinates_to_cells(lat, lon, 9)))


def test_hexagon_shares_equal_a_full_intersection(town):
    """Interior hexagons skip the intersection; their shares must be what it would give."""
    from pyproj import Transformer

    from twin.grid import hex_grid

    cells = hex_grid(town.boundary, 10, town.metric_crs, town.study_area)
    to_metric = Transformer.from_crs(4326, town.metric_crs, always_xy=True)

    def project(geometry):  # type: ignore[no-untyped-def]
        return shapely.transform(geometry, lambda c: np.column_stack(to_metric.transform(*c.T)))

    polygons = project(cells.geometry.to_numpy())
    full = shapely.area(polygons)
    inside = shapely.area(shapely.intersection(polygons, project(town.boundary)))
    study = shapely.area(shapely.intersection(polygons, project(town.study_area))) / full
    assert np.allclose(cells["area_km2"], inside / 1e6, rtol=1e-9, atol=1e-12)
    assert np.allclose(cells["study_share"], np.clip(study, 0, 1), atol=1e-9)
    assert (cells["inside_share"] < 1).any() and (cells["inside_share"] == 1).any()


def test_the_elderly_profile_borrows_the_5g_columns_exactly(town, offline_settings, monkeypatch):
    """5G, the hexagons and the residents do not depend on walking: the second profile takes
    the first one's columns, and they equal a fresh measurement."""
    from dataclasses import replace

    from twin.analysis.build import build as build_one
    from twin.analysis.build import fiveg_reusable, grid_reusable
    from twin.analysis.engine import FIVEG_COLUMNS, GRID_COLUMNS, CoverageParams

    settings = offline_settings.replace(cache_dir=offline_settings.cache_dir / "reuse")
    first = build_one(town, settings)
    elderly = CoverageParams.from_settings(settings, None, True)
    assert fiveg_reusable(first, town, first.layers, elderly)  # the lending path is taken
    assert not fiveg_reusable(first, town, first.layers | {"base_stations": first.layers[
        "base_stations"].iloc[:5]}, elderly)  # other sites: measured afresh  # fmt: skip
    assert grid_reusable(first, town, elderly)
    wider = replace(elderly.norms.residents, pixel_m=elderly.norms.residents.pixel_m * 2)
    assert not grid_reusable(first, town, replace(elderly, norms=replace(elderly.norms,
                                                                         residents=wider)))  # fmt: skip
    assert not grid_reusable(first, town, replace(elderly, resolution=9))
    with monkeypatch.context() as patched:  # lent: no hexagon is laid, no resident spread
        for name in ("hex_grid", "distribute_residents"):
            patched.setattr(f"twin.analysis.engine.{name}", lambda *a, **k: 1 / 0)
        lent = build_one(town, settings, elderly, reuse=first)
    fresh = build_one(town, settings.replace(cache_dir=settings.cache_dir / "fresh"), elderly)
    for column in FIVEG_COLUMNS + GRID_COLUMNS:
        assert lent.coverage.cells[column].equals(fresh.coverage.cells[column]), column
    assert lent.coverage.residents_method == fresh.coverage.residents_method
    assert lent.report["rows"] == fresh.report["rows"]


def test_the_elderly_profile_borrows_the_seed_spread_exactly(town, offline_settings):
    """The seed spread re-draws sites and measures signal and walks within metres: a walking
    speed changes none of it, so the second profile takes the first one's spread, which equals
    a fresh measurement; another layer, or other norms, measure afresh."""
    from dataclasses import replace

    from twin.analysis.build import build as build_one
    from twin.analysis.build import spread_reusable
    from twin.analysis.engine import CoverageParams

    settings = offline_settings.replace(cache_dir=offline_settings.cache_dir / "spread")
    first = build_one(town, settings)
    assert first.coverage.seed_spread
    elderly = CoverageParams.from_settings(settings, None, True)
    assert spread_reusable(first, town, first.layers, elderly)
    fewer = first.layers | {"lockers": first.layers["lockers"].iloc[:5]}
    assert not spread_reusable(first, town, fewer, elderly)
    tighter = replace(
        elderly, reach=replace(elderly.reach, max_snap_m=elderly.reach.max_snap_m / 2)
    )
    assert not spread_reusable(first, town, first.layers, tighter)
    lent = build_one(town, settings, elderly, reuse=first)
    fresh = build_one(town, settings.replace(cache_dir=settings.cache_dir / "fresh"), elderly)
    assert lent.coverage.seed_spread == fresh.coverage.seed_spread
    assert lent.report["rows"] == fresh.report["rows"]


def test_a_warm_build_reads_its_report_instead_of_computing_it(town, offline_settings, monkeypatch):
    """The report is stored beside the measured hexagons: the same build again reads it (the
    same rows, no report computed), while another gap resolution computes its own."""
    from twin.analysis.build import build as build_one

    settings = offline_settings.replace(cache_dir=offline_settings.cache_dir / "report-store")
    first = build_one(town, settings)
    with monkeypatch.context() as patched:
        patched.setattr("twin.analysis.build.plan_report", lambda *a, **k: 1 / 0)
        again = build_one(town, settings)
        assert again.report == first.report
        with pytest.raises(ZeroDivisionError):  # another question: computed, not read
            build_one(town, settings, gap_resolution=8)


@pytest.mark.parametrize(("n", "m"), [(0, 4), (6, 0), (1, 1), (2_000, 3), (5_000, 17), (300, 70)])
def test_distinct_rows_are_numpys_unique_rows(n, m):
    """The checklist's gap patterns: the rows np.unique(axis=0) finds, each row mapped back to
    itself, with no pattern twice (8, 64 and more columns cross the packed bytes' edges)."""
    from twin.analysis.engine import distinct_rows

    flags = np.random.default_rng(n + m).random((n, m)) < 0.8
    patterns, inverse = distinct_rows(flags)
    assert inverse.shape == (n,) and np.array_equal(patterns[inverse], flags)
    assert len({row.tobytes() for row in patterns}) == len(patterns)
    if n and m:
        reference = np.unique(flags, axis=0)
        assert sorted(map(bytes, patterns)) == sorted(map(bytes, reference))
