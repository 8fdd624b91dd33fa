"""Site recommendations: lazy greedy against the exact optimum, the inverse question, the CLI."""

import json

import numpy as np
import pytest
from scipy.sparse import random as sparse_random

from twin import InvalidInputError
from twin.cli import main
from twin.siting import Problem, exact_mclp, lazy_greedy, recommend


def random_problem(seed: int, cells: int = 80, candidates: int = 30) -> Problem:
    rng = np.random.default_rng(seed)
    a = sparse_random(cells, candidates, density=0.08, random_state=seed, format="csc")
    a.data[:] = 1
    return Problem(a.astype(bool), rng.integers(0, 500, cells).astype(float),
                   rng.random(cells) < 0.1)  # fmt: skip


def plain_greedy(problem: Problem, k: int) -> float:
    """Textbook greedy, re-evaluating every candidate each round: the reference for lazy greedy."""
    a = problem.coverage.toarray()
    covered = problem.served.copy()
    total = 0.0
    for _ in range(k):
        gains = (a & ~covered[:, None]).T @ problem.weights
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        total += gains[j]
        covered |= a[:, j]
    return total


@pytest.mark.parametrize("seed", range(6))
def test_lazy_greedy_equals_greedy_and_is_near_optimal(seed):
    problem = random_problem(seed)
    k = 5
    choice = lazy_greedy(problem, k)
    assert choice.gains.sum() == pytest.approx(plain_greedy(problem, k))
    assert (np.diff(choice.gains) <= 1e-9).all()  # gains never grow (submodular)
    exact = exact_mclp(problem, k)
    optimum = exact.covered
    assert exact.proven  # small enough for CBC to prove its optimum
    assert choice.gains.sum() >= (1 - 1 / np.e) * optimum - 1e-6  # the theoretical guarantee
    assert choice.gains.sum() >= 0.9 * optimum  # the stated gap on these instances


def test_target_share_stops_at_the_fewest_greedy_sites():
    problem = random_problem(11, cells=120, candidates=60)
    total = problem.weights.sum()
    choice = lazy_greedy(problem, target_share=0.6)
    share = problem.weights[choice.covered].sum() / total
    assert share >= 0.6
    shorter = lazy_greedy(problem, k=len(choice.order) - 1)
    assert problem.weights[shorter.covered].sum() / total < 0.6


@pytest.fixture(scope="module")
def hongkou_cells(hongkou_build):
    return hongkou_build.coverage.cells


@pytest.fixture(scope="module")
def hongkou_build(hongkou, settings):
    from twin.analysis.build import build

    return build(hongkou, settings)


@pytest.mark.parametrize("layer", ["lockers", "charging", "base_stations"])
def test_what_siting_promises_the_engine_measures(hongkou, hongkou_build, layer):
    """Add the recommended sites to the layer and build: the question's share is the promise."""
    import pandas as pd

    from twin.analysis.engine import compute
    from twin.siting_fiveg import fiveg_question

    current = hongkou_build.layers[layer]
    sites, summary = recommend(hongkou, layer, hongkou_build.coverage.cells, add=6,
                               params=hongkou_build.coverage.params, sites=current)  # fmt: skip
    assert len(sites) == 6 and summary["covered_share_after"] > summary["covered_share_before"]
    assert (np.diff(sites["covered_share"]) >= -1e-9).all()
    assert sites.within(hongkou.boundary).all()
    question = fiveg_question(hongkou) if layer == "base_stations" else layer
    assert summary["question"] == question
    if layer == "base_stations":
        added = sites[current.columns]  # whole rows of the layer, as twin site writes them
        assert set(added["operator"]) == {"China Mobile"}  # the lead network: weights unmoved
    else:
        added = current.iloc[:0].reindex(range(len(sites)))
        added = added.set_geometry(sites.geometry.to_numpy()).set_crs(4326, allow_override=True)
        added["service_radius_m"] = sites["service_radius_m"].to_numpy()
    both = pd.concat([current, added], ignore_index=True).set_crs(4326, allow_override=True)
    after = compute(hongkou, {layer: both}, hongkou_build.coverage.params)
    measured = after.served_share(question)
    assert measured == pytest.approx(summary["covered_share_after"], abs=0.005)
    before = hongkou_build.coverage.served_share(question)
    assert summary["covered_share_before"] == pytest.approx(before, abs=1e-4)


def test_bad_siting_requests(hongkou, hongkou_cells):
    with pytest.raises(InvalidInputError, match="either"):
        recommend(hongkou, "lockers", hongkou_cells, add=3, target_share=0.9)
    with pytest.raises(InvalidInputError, match="at least 1"):
        recommend(hongkou, "lockers", hongkou_cells, add=0)
    with pytest.raises(InvalidInputError, match="siting works for"):
        recommend(hongkou, "trams", hongkou_cells, add=2)


def test_cli_site_with_a_candidates_file(settings, hongkou, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TWIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWIN_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("TWIN_OFFLINE", "1")
    points = hongkou.demand.sample(40, random_state=1)
    path = tmp_path / "candidates.csv"
    path.write_text("name,lon,lat\n" + "".join(
        f"c{i},{p.x:.7f},{p.y:.7f}\n" for i, p in enumerate(points.geometry)), encoding="utf-8")  # fmt: skip
    out = tmp_path / "sites.geojson"
    from twin.crs import wgs84_to_gcj02

    amap = tmp_path / "amap.csv"  # the same candidates in GCJ-02, declared WGS-84 by default
    lon, lat = wgs84_to_gcj02(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    rows = "".join(f"c{i},{x:.7f},{y:.7f}\n" for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
    amap.write_text("name,lon,lat\n" + rows, encoding="utf-8")
    argv = ["site", "hongkou", "--layer", "lockers", "--add", "3", "--candidates", str(amap)]
    assert main([*argv, "--json"]) == 0
    assert "cannot confirm that they are WGS-84" in capsys.readouterr().err  # said, not hidden
    code = main(["site", "hongkou", "--layer", "lockers", "--add", "3", "--candidates", str(path),
                 "--crs", "wgs84", "--json", "--out", str(out)])  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["candidates"] <= 40 and 1 <= len(payload["sites_ranked"]) <= 3
    assert all(s["candidate_kind"] == "user file" for s in payload["sites_ranked"])
    offered = np.column_stack([points.geometry.x, points.geometry.y])
    for site in payload["sites_ranked"]:  # every site is one of the file's candidates
        assert np.abs(offered - [site["lon"], site["lat"]]).max(axis=1).min() < 1e-5
    assert any(
        "OpenStreetMap" in a for a in json.loads(out.read_text(encoding="utf-8"))["attribution"]
    )
    path.write_text("name,lon,lat\nx,abc,31.2\n", encoding="utf-8")
    assert (
        main(["site", "hongkou", "--layer", "lockers", "--add", "3", "--candidates", str(path)])
        == 2
    )
    assert "unusable coordinates (rows 1)" in capsys.readouterr().err


def test_siting_benchmark_instance_is_well_formed():
    from benchmarks.bench_siting import instance

    problem = instance(cells=500, candidates=50)
    assert problem.coverage.shape == (500, 50) and problem.coverage.nnz > 0
    assert lazy_greedy(problem, 5).gains.sum() > 0
